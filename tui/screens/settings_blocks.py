"""An account's deny list: the addresses and domains whose mail it does not take in.
Block adds one (Service.block, as `frontdesk block add --account NAME`); x on the
highlighted entry unblocks it (Service.unblock). "Every block" opens the block list of
every account the agent sees (the palette's Block list)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Button, Input, Select

from engine.blocking import KINDS
from engine.models import Agent, BlockEntry
from engine.service import Service
from tui.screens.blocks import BlocksScreen
from tui.screens.settings_section import RemovableList, SettingsSection
from tui.widgets.form_fields import FieldRow, one_line


def block_label(entry: BlockEntry) -> Content:
    return Content.assemble((f"{entry.kind:<8}", "dim"), one_line(entry.value), "  ",
                            (entry.created_at[:10], "dim"))


class BlocksSection(SettingsSection):
    """The account's entries, and a form to block one more."""

    savable = False

    def __init__(self, service: Service, agent: Agent, name: str, *,
                 id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("Deny list of ", "bold"), (one_line(name), "bold"), "\n",
            ("Mail from these is not taken in, and stored mail from them is hidden. "
             "x unblocks the highlighted entry.", "dim")), id=id)
        self.account_name = name
        self.entries: list[BlockEntry] = []

    def fields(self) -> ComposeResult:
        # The entries; x or Delete unblocks the highlighted one.
        yield RemovableList("Unblock", id="block-entries")
        yield FieldRow("Block", Select([(Content(k), k) for k in KINDS], value="address",
                                       allow_blank=False, id="block-kind"),
                       Input(id="block-value", placeholder="an address or a domain"))

    def more_buttons(self) -> ComposeResult:
        yield Button(Content("Block"), variant="primary", classes="block-add")
        yield Button(Content("Unblock"), classes="block-remove")
        yield Button(Content("Every block…"), classes="block-all")

    async def read(self) -> None:
        found = await self.service.list_blocks(self.agent)
        self.entries = [e for e in found if e.account == self.account_name]
        self.query_one("#block-entries", RemovableList).refill(
            (block_label(e) for e in self.entries),
            Content("Nothing is blocked on this account."))

    def submitted(self, field: Input) -> None:
        self.add()

    def save(self) -> None:
        self.add()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("block-add"):
            self.add()
        elif event.button.has_class("block-remove"):
            self.query_one("#block-entries", RemovableList).action_remove()
        elif event.button.has_class("block-all"):
            self.app.push_screen(BlocksScreen(self.service, self.agent), self._back)

    def _back(self, _: object) -> None:
        """Back from the whole block list: read this account's entries again."""
        self.load()

    def add(self) -> None:
        value = self.query_one("#block-value", Input).value.strip()
        if not value:
            self.note.error("type the address or domain to block")
            return
        self.run_change(self.block(str(self.query_one("#block-kind", Select).value), value),
                        reread=True)

    async def block(self, kind: str, value: str) -> str:
        entry = await self.service.block(self.agent, kind, value, account=self.account_name)
        self.query_one("#block-value", Input).value = ""
        hidden = f"; {entry.changed} stored messages hidden" if entry.changed else ""
        return f"Blocked {entry.kind} {entry.value}{hidden}."

    @on(RemovableList.Remove, "#block-entries")
    def _unblock(self, event: RemovableList.Remove) -> None:
        event.stop()
        if 0 <= event.index < len(self.entries):
            self.run_change(self.unblock(self.entries[event.index]), reread=True)

    async def unblock(self, entry: BlockEntry) -> str:
        await self.service.unblock(self.agent, entry.id)
        return f"Unblocked {entry.value}: its mail shows again."
