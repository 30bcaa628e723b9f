"""An account's own settings: its name and address, the IMAP server and login, how
often it is checked, what a first sync imports, read status, and whether it syncs at
all. Saved with Service.change_account (the checks of `frontdesk account set`); a new
password with Service.set_account_password, typed into a masked field and never shown.

Only the settings changed in the form are sent, so a personal account keeps following
the IMAP defaults for what it leaves empty. Whoever does not configure the account sees
its values, greyed out."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, Select, Static, Switch

from engine.account_edit import AccountChange
from engine.accounts import parse_import
from engine.errors import FrontdeskError
from engine.models import AccountSettings, AccountStanding, Agent
from engine.service import Service
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import (
    FieldRow,
    FormInputError,
    SecretInput,
    int_or_none,
    one_line,
)

SECURITY_CHOICES = [(Content("ssl (implicit TLS)"), "ssl"),
                    (Content("starttls"), "starttls"),
                    (Content("none (plain text)"), "none")]
IMPORT_CHOICES = [(Content("all mail"), "all"), (Content("unread mail"), "unread"),
                  (Content("new mail only"), "new-only"), (Content("mail since a date"), "since")]
LABELS = {"display_name": "display name", "email": "address", "imap_host": "IMAP host",
          "imap_port": "port", "security": "security", "username": "username",
          "verify_cert": "certificate check", "ca_file": "CA file",
          "password_command": "password command", "check_every_minutes": "check interval",
          "import_mode": "import", "import_since": "import date",
          "mark_read_on_import": "mark read on import",
          "write_read_status": "read status on the server", "enabled": "syncing"}
_SWITCHES = ("verify_cert", "mark_read_on_import", "write_read_status", "enabled")


def account_heading(settings: AccountSettings, standing: AccountStanding | None,
                    configures: bool) -> Content:
    """The account's name, display name and who configures it: all plain text."""
    if configures:
        who = "you configure it"
    elif settings.kind == "shared":
        who = "an admin configures it"
    else:
        owner = standing.owner if standing is not None else None
        who = f"its owner {one_line(owner)} configures it" if owner else "its owner configures it"
    access = f", you may {standing.access}" if standing and standing.access != "owner" else ""
    shown = [one_line(t) for t in (settings.display_name, settings.email) if one_line(t)]
    return Content.assemble(
        ("Account ", "bold"), (one_line(settings.name), "bold"), "  ", "  ".join(shown),
        "\n", (f"{settings.kind} account, {who}{access}", "dim"),
    )


