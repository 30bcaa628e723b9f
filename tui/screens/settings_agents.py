"""The agents of the store (admins): the list, the highlighted agent's role and assigned
addresses, removing an agent, and adding one. Each change goes through the Service method
of `frontdesk agent add|set-role|remove|address`: list_agents, add_agent, set_agent_role,
remove_agent, agent_addresses, assign_address, unassign_address.

Names, display names and addresses are untrusted text: plain Content only."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Button, Input, OptionList, Select, Static, Switch
from textual.widgets.option_list import Option

from engine.errors import FrontdeskError
from engine.models import Agent, AgentAddress, AgentSpec
from engine.service import Service
from tui.screens.dialogs import Confirm
from tui.screens.settings_section import RemovableList, SettingsSection, refill
from tui.widgets.form_fields import FieldRow, one_line

ROLE_CHOICES = [(Content("agent"), "agent"), (Content("admin"), "admin")]


def agent_label(agent: Agent) -> Content:
    state = "" if agent.active else "  (removed)"
    return Content.assemble(
        (f"{one_line(agent.name):<14} ", "bold"), (f"{agent.role:<6} ", "dim"),
        f"{one_line(agent.email):<28} ", one_line(agent.display_name), (state, "dim"))


class AgentsSection(SettingsSection):
    """Highlight an agent to change its role, addresses, or remove it; the form below
    adds one."""

    savable = False

    def __init__(self, service: Service, agent: Agent, *, id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("Agents", "bold"), "\n",
            ("Highlight an agent to change its role or addresses; x on an address takes "
             "it back.", "dim")), id=id)
        self.agents: list[Agent] = []
        self.addresses: list[AgentAddress] = []

    def fields(self) -> ComposeResult:
        yield OptionList(id="agent-list")
        yield Static(Content(""), id="agent-detail", classes="settings-text")
        yield FieldRow("Role", Select(ROLE_CHOICES, value="agent", allow_blank=False,
                                      id="agent-role"),
                       Button(Content("Set role"), classes="agent-set-role"))
        yield Static(Content("Assigned addresses (its personal accounts may use them):"),
                     classes="settings-subheading")
        # The highlighted agent's assigned addresses; x or Delete takes one back.
        yield RemovableList("Take back", id="agent-addresses")
        yield FieldRow("Assign address", Input(id="agent-new-address",
                                               placeholder="an address"),
                       Button(Content("Assign"), classes="agent-assign"))
        yield FieldRow("Stop its accounts", Switch(False, id="agent-disable-accounts"),
                       hint="on: removing the agent also stops its personal accounts")
        yield FieldRow("Remove the agent", Button(Content("Remove…"), variant="error",
                                                  classes="agent-remove"))
        yield Static(Content("Add an agent:"), classes="settings-subheading")
        yield FieldRow("Name", Input(id="new-agent-name",
                                     placeholder="a-z, 0-9, '.', '_' or '-'"))
        yield FieldRow("OS user", Input(id="new-agent-os-user",
                                        placeholder="empty: the name"))
        yield FieldRow("No OS user", Switch(False, id="new-agent-no-os-user"),
                       hint="acts only through a gateway's key")
        yield FieldRow("Display name", Input(id="new-agent-display-name"))
        yield FieldRow("Email", Input(id="new-agent-email",
                                      placeholder="its own address"))
        yield FieldRow("Role", Select(ROLE_CHOICES, value="agent", allow_blank=False,
                                      id="new-agent-role"))

    def more_buttons(self) -> ComposeResult:
        yield Button(Content("Add agent"), variant="primary", classes="agent-add")

    # Reading

    async def read(self) -> None:
        self.agents = await self.service.list_agents(self.agent)
        refill(self.query_one("#agent-list", OptionList),
               (agent_label(a) for a in self.agents))
        await self.show_current()

    @property
    def current(self) -> Agent | None:
        at = self.query_one("#agent-list", OptionList).highlighted
        if at is None or not 0 <= at < len(self.agents):
            return None
        return self.agents[at]

    @on(OptionList.OptionHighlighted, "#agent-list")
    def _highlighted(self) -> None:
        self.load_current()

    @work(exclusive=True, group="settings-agent", exit_on_error=False)
    async def load_current(self) -> None:
        try:
            await self.show_current()
        except FrontdeskError as exc:
            self.refused(exc)

    async def show_current(self) -> None:
        agent = self.current
        # Read first, then change the widgets in one go: two reads racing (a reload and
        # a highlight) leave one list, not both.
        addresses = [] if agent is None else await self.service.agent_addresses(
            self.agent, agent.name)
        if agent is not self.current:
            return
        self.addresses = addresses
        detail = self.query_one("#agent-detail", Static)
        shown = self.query_one("#agent-addresses", RemovableList)
        shown.clear_options()
        if agent is None:
            detail.update(Content("No agent highlighted."))
            return
        login = f"OS user {one_line(agent.os_user)}" if agent.os_user else "no OS user"
        detail.update(Content.assemble(
            (one_line(agent.name), "bold"), f"  {agent.role}, {login}",
            "" if agent.active else ", removed"))
        self.query_one("#agent-role", Select).value = agent.role
        if not addresses:
            shown.add_option(Option(Content("No address assigned."), disabled=True))
        else:
            shown.add_options(Option(Content(one_line(a.address))) for a in addresses)

    # Acting

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        button = event.button
        agent = self.current
        if button.has_class("agent-add"):
            self.save()
        elif agent is None:
            self.note.error("highlight an agent first")
        elif button.has_class("agent-set-role"):
            role = str(self.query_one("#agent-role", Select).value)
            self.run_change(self._set_role(agent.name, role), reread=True)
        elif button.has_class("agent-assign"):
            address = self.query_one("#agent-new-address", Input).value.strip()
            if not address:
                self.note.error("type the address to assign")
                return
            self.run_change(self._assign(agent.name, address), reread=True)
        elif button.has_class("agent-remove"):
            self.ask_remove(agent)

    def submitted(self, field: Input) -> None:
        if field.id == "agent-new-address":
            self.query_one(".agent-assign", Button).press()
        elif field.id == "new-agent-email":
            self.save()
        else:
            super().submitted(field)

    @on(RemovableList.Remove, "#agent-addresses")
    def _take_back(self, event: RemovableList.Remove) -> None:
        event.stop()
        agent = self.current
        if agent is not None and 0 <= event.index < len(self.addresses):
            address = self.addresses[event.index].address
            self.run_change(self._unassign(agent.name, address), reread=True)

    def save(self) -> None:
        name = self.query_one("#new-agent-name", Input).value.strip()
        if not name:
            self.note.error("type the new agent's name")
            return
        no_os_user = self.query_one("#new-agent-no-os-user", Switch).value
        os_user = self.query_one("#new-agent-os-user", Input).value.strip() or None
        spec = AgentSpec(
            name=name, os_user=None if no_os_user else os_user, no_os_user=no_os_user,
            display_name=self.query_one("#new-agent-display-name", Input).value.strip(),
            email=self.query_one("#new-agent-email", Input).value.strip(),
            role=str(self.query_one("#new-agent-role", Select).value))
        self.run_change(self._add(spec), reread=True)

    def ask_remove(self, agent: Agent) -> None:
        disable = self.query_one("#agent-disable-accounts", Switch).value
        also = " and stop syncing its personal accounts" if disable else ""

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_change(self._remove(agent.name, disable), reread=True)

        self.app.push_screen(Confirm(f"Remove the agent {one_line(agent.name)}{also}? Its "
                                     "history stays.", yes="remove", no="keep"), answered)

    async def _set_role(self, name: str, role: str) -> str:
        changed = await self.service.set_agent_role(self.agent, name, role)
        return f"{changed.name} is {'an admin' if changed.role == 'admin' else 'an agent'}."

    async def _assign(self, name: str, address: str) -> str:
        made = await self.service.assign_address(self.agent, name, address)
        self.query_one("#agent-new-address", Input).value = ""
        return f"{made.address} is assigned to {made.agent}."

    async def _unassign(self, name: str, address: str) -> str:
        await self.service.unassign_address(self.agent, name, address)
        return f"{address} is no longer assigned to {name}."

    async def _remove(self, name: str, disable: bool) -> str:
        removed = await self.service.remove_agent(self.agent, name, disable_accounts=disable)
        stopped = (f"; {', '.join(removed.accounts_disabled)} no longer sync"
                   if removed.accounts_disabled else "")
        return f"{name} is removed; {removed.grants_dropped} grants dropped{stopped}."

    async def _add(self, spec: AgentSpec) -> str:
        added = await self.service.add_agent(self.agent, spec)
        for selector in ("#new-agent-name", "#new-agent-os-user", "#new-agent-display-name",
                         "#new-agent-email"):
            self.query_one(selector, Input).value = ""
        back = "brought back" if added.reactivated else "added"
        return f"{added.agent.name} is {back} as {added.agent.role}."
