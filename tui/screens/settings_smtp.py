"""How mail goes out: an account's SMTP server (or the system SMTP an admin set), and
the system SMTP itself. The form is the one of `frontdesk account smtp NAME` and
`frontdesk smtp system`: saving replaces the whole setting through
Service.configure_smtp / configure_system_smtp. A password is typed into a masked field;
left empty, the stored one is kept. "Send a test" sends one message now
(Service.test_send)."""

from __future__ import annotations

from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Button, Input, Select, Static, Switch

from engine.errors import FrontdeskError
from engine.models import Agent, SmtpChange, SmtpConfig
from engine.service import Service
from tui.commands.smtp import describe_smtp
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import FieldRow, FormInputError, SecretInput, int_or_none, one_line

SECURITY_CHOICES = [(Content("starttls"), "starttls"), (Content("ssl (implicit TLS)"), "ssl"),
                    (Content("none (plain text)"), "none")]
LOGIN_CHOICES = [(Content("a stored password"), "password"),
                 (Content("a password command"), "command"),
                 (Content("no login"), "none")]
SEND_CHOICES = [(Content("its own SMTP server"), "own"), (Content("the system SMTP"), "system")]


def describe(config: SmtpConfig | None) -> str:
    """How mail goes out, in a few words (as `frontdesk account smtp` says it)."""
    if config is None or (not config.use_system and not config.host):
        return "No SMTP server is set yet: nothing can be sent this way."
    # The host comes from the store: shown as one harmless line.
    return f"Sends through {describe_smtp(replace(config, host=one_line(config.host or '')))}."


class SmtpForm(Vertical):
    """The SMTP fields. `account`: the account's form (send through the system SMTP,
    Reply-To, the server files sent mail); else the system SMTP's."""

    def __init__(self, *, account: bool) -> None:
        super().__init__(classes="smtp-form")
        self.account = account
        self.has_password = False

    def compose(self) -> ComposeResult:
        if self.account:
            yield FieldRow("Send through", Select(SEND_CHOICES, value="own",
                                                  allow_blank=False, id="smtp-send"))
        with Vertical(id="smtp-server"):
            yield FieldRow("SMTP host", Input(id="smtp-host"))
            yield FieldRow("Port", Input(id="smtp-port", type="integer",
                                         placeholder="empty: 465 ssl, 587 starttls, 25 none"))
            yield FieldRow("Security", Select(SECURITY_CHOICES, value="starttls",
                                              allow_blank=False, id="smtp-security"))
            yield FieldRow("Username", Input(id="smtp-username",
                                             placeholder="empty: the account's address"))
            yield FieldRow("Login with", Select(LOGIN_CHOICES, value="password",
                                                allow_blank=False, id="smtp-login"))
            yield FieldRow("Password", SecretInput(id="smtp-password"), id="smtp-password-row")
            yield FieldRow("Password command", Input(
                id="smtp-password-command", placeholder="a command printing the password"),
                id="smtp-command-row")
            yield FieldRow("CA file", Input(id="smtp-ca-file",
                                            placeholder="a PEM bundle to trust; empty: none"))
            yield FieldRow("Verify certificate", Switch(True, id="smtp-verify"))
        if self.account:
            yield FieldRow("Reply-To", Input(id="smtp-reply-to",
                                             placeholder="empty: none"))
            yield FieldRow("Server saves sent", Switch(False, id="smtp-saves-sent"),
                           hint="it files sent mail itself (Gmail): no copy is added")

    def on_mount(self) -> None:
        self._show_parts()

    def fill(self, config: SmtpConfig | None) -> None:
        """Show `config` (None: nothing set yet)."""
        def put(selector: str, value: object) -> None:
            widget = self.query_one(selector)
            if isinstance(widget, Input):
                widget.value = one_line(str(value))
            elif isinstance(widget, (Switch, Select)):
                widget.value = value

        self.has_password = bool(config and config.has_password)
        if config is not None:
            if self.account:
                put("#smtp-send", "system" if config.use_system else "own")
                put("#smtp-reply-to", config.reply_to or "")
                put("#smtp-saves-sent", config.server_saves_sent)
            put("#smtp-host", config.host or "")
            put("#smtp-port", "" if config.port is None else str(config.port))
            put("#smtp-security", config.security or "starttls")
            put("#smtp-username", config.username or "")
            put("#smtp-login", "none" if not config.auth and config.host else
                "command" if config.password_command else "password")
            put("#smtp-password-command", config.password_command or "")
            put("#smtp-ca-file", config.ca_file or "")
            put("#smtp-verify", config.verify_cert)
        self.query_one("#smtp-password", SecretInput).show_stored(self.has_password)
        self._show_parts()

    @on(Select.Changed)
    def _show_parts(self) -> None:
        own = not self.account or self.query_one("#smtp-send", Select).value == "own"
        self.query_one("#smtp-server").display = own
        login = self.query_one("#smtp-login", Select).value
        self.query_one("#smtp-password-row").display = login == "password"
        self.query_one("#smtp-command-row").display = login == "command"

    def change(self) -> SmtpChange:
        """The setting the form holds; FormInputError for what is no setting at all."""
        reply_to = saves_sent = None
        if self.account:
            reply_to = self.query_one("#smtp-reply-to", Input).value.strip()
            saves_sent = self.query_one("#smtp-saves-sent", Switch).value
            if self.query_one("#smtp-send", Select).value == "system":
                return SmtpChange(use_system=True, reply_to=reply_to,
                                  server_saves_sent=saves_sent)
        login = self.query_one("#smtp-login", Select).value
        command = self.query_one("#smtp-password-command", Input).value.strip()
        if login == "command" and not command:
            raise FormInputError("give the password command, or choose another login")
        password = self.query_one("#smtp-password", SecretInput).typed
        return SmtpChange(
            host=self.query_one("#smtp-host", Input).value.strip() or None,
            port=int_or_none(self.query_one("#smtp-port", Input).value, "--port"),
            security=str(self.query_one("#smtp-security", Select).value),
            username=self.query_one("#smtp-username", Input).value.strip() or None,
            password=password if login == "password" else None,
            password_command=command if login == "command" else None,
            no_auth=login == "none",
            ca_file=self.query_one("#smtp-ca-file", Input).value.strip() or None,
            verify_cert=self.query_one("#smtp-verify", Switch).value,
            reply_to=reply_to or "",
            server_saves_sent=bool(saves_sent),
        )

    def forget_password(self) -> None:
        self.query_one("#smtp-password", SecretInput).forget()


