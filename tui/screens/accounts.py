"""The agent's accounts with their sync health, and the sign-in of OAuth2 accounts: c
connects (or reconnects) the highlighted account, as `frontdesk account reconnect NAME`
does. Account names, addresses and server errors are untrusted: plain Content only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import FrontdeskError
from engine.models import AccountSettings, AccountStanding, Agent
from engine.service import Service
from engine.status import AccountHealth
from tui.screens.sign_in import SignInScreen, one_line
from tui.screens.wizard import AccountWizardScreen

# Seconds between reloads, so sync health changes show while the screen is open.
REFRESH_EVERY = 15.0
NAME_WIDTH = 18
EMAIL_WIDTH = 30
STATE_WIDTH = 60


@dataclass(frozen=True)
class AccountRow:
    """One account as the screen shows it: its settings, sync health and the agent's
    standing on it."""

    settings: AccountSettings
    health: AccountHealth | None
    standing: AccountStanding | None
    may_configure: bool

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def login(self) -> str:
        """How the account logs in: "password", or its OAuth2 provider."""
        return self.settings.oauth_provider or "password"

    @property
    def is_oauth(self) -> bool:
        return self.settings.oauth_provider is not None

    @property
    def needs_sign_in(self) -> bool:
        if self.health is not None:
            return self.health.needs_sign_in
        return self.is_oauth and (self.settings.auth_failed or not self.settings.has_token)


def clipped(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def local_time(iso: str, now: datetime | None = None) -> str:
    """A UTC ISO time as local HH:MM, with the date when it is not today."""
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    today = (now or datetime.now().astimezone()).date()
    return moment.strftime("%H:%M" if moment.date() == today else "%Y-%m-%d %H:%M")


def may_configure(agent: Agent, settings: AccountSettings,
                  standing: AccountStanding | None) -> bool:
    """Whether the agent configures the account (and so may sign it in): its own
    personal account, or a shared one when the agent is an admin."""
    if settings.kind == "shared":
        return agent.role == "admin"
    return standing is not None and standing.access == "owner"


def first_error(row: AccountRow) -> str | None:
    """The account's last error, else the first of its folders' errors."""
    if row.settings.last_error:
        return one_line(row.settings.last_error)
    for folder in row.health.folders if row.health is not None else ():
        if folder.last_error:
            return one_line(f"{folder.name}: {folder.last_error}")
    return None


def state_of(row: AccountRow) -> tuple[str, bool]:
    """The account's state in a few words, and whether it is a problem."""
    if not row.settings.enabled:
        return "disabled", True
    if row.is_oauth and row.needs_sign_in:
        return "sign-in needed", True
    error = first_error(row)
    if row.is_oauth and row.settings.oauth_expires_at:
        token = f"token until {local_time(row.settings.oauth_expires_at)}"
        # An error from before the sign-in stays until the next sync.
        return (f"{token}; {error}", True) if error is not None else (token, False)
    if error is not None:
        return error, True
    return "ok", False


def account_label(row: AccountRow) -> Content:
    state, problem = state_of(row)
    return Content.assemble(
        (f"{clipped(row.name, NAME_WIDTH):<{NAME_WIDTH}} ", "bold"),
        f"{clipped(row.settings.email, EMAIL_WIDTH):<{EMAIL_WIDTH}} ",
        (f"{row.settings.kind:<9}{row.login:<10}", "dim"),
        (clipped(state, STATE_WIDTH), "bold" if problem else ""),
    )


def login_line(row: AccountRow) -> str:
    settings = row.settings
    if not row.is_oauth:
        return "Logs in with a password."
    if not settings.has_token:
        return f"Signs in with {row.login}: nobody has signed it in yet."
    who = f" as {settings.oauth_user}" if settings.oauth_user else ""
    until = (f"; the token runs until {local_time(settings.oauth_expires_at)} and is "
             "renewed before then" if settings.oauth_expires_at else "")
    again = " The provider refused it: sign in again." if row.needs_sign_in else ""
    return f"Signs in with {row.login}{who}{until}.{again}"


def configure_line(row: AccountRow) -> str:
    if row.may_configure:
        if not row.is_oauth:
            return (f"You configure it: `frontdesk account password {row.name} "
                    "--password-stdin` changes its password.")
        return f"You configure it: c {'reconnects' if row.settings.has_token else 'connects'} it."
    if row.settings.kind == "shared":
        return "An admin configures this shared account."
    owner = row.standing.owner if row.standing is not None else None
    return f"Its owner{' ' + owner if owner else ''} configures it."


