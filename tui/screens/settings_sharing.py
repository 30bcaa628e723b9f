"""Who sees and acts on an account (Service.account_access). Whoever configures it
grants another agent read access, or read-and-act (Service.grant_account), and x on a
granted agent takes the grant back (Service.revoke_account), as `frontdesk account
grant|revoke` do; for a shared account an admin also sets the agents and roles that work
it (Service.share_account, as `frontdesk account share`). Others see the list only.

Agent names and the account's label are untrusted text: plain Content only."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Button, Input, Select, Static, Switch

from engine.models import AccessEntry, AccountAccess, Agent
from engine.service import Service
from tui.screens.settings_section import RemovableList, SettingsSection
from tui.widgets.form_fields import FieldRow, one_line


def entry_label(entry: AccessEntry) -> Content:
    since = f"  since {entry.granted_at[:10]}" if entry.granted_at else ""
    by = f"  granted by {one_line(entry.granted_by)}" if entry.granted_by else ""
    return Content.assemble((f"{one_line(entry.who):<16} ", "bold"),
                            (f"{entry.kind:<6} ", "dim"), f"{entry.access:<6}",
                            (f"{by}{since}", "dim"))


def names(text: str) -> list[str]:
    """A comma-separated list as typed (the CLI's --agents / --roles)."""
    return [n.strip() for n in text.split(",") if n.strip()]


class SharingSection(SettingsSection):
    """The access list, the grant form, and (shared accounts, admins) who works it."""

    savable = False

    def __init__(self, service: Service, agent: Agent, name: str, *, kind: str,
                 configures: bool, id: str | None = None) -> None:
        heading = Content.assemble(("Sharing of ", "bold"), (one_line(name), "bold"))
        super().__init__(service, agent, heading, read_only=not configures, id=id)
        self.account_name = name
        self.kind = kind
        self.access: AccountAccess | None = None

    def fields(self) -> ComposeResult:
        # Who may use the account; x or Delete revokes the highlighted agent's grant.
        yield RemovableList("Revoke", id="access-entries")
        if self.read_only:
            yield Static(Content("Whoever configures the account changes who may use it."),
                         classes="settings-text")
            return
        yield Static(Content("Grant an agent access (x on an agent above revokes its "
                             "grant):"), classes="settings-subheading")
        yield FieldRow("Agent", Select([], prompt="choose an agent", id="grant-agent"))
        yield FieldRow("May act", Switch(False, id="grant-act"),
                       hint="reply, move, flag, convert; off: read only")
        if self.kind == "shared" and self.agent.role == "admin":
            with Vertical(id="share-form"):
                yield Static(Content("Who works this shared account (each list replaces "
                                     "the one set; empty empties it):"),
                             classes="settings-subheading")
                yield FieldRow("Agents", Input(id="share-agents",
                                               placeholder="names, separated by commas"))
                yield FieldRow("Roles", Input(id="share-roles", placeholder="admin, agent"))
                yield FieldRow("Read only", Switch(False, id="share-read-only"),
                               hint="members may read its mail but not act on it")

    def more_buttons(self) -> ComposeResult:
        if self.read_only:
            return
        yield Button(Content("Grant"), variant="primary", classes="grant-add")
        yield Button(Content("Revoke"), classes="grant-revoke")
        if self.kind == "shared" and self.agent.role == "admin":
            yield Button(Content("Set who works it"), classes="share-set")

    async def read(self) -> None:
        self.show(await self.service.account_access(self.agent, self.account_name))
        if self.read_only:
            return
        agents = await self.service.list_agents(self.agent)
        choices = [(Content(one_line(a.name)), a.name) for a in agents
                   if a.active and a.id != self.agent.id]
        self.query_one("#grant-agent", Select).set_options(choices)

    def show(self, access: AccountAccess) -> None:
        self.access = access
        self.query_one("#access-entries", RemovableList).refill(
            (entry_label(e) for e in access.entries), Content("Nobody is listed on it yet."))
        if self.query("#share-form"):
            self.query_one("#share-agents", Input).value = ", ".join(
                one_line(e.who) for e in access.entries if e.kind == "agent")
            self.query_one("#share-roles", Input).value = ", ".join(
                one_line(e.who) for e in access.entries if e.kind == "role")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.has_class("grant-add"):
            self.save()
        elif event.button.has_class("grant-revoke"):
            self.query_one("#access-entries", RemovableList).action_remove()
        elif event.button.has_class("share-set"):
            self.run_change(self.share(names(self.query_one("#share-agents", Input).value),
                                       names(self.query_one("#share-roles", Input).value),
                                       not self.query_one("#share-read-only", Switch).value))

    def save(self) -> None:
        if self.read_only:
            return
        chosen = self.query_one("#grant-agent", Select).value
        if not isinstance(chosen, str):
            self.note.error("choose the agent to grant access to")
            return
        self.run_change(self.grant(chosen, self.query_one("#grant-act", Switch).value))

    async def grant(self, to: str, can_act: bool) -> str:
        self.show(await self.service.grant_account(self.agent, self.account_name, to,
                                                   can_act=can_act))
        what = "read and act on" if can_act else "read"
        return f"{to} may now {what} {self.account_name}."

    @on(RemovableList.Remove, "#access-entries")
    def _revoke(self, event: RemovableList.Remove) -> None:
        event.stop()
        if self.read_only or self.access is None:
            return
        if not 0 <= event.index < len(self.access.entries):
            return
        entry = self.access.entries[event.index]
        if entry.kind != "agent":
            self.note.error(f"{entry.who} is {'the owner' if entry.kind == 'owner' else 'a role'}"
                            ": only an agent's grant can be revoked here")
            return
        self.run_change(self.revoke(entry.who))

    async def revoke(self, who: str) -> str:
        self.show(await self.service.revoke_account(self.agent, self.account_name, who))
        return f"{who}'s grant on {self.account_name} is withdrawn."

    async def share(self, agents: list[str], roles: list[str], can_act: bool) -> str:
        self.show(await self.service.share_account(
            self.agent, self.account_name, agent_names=agents, roles=roles,
            can_act=can_act))
        return "Saved who works the account."
