"""Settings (palette: Settings): every option of the console and of the engine, from the
keyboard. The sections are listed on the left and the highlighted one's form shows on
the right: the console's own options; the main account; for each account the agent
sees, its settings, folders, SMTP, signature, drafts, deny list, sharing and rules; and
for an admin, the IMAP defaults, the system SMTP, the agents and the OAuth2 providers.

j / k move in the list, Enter goes into the form (or opens the rules), Tab moves between
fields, ctrl+s or Save saves, Esc goes back to the list and then closes the screen.

Which sections an account gets follows what the agent may do with it: whoever
configures it (its owner; an admin for a shared one) changes everything; an agent with
a grant sees the account's values and sharing, and keeps its own signature and, with
act access, the deny list. Administration shows only to admins, and the engine refuses
an admin-only change from anyone else anyway.

Account names, display names and addresses are untrusted text: plain Content only."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.widgets import ContentSwitcher, Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from engine.errors import FrontdeskError
from engine.models import AccountSettings, AccountStanding, Agent
from engine.service import Service
from tui.messages import OptionsChanged
from tui.screens.accounts import may_configure
from tui.screens.rules import RulesScreen
from tui.screens.settings_account import AccountSection
from tui.screens.settings_agents import AgentsSection
from tui.screens.settings_blocks import BlocksSection
from tui.screens.settings_console import ConsoleSection
from tui.screens.settings_drafts import DraftsSection
from tui.screens.settings_folders import FoldersSection
from tui.screens.settings_imap_defaults import ImapDefaultsSection
from tui.screens.settings_main_account import MainAccountSection
from tui.screens.settings_oauth import OAuthSection
from tui.screens.settings_section import OpenerSection, SettingsSection
from tui.screens.settings_sharing import SharingSection
from tui.screens.settings_signature import SignatureSection
from tui.screens.settings_smtp import SmtpSection, SystemSmtpSection
from tui.screens.wizard import AccountWizardScreen
from tui.widgets.form_fields import one_line

INDENT = "  "


@dataclass(frozen=True)
class Entry:
    """One line of the section list: a group's title (no form), or a section. `key` is
    the section's widget id, the same on every reload so a form keeps what was typed."""

    key: str
    label: Content
    build: Callable[[], SettingsSection] | None = None

    @property
    def heading(self) -> bool:
        return self.build is None


def account_title(settings: AccountSettings, standing: AccountStanding | None) -> Content:
    """An account's line in the list: name, display name, kind and the agent's access."""
    access = standing.access if standing is not None else "read"
    label = one_line(settings.display_name)
    return Content.assemble(
        (one_line(settings.name), "bold"), f" {label}" if label else "",
        (f" · {settings.kind}, {access}", "dim"))


