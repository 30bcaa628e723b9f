"""The account the agent's new mail goes out from (Service.set_main_account, as
`frontdesk account main NAME`); replies always go out from the account the message came
in on. Offered: the accounts the agent may act on."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Select

from engine.models import Agent
from engine.service import Service
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import FieldRow, one_line

NONE = "-"


class MainAccountSection(SettingsSection):
    """One choice: the main account, or none."""

    def __init__(self, service: Service, agent: Agent, *, id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("Main account", "bold"), "\n",
            ("New mail goes out from it; replies go out from the account the message "
             "came in on.", "dim")), id=id)
        self.start = NONE

    def fields(self) -> ComposeResult:
        yield FieldRow("New mail from", Select([(Content("none chosen"), NONE)], value=NONE,
                                               allow_blank=False, id="main-account"))

    async def read(self) -> None:
        standing = await self.service.account_standing(self.agent)
        usable = [s.name for s in standing if s.access in ("owner", "act")]
        current = await self.service.main_account(self.agent)
        choice = self.query_one("#main-account", Select)
        choice.set_options([(Content("none chosen"), NONE),
                            *((Content(one_line(name)), name) for name in usable)])
        self.start = current if current in usable else NONE
        choice.value = self.start

    def save(self) -> None:
        chosen = str(self.query_one("#main-account", Select).value)
        if chosen == self.start:
            self.note.done("Nothing to change.")
            return
        self.run_change(self.write(None if chosen == NONE else chosen))

    async def write(self, name: str | None) -> str:
        chosen = await self.service.set_main_account(self.agent, name)
        self.start = chosen or NONE
        return f"New mail goes out from {chosen}." if chosen else "No main account is set."