class _SmtpSection(SettingsSection):
    account = True

    def fields(self) -> ComposeResult:
        yield Static(Content(""), classes="settings-text smtp-now")
        yield SmtpForm(account=self.account)

    @property
    def form(self) -> SmtpForm:
        return self.query_one(SmtpForm)

    def show(self, config: SmtpConfig | None) -> None:
        self.form.fill(config)
        self.query_one(".smtp-now", Static).update(Content(describe(config)))

    def save(self) -> None:
        try:
            change = self.form.change()
        except FrontdeskError as exc:
            self.refused(exc)
            return
        self.run_change(self.write(change))

    async def write(self, change: SmtpChange) -> str:
        config = await self.configure(change)
        self.form.forget_password()
        self.show(config)
        return f"Saved. {describe(config)}"

    async def configure(self, change: SmtpChange) -> SmtpConfig:
        raise NotImplementedError


class SmtpSection(_SmtpSection):
    """An account's SMTP, and a test message."""

    def __init__(self, service: Service, agent: Agent, name: str, *,
                 id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("Sending from ", "bold"), (one_line(name), "bold")), id=id)
        self.account_name = name

    def fields(self) -> ComposeResult:
        yield from super().fields()
        yield Static(Content("Send a test message now:"), classes="settings-subheading")
        yield FieldRow("Test to", Input(id="smtp-test-to", placeholder="an address"))

    def more_buttons(self) -> ComposeResult:
        yield Button(Content("Send a test"), classes="smtp-test")

    async def read(self) -> None:
        self.show(await self.service.smtp_config(self.agent, self.account_name))

    async def configure(self, change: SmtpChange) -> SmtpConfig:
        return await self.service.configure_smtp(self.agent, self.account_name, change)

    def submitted(self, field: Input) -> None:
        if field.id == "smtp-test-to":
            self.send_test()
        else:
            super().submitted(field)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("smtp-test"):
            event.stop()
            self.send_test()

    def send_test(self) -> None:
        to = self.query_one("#smtp-test-to", Input).value.strip()
        if not to:
            self.note.error("give the address the test goes to")
            return
        self.test_send(to)

    @work(exclusive=True, group="settings-test", exit_on_error=False)
    async def test_send(self, to: str) -> None:
        self.note.done(f"Sending a test to {to}…")
        try:
            message_id = await self.service.test_send(self.agent, self.account_name, to)
        except FrontdeskError as exc:
            self.refused(exc)
            return
        self.note.done(f"Sent: the server took the test message {message_id} for {to}.")


class SystemSmtpSection(_SmtpSection):
    """The system SMTP (admins): accounts set to "the system SMTP" send through it."""

    account = False

    def __init__(self, service: Service, agent: Agent, *, id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("System SMTP", "bold"), "\n",
            ("Accounts set to send through the system SMTP use this server.", "dim")), id=id)

    async def read(self) -> None:
        self.show(await self.service.system_smtp(self.agent))

    async def configure(self, change: SmtpChange) -> SmtpConfig:
        return await self.service.configure_system_smtp(self.agent, change)