def account_detail(row: AccountRow) -> Content:
    settings = row.settings
    synced = (f"Last sync {local_time(settings.last_sync_at)}." if settings.last_sync_at
              else "Not synced yet.")
    parts: list[str | tuple[str, str]] = [
        (settings.name, "bold"), "  ", settings.email,
        (f"  ({settings.kind}{', ' + row.standing.access if row.standing else ''})", "dim"),
        "\n", login_line(row), "\n", synced,
    ]
    error = first_error(row)
    if error is not None:
        at = settings.last_error_at if settings.last_error else None
        parts += [f" Last error{' at ' + local_time(at) if at else ''}: ", (error, "bold")]
    if row.health is not None and row.health.jobs_failed:
        parts += [f" {row.health.jobs_failed} server change(s) failed."]
    parts += ["\n", (configure_line(row), "dim")]
    return Content.assemble(*parts)


class AccountsScreen(Screen[None]):
    """c connects or reconnects the highlighted OAuth2 account; r reloads."""

    # Not LIST_KEYS: their "focused." actions fail while the sign-in modal focuses
    # nothing (the footer of this screen resolves them against the modal).
    BINDINGS = [
        Binding("c", "connect", "Connect / reconnect"),
        Binding("a", "account_wizard", "Add account"),
        Binding("r", "reload", "Reload"),
        Binding("escape,q", "close", "Back"),
        Binding("j", "move('down')", "Down", show=False),
        Binding("k", "move('up')", "Up", show=False),
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.rows: list[AccountRow] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="accounts-body"):
            yield Static(Content("Accounts: sync health and sign-in"), classes="screen-title")
            yield OptionList(id="accounts")
            yield Static(Content(""), id="account-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.set_interval(REFRESH_EVERY, self.load)

    @property
    def current(self) -> AccountRow | None:
        shown = self.query_one("#accounts", OptionList)
        if not self.rows or shown.highlighted is None:
            return None
        return self.rows[min(shown.highlighted, len(self.rows) - 1)]

    async def read_rows(self) -> list[AccountRow]:
        """Every account the agent sees, joined with its health and standing."""
        settings = await self.service.account_settings(self.agent)
        health = {h.name: h for h in await self.service.status(self.agent, counts=False)}
        standing = {s.name: s for s in await self.service.account_standing(self.agent)}
        return [AccountRow(s, health.get(s.name), standing.get(s.name),
                           may_configure(self.agent, s, standing.get(s.name)))
                for s in settings]

    @work(exclusive=True, group="accounts", exit_on_error=False)
    async def load(self) -> None:
        try:
            rows = await self.read_rows()
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        keep = self.current.name if self.current is not None else None
        self.rows = rows
        shown = self.query_one("#accounts", OptionList)
        at = shown.highlighted or 0
        shown.clear_options()
        if not rows:
            shown.add_option(Option(Content("No accounts: add one with "
                                            "`frontdesk account add`."), disabled=True))
            self.query_one("#account-detail", Static).update(Content(""))
            return
        shown.add_options(Option(account_label(r)) for r in rows)
        at = next((n for n, r in enumerate(rows) if r.name == keep), at)
        shown.highlighted = min(at, len(rows) - 1)
        self.show_detail()
        if self.focused is None:
            shown.focus()

    @on(OptionList.OptionHighlighted, "#accounts")
    def show_detail(self) -> None:
        row = self.current
        if row is not None:
            self.query_one("#account-detail", Static).update(account_detail(row))

    def action_move(self, way: str) -> None:
        shown = self.query_one("#accounts", OptionList)
        if way == "down":
            shown.action_cursor_down()
        else:
            shown.action_cursor_up()

    def action_account_wizard(self) -> None:
        """Add an account step by step (the setup wizard)."""
        self.app.push_screen(AccountWizardScreen(self.service, self.agent),
                             self._wizard_closed)

    def _wizard_closed(self, added: str | None) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    def action_connect(self) -> None:
        row = self.current
        if row is None:
            return
        if not row.is_oauth:
            self.notify(f"{row.name} logs in with a password; change it with `frontdesk "
                        f"account password {row.name} --password-stdin`.", markup=False)
            return
        self.app.push_screen(SignInScreen(self.service, self.agent, row.name),
                             self._signed_in)

    def _signed_in(self, signed_in: bool | None) -> None:
        self.load()

    async def sync_now(self) -> None:
        """Asked for by the app's sync key: the running engine syncs every account."""
        try:
            await self.service.request_sync(self.agent)
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify("Sync requested.", markup=False)
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)