class AccountSection(SettingsSection):
    """Display name, address, server, login, check interval, import, read status,
    enabled."""

    def __init__(self, service: Service, agent: Agent, settings: AccountSettings,
                 standing: AccountStanding | None, *, configures: bool,
                 id: str | None = None) -> None:
        super().__init__(service, agent, account_heading(settings, standing, configures),
                         read_only=not configures, id=id)
        self.settings = settings
        self.standing = standing
        self.start: dict[str, object] = {}

    @property
    def name(self) -> str:
        return self.settings.name

    # Layout

    def fields(self) -> ComposeResult:
        off = self.read_only
        yield FieldRow("Display name", Input(id="acct-display_name", disabled=off))
        yield FieldRow("Address", Input(id="acct-email", disabled=off))
        yield FieldRow("IMAP host", Input(id="acct-imap_host", disabled=off))
        yield FieldRow("Port", Input(id="acct-imap_port", type="integer", disabled=off))
        yield FieldRow("Security", Select(SECURITY_CHOICES, allow_blank=False,
                                          id="acct-security", disabled=off))
        yield FieldRow("Username", Input(id="acct-username", disabled=off))
        yield FieldRow("Verify certificate", Switch(id="acct-verify_cert", disabled=off))
        yield FieldRow("CA file", Input(id="acct-ca_file", disabled=off,
                                        placeholder="a PEM bundle to trust; empty: none"))
        if self.settings.oauth_provider:
            yield Static(Content(""), id="acct-oauth", classes="settings-text")
        else:
            yield FieldRow("Password command", Input(
                id="acct-password_command", disabled=off,
                placeholder="a command printing the password; empty: the stored one"))
            yield FieldRow("Replace password", SecretInput(id="acct-password", disabled=off))
        yield FieldRow("Check every", Input(id="acct-check_every_minutes", type="integer",
                                            disabled=off), hint="minutes")
        yield FieldRow("Import on first sync", Select(IMPORT_CHOICES, allow_blank=False,
                                                      id="acct-import_mode", disabled=off))
        yield FieldRow("Import since", Input(id="acct-import_since", disabled=off,
                                             placeholder="YYYY-MM-DD"),
                       id="acct-since-row")
        yield FieldRow("Mark read on import", Switch(id="acct-mark_read_on_import",
                                                     disabled=off))
        yield FieldRow("Write read status", Switch(id="acct-write_read_status", disabled=off),
                       hint="mark read on the server too")
        yield FieldRow("Enabled", Switch(id="acct-enabled", disabled=off),
                       hint="off: keep the account but do not sync it")

    def on_mount(self) -> None:
        self.fill(self.settings)
        super().on_mount()

    # Values

    async def read(self) -> None:
        found = [s for s in await self.service.account_settings(self.agent)
                 if s.id == self.settings.id]
        if found:
            self.fill(found[0])

    def fill(self, settings: AccountSettings) -> None:
        """Show `settings` and remember them, so only what changes is sent."""
        self.settings = settings
        inherited = set(settings.inherited)
        shared = settings.kind == "shared"
        start: dict[str, object] = {
            "display_name": settings.display_name,
            "email": settings.email,
            "imap_host": "" if "imap_host" in inherited else settings.imap_host or "",
            "imap_port": "" if "imap_port" in inherited or settings.imap_port is None
            else str(settings.imap_port),
            "security": settings.imap_security or "ssl",
            "username": settings.imap_username or "",
            "verify_cert": settings.verify_cert,
            "ca_file": "" if "ca_file" in inherited else settings.ca_file or "",
            "check_every_minutes": str(settings.check_every_minutes),
            "import_mode": settings.import_mode,
            "import_since": settings.import_since or "",
            "mark_read_on_import": settings.mark_read_on_import,
            "write_read_status": settings.write_read_status,
            "enabled": settings.enabled,
        }
        if not settings.oauth_provider:
            start["password_command"] = settings.password_command or ""
        # Text read from the store is shown (and compared) as one harmless line.
        start = {k: one_line(v) if isinstance(v, str) else v for k, v in start.items()}
        self.start = start
        for key, value in start.items():
            widget = self.query_one(f"#acct-{key}")
            if isinstance(widget, Input):
                widget.value = str(value)
            elif isinstance(widget, (Switch, Select)):
                widget.value = value
        host = self.query_one("#acct-imap_host", Input)
        if shared:
            host.placeholder = "the IMAP server's name"
        else:
            default = settings.imap_host if "imap_host" in inherited and settings.imap_host \
                else None
            host.placeholder = (f"empty: the IMAP defaults ({one_line(default)})" if default
                                else "empty: the IMAP defaults")
        self.query_one("#acct-imap_port", Input).placeholder = (
            f"empty: {settings.imap_port} from the IMAP defaults"
            if "imap_port" in inherited and settings.imap_port
            else "empty: 993 with ssl, 143 otherwise")
        if settings.oauth_provider:
            who = f" as {one_line(settings.oauth_user)}" if settings.oauth_user else ""
            self.query_one("#acct-oauth", Static).update(Content(
                f"Signs in with {settings.oauth_provider}{who}: connect or reconnect it "
                "from the Accounts screen (palette: Accounts)."))
        else:
            self.query_one("#acct-password", SecretInput).show_stored(settings.has_password)
        self._show_since()
        self.query_one(".settings-heading", Static).update(
            account_heading(settings, self.standing, not self.read_only))

    @on(Select.Changed, "#acct-import_mode")
    def _show_since(self) -> None:
        mode = self.query_one("#acct-import_mode", Select).value
        self.query_one("#acct-since-row").display = mode == "since"

    def _typed(self, key: str) -> object:
        widget = self.query_one(f"#acct-{key}")
        if isinstance(widget, (Input, Switch, Select)):
            return widget.value
        raise LookupError(key)

    def change(self) -> AccountChange:
        """What the form changes; FrontdeskError for what cannot be a setting at all."""
        values: dict[str, Any] = {}
        for key, before in self.start.items():
            now = self._typed(key)
            if key in ("import_mode", "import_since") or now == before:
                continue
            if key in _SWITCHES:
                values[key] = bool(now)
            elif key == "imap_port":
                port = int_or_none(str(now), "--imap-port")
                values[key] = 0 if port is None else port
            elif key == "check_every_minutes":
                minutes = int_or_none(str(now), "--check-every")
                if minutes is None:
                    raise FormInputError("--check-every: give the minutes between checks")
                values[key] = minutes
            else:
                values[key] = str(now)
        mode = str(self._typed("import_mode"))
        since = str(self._typed("import_since")).strip()
        if mode != self.start["import_mode"] or (
                mode == "since" and since != self.start["import_since"]):
            values["import_mode"], values["import_since"] = parse_import(
                f"since:{since}" if mode == "since" else mode)
        return AccountChange(**values)

    # Saving

    def save(self) -> None:
        if self.read_only:
            return
        try:
            change = self.change()
        except FrontdeskError as exc:
            self.refused(exc)
            return
        password = None
        if not self.settings.oauth_provider:
            password = self.query_one("#acct-password", SecretInput).typed
        if change.empty and password is None:
            self.note.done("Nothing to change.")
            return
        self.run_change(self.write(change, password))

    async def write(self, change: AccountChange, password: str | None) -> str:
        name = self.settings.name
        # Going back to the stored password needs one stored: the new one goes first.
        password_first = password is not None and change.password_command == ""
        if password is not None and password_first:
            await self.service.set_account_password(self.agent, name, password)
        saved = await self.service.change_account(self.agent, name, change)
        if password is not None and not password_first:
            await self.service.set_account_password(self.agent, name, password)
        if password is not None:
            self.query_one("#acct-password", SecretInput).forget()
        self.fill(saved)
        said = [LABELS.get(key, key) for key in change.given()]
        if password is not None:
            said.append("password")
        self.post_message(self.Changed())
        return f"Saved: {', '.join(said)}."