class SectionList(OptionList):
    """The sections; j and k move as the arrow keys do (titles are skipped)."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]


class SettingsScreen(Screen[None]):
    """Sections on the left, the highlighted one's form on the right."""

    BINDINGS = [
        Binding("escape,q", "back", "Back"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.entries: list[Entry] = []
        self.sections: dict[str, SettingsSection] = {}
        self.loaded = False
        self._showing = asyncio.Lock()

    def compose(self) -> ComposeResult:
        yield Static(Content("Settings"), classes="screen-title")
        with Horizontal(id="settings-body"):
            yield SectionList(id="settings-sections")
            yield ContentSwitcher(id="settings-pane")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SectionList).focus()
        self.load()

    # The list

    @work(exclusive=True, group="settings-list", exit_on_error=False)
    async def load(self) -> None:
        """Read which accounts the agent sees and what it may do with each, and list
        the sections; the highlighted one stays."""
        try:
            accounts = await self.service.account_settings(self.agent)
            standing = {s.name: s for s in await self.service.account_standing(self.agent)}
        except FrontdeskError as exc:
            self.notify(str(exc), title="Settings", severity="error", markup=False)
            accounts, standing = [], {}
        shown = self.query_one(SectionList)
        keep = self.current.key if self.current is not None else None
        self.entries = self.build_entries(accounts, standing)
        shown.clear_options()
        shown.add_options(Option(e.label, disabled=e.heading) for e in self.entries)
        at = next((n for n, e in enumerate(self.entries) if e.key == keep), None)
        if at is None:
            at = next(n for n, e in enumerate(self.entries) if not e.heading)
        shown.highlighted = at
        await self.show(self.entries[at])
        self.loaded = True

    def build_entries(self, accounts: list[AccountSettings],
                      standing: dict[str, AccountStanding]) -> list[Entry]:
        service, agent = self.service, self.agent
        entries = [
            Entry("console", Content("Console"), lambda: ConsoleSection(service, agent)),
            Entry("main-account", Content("Main account"),
                  lambda: MainAccountSection(service, agent)),
        ]
        entries.append(Entry("add-account", Content("Add an account…"),
                             lambda: OpenerSection(
                                 service, agent, Content("Add an account"),
                                 "Set up a new mailbox, step by step.",
                                 self.open_add_account)))
        for settings in accounts:
            entries += self.account_entries(settings, standing.get(settings.name))
        if agent.role == "admin":
            entries += [
                Entry("admin", Content.styled("Administration", "bold")),
                Entry("imap-defaults", Content(f"{INDENT}IMAP defaults"),
                      lambda: ImapDefaultsSection(service, agent)),
                Entry("system-smtp", Content(f"{INDENT}System SMTP"),
                      lambda: SystemSmtpSection(service, agent)),
                Entry("agents", Content(f"{INDENT}Agents"),
                      lambda: AgentsSection(service, agent)),
                Entry("oauth", Content(f"{INDENT}OAuth2 providers"),
                      lambda: OAuthSection(service, agent)),
            ]
        return entries

    def account_entries(self, settings: AccountSettings,
                        standing: AccountStanding | None) -> list[Entry]:
        """The sections of one account, as far as the agent may use them."""
        service, agent, name = self.service, self.agent, settings.name
        configures = may_configure(agent, settings, standing)
        access = standing.access if standing is not None else "read"
        key = f"account-{settings.id}"

        def item(label: str) -> Content:
            return Content(f"{INDENT}{label}")

        entries = [
            Entry(key, account_title(settings, standing)),
            Entry(f"{key}-settings", item("Account"), lambda: AccountSection(
                service, agent, settings, standing, configures=configures)),
        ]
        if configures:
            entries += [
                Entry(f"{key}-folders", item("Folders and roles"),
                      lambda: FoldersSection(service, agent, settings)),
                Entry(f"{key}-smtp", item("SMTP"), lambda: SmtpSection(service, agent, name)),
            ]
        entries.append(Entry(f"{key}-signature", item("Signature"),
                             lambda: SignatureSection(service, agent, name)))
        if configures and settings.kind == "personal":
            entries.append(Entry(f"{key}-drafts", item("Drafts mirror"),
                                 lambda: DraftsSection(service, agent, name)))
        if access in ("owner", "act"):
            entries.append(Entry(f"{key}-blocks", item("Deny list"),
                                 lambda: BlocksSection(service, agent, name)))
        entries += [
            Entry(f"{key}-sharing", item("Sharing and grants"), lambda: SharingSection(
                service, agent, name, kind=settings.kind, configures=configures)),
            Entry(f"{key}-rules", item("Rules"), lambda: OpenerSection(
                service, agent, Content.assemble(("Rules of ", "bold"),
                                                 (one_line(name), "bold")),
                "Auto-responses and filters run on arrival, with the processing mode. "
                "Open shows the rules of every mailbox you see.", self.open_rules)),
        ]
        return entries

    @property
    def current(self) -> Entry | None:
        at = self.query_one(SectionList).highlighted
        if at is None or not 0 <= at < len(self.entries):
            return None
        return self.entries[at]

    @property
    def section(self) -> SettingsSection | None:
        """The form on show."""
        entry = self.current
        return self.sections.get(entry.key) if entry is not None else None

    @on(OptionList.OptionHighlighted, "#settings-sections")
    async def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if 0 <= event.option_index < len(self.entries):
            await self.show(self.entries[event.option_index])

    async def show(self, entry: Entry) -> None:
        """Show the entry's form, made the first time it is shown."""
        if entry.build is None:
            return
        switcher = self.query_one("#settings-pane", ContentSwitcher)
        # A reload and a highlight may ask at once: the form is made and mounted once.
        async with self._showing:
            section = self.sections.get(entry.key)
            if section is None:
                section = entry.build()
                self.sections[entry.key] = section
                await switcher.add_content(section, id=entry.key, set_current=True)
            else:
                switcher.current = entry.key

    @on(OptionList.OptionSelected, "#settings-sections")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        """Enter: into the form (or, for a section that is another screen, there)."""
        event.stop()
        section = self.section
        if isinstance(section, OpenerSection):
            section.opens()
        elif section is not None:
            section.focus_first()

    @on(OptionsChanged)
    def _options_changed(self, event: OptionsChanged) -> None:
        console = self.sections.get("console")
        if isinstance(console, ConsoleSection):
            console.show_options(event.options)

    @on(SettingsSection.Changed)
    def _changed(self, event: SettingsSection.Changed) -> None:
        event.stop()
        self.load()

    # Actions

    def action_back(self) -> None:
        """Esc: from a form back to the list; from the list, close."""
        shown = self.query_one(SectionList)
        if self.focused is not None and self.focused is not shown:
            shown.focus()
        else:
            self.dismiss(None)

    def action_save(self) -> None:
        section = self.section
        if section is not None and not section.read_only:
            section.save()

    def open_rules(self) -> None:
        self.app.push_screen(RulesScreen(self.service, self.agent))

    def open_add_account(self) -> None:
        self.app.push_screen(AccountWizardScreen(self.service, self.agent), self._reload)

    def _reload(self, _: object) -> None:
        self.load()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure the forms did not expect becomes one notification, never a crash."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = str(error) if isinstance(error, FrontdeskError) else (
                f"{type(error).__name__}: {error}")
            self.notify(text, title="Settings", severity="error", markup=False)
