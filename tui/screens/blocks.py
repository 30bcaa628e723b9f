"""The block list: every deny-list entry the agent may see, to review and unblock."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import FrontdeskError
from engine.models import Agent, BlockEntry
from engine.service import Service
from tui.screens.list_keys import LIST_KEYS


def entry_label(entry: BlockEntry) -> Content:
    where = entry.account or "every account"
    return Content.assemble(
        (f"{entry.kind:<8}", "dim"), entry.value, "  ", (f"on {where}", "italic"),
        "  ", (entry.created_at[:10], "dim"),
    )


class BlocksScreen(Screen[None]):
    """x (or Delete) unblocks the highlighted entry: the mail it hid shows again."""

    BINDINGS = [
        Binding("x,delete", "unblock", "Unblock"),
        *LIST_KEYS,
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.entries: list[BlockEntry] = []

    def compose(self) -> ComposeResult:
        yield Static(Content("Blocked senders and domains"), id="blocks-title",
                     classes="screen-title")
        yield OptionList(id="blocks")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="blocks", exit_on_error=False)
    async def load(self) -> None:
        try:
            self.entries = await self.service.list_blocks(self.agent)
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        shown = self.query_one("#blocks", OptionList)
        keep = shown.highlighted or 0
        shown.clear_options()
        if not self.entries:
            shown.add_option(Option(Content("Nothing is blocked."), disabled=True))
            return
        shown.add_options(Option(entry_label(e), id=str(e.id)) for e in self.entries)
        shown.highlighted = min(keep, len(self.entries) - 1)
        shown.focus()


    def action_unblock(self) -> None:
        shown = self.query_one("#blocks", OptionList)
        if self.entries and shown.highlighted is not None:
            self.unblock(self.entries[shown.highlighted])

    @work(group="blocks-change", exit_on_error=False)
    async def unblock(self, entry: BlockEntry) -> None:
        try:
            await self.service.unblock(self.agent, entry.id)
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(f"Unblocked {entry.value}: its mail shows again.", markup=False)
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
