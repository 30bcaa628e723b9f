"""Drafts mirrored to the server: the owner of a personal account may have its drafts
copied to the account's Drafts folder, where its other mail clients show them
(Service.drafts_mirror / set_drafts_mirror, as `frontdesk account drafts NAME --mirror`)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Static, Switch

from engine.models import Agent
from engine.service import Service
from tui.commands.drafts_mirror import describe
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import FieldRow, one_line


class DraftsSection(SettingsSection):
    """One switch: mirror the drafts or not."""

    def __init__(self, service: Service, agent: Agent, name: str, *,
                 id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("Drafts of ", "bold"), (one_line(name), "bold")), id=id)
        self.account_name = name
        self.start = False

    def fields(self) -> ComposeResult:
        yield FieldRow("Mirror drafts", Switch(False, id="drafts-mirror"),
                       hint="copy your drafts to the Drafts folder on the server")
        yield Static(Content(""), id="drafts-state", classes="settings-text")

    async def read(self) -> None:
        setting = await self.service.drafts_mirror(self.agent, self.account_name)
        self.start = setting.on
        self.query_one("#drafts-mirror", Switch).value = setting.on
        self.query_one("#drafts-state", Static).update(Content(one_line(describe(setting))))

    def save(self) -> None:
        on = self.query_one("#drafts-mirror", Switch).value
        if on == self.start:
            self.note.done("Nothing to change.")
            return
        self.run_change(self.write(on))

    async def write(self, on: bool) -> str:
        setting = await self.service.set_drafts_mirror(self.agent, self.account_name, on)
        self.start = setting.on
        self.query_one("#drafts-state", Static).update(Content(one_line(describe(setting))))
        return "Saved: drafts are mirrored." if setting.on else "Saved: drafts stay in frontdesk."
