"""The IMAP defaults (admins): the server personal accounts use for what they leave
empty, and the check interval of accounts added without one. The form holds the whole
setting; Save replaces it through Service.set_imap_defaults, with the checks of
`frontdesk imap defaults`. An emptied field is unset."""

from __future__ import annotations

from typing import Protocol

from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Input, Select, Static

from engine.errors import FrontdeskError
from engine.models import Agent, ImapDefaultsChange
from engine.service import Service
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import FieldRow, int_or_none, one_line

UNSET = "-"
SECURITY_CHOICES = [(Content("not set"), UNSET), (Content("ssl (implicit TLS)"), "ssl"),
                    (Content("starttls"), "starttls"), (Content("none (plain text)"), "none")]


class _Defaults(Protocol):
    """The IMAP defaults as the engine reports them."""

    @property
    def host(self) -> str | None: ...

    @property
    def port(self) -> int | None: ...

    @property
    def security(self) -> str | None: ...

    @property
    def ca_file(self) -> str | None: ...

    @property
    def check_every_minutes(self) -> int | None: ...

    @property
    def updated_by(self) -> str | None: ...

    @property
    def updated_at(self) -> str | None: ...


class ImapDefaultsSection(SettingsSection):
    """Host, port, security, CA file and check interval."""

    def __init__(self, service: Service, agent: Agent, *, id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("IMAP defaults", "bold"), "\n",
            ("Personal accounts use these for what they leave empty; a change reaches "
             "every such account.", "dim")), id=id)
        self.start = ImapDefaultsChange()

    def fields(self) -> ComposeResult:
        yield FieldRow("IMAP host", Input(id="imapd-host", placeholder="empty: none"))
        yield FieldRow("Port", Input(id="imapd-port", type="integer",
                                     placeholder="empty: 993 with ssl, 143 otherwise"))
        yield FieldRow("Security", Select(SECURITY_CHOICES, value=UNSET, allow_blank=False,
                                          id="imapd-security"))
        yield FieldRow("CA file", Input(id="imapd-ca-file",
                                        placeholder="a PEM bundle to trust; empty: none"))
        yield FieldRow("Check every", Input(id="imapd-check-every", type="integer",
                                            placeholder="empty: 5"), hint="minutes")
        yield Static(Content(""), id="imapd-by", classes="settings-text")

    async def read(self) -> None:
        self.show(await self.service.get_imap_defaults(self.agent))

    def show(self, defaults: _Defaults) -> None:
        port, minutes = defaults.port, defaults.check_every_minutes
        self.query_one("#imapd-host", Input).value = one_line(defaults.host or "")
        self.query_one("#imapd-port", Input).value = "" if port is None else str(port)
        self.query_one("#imapd-security", Select).value = defaults.security or UNSET
        self.query_one("#imapd-ca-file", Input).value = one_line(defaults.ca_file or "")
        self.query_one("#imapd-check-every", Input).value = "" if minutes is None \
            else str(minutes)
        self.start = self.change()
        by, at = defaults.updated_by, defaults.updated_at
        self.query_one("#imapd-by", Static).update(Content(
            f"Set by {one_line(by or '-')} at {one_line(at or '-')}." if at else
            "No IMAP defaults: every account names its own server."))

    def change(self) -> ImapDefaultsChange:
        security = self.query_one("#imapd-security", Select).value
        return ImapDefaultsChange(
            host=self.query_one("#imapd-host", Input).value.strip() or None,
            port=int_or_none(self.query_one("#imapd-port", Input).value, "--port"),
            security=security if isinstance(security, str) and security != UNSET else None,
            ca_file=self.query_one("#imapd-ca-file", Input).value.strip() or None,
            check_every_minutes=int_or_none(
                self.query_one("#imapd-check-every", Input).value, "--check-every"),
            clear=True,
        )

    def save(self) -> None:
        try:
            change = self.change()
        except FrontdeskError as exc:
            self.refused(exc)
            return
        if change == self.start:
            self.note.done("Nothing to change.")
            return
        self.run_change(self.write(change))

    async def write(self, change: ImapDefaultsChange) -> str:
        self.show(await self.service.set_imap_defaults(self.agent, change))
        return "Saved the IMAP defaults."
