"""The OAuth2 clients Microsoft 365 and Gmail accounts sign in through (admins), as
`frontdesk oauth set|list|remove`: Service.oauth_providers, set_oauth_provider and
remove_oauth_provider. The client secret is typed into a masked field and never shown:
the engine says only whether one is stored; left empty, it is kept."""

from __future__ import annotations

from typing import Protocol

from textual import on
from textual.app import ComposeResult
from textual.content import Content
from textual.widgets import Button, Input, OptionList, Select, Static, Switch
from textual.widgets.option_list import Option

from engine.models import Agent, OAuthProviderChange
from engine.service import Service
from tui.screens.dialogs import Confirm
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import FieldRow, SecretInput, one_line

PROVIDERS = ("microsoft", "google")
TEXT_FIELDS = ("client_id", "tenant", "authority", "auth_uri", "token_uri", "ca_file")


class _Provider(Protocol):
    """A registration as the engine reports it (no secret)."""

    @property
    def provider(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def tenant(self) -> str | None: ...

    @property
    def authority(self) -> str | None: ...

    @property
    def auth_uri(self) -> str | None: ...

    @property
    def token_uri(self) -> str | None: ...

    @property
    def ca_file(self) -> str | None: ...

    @property
    def has_secret(self) -> bool: ...

    @property
    def updated_at(self) -> str: ...


def provider_label(row: _Provider) -> Content:
    where = row.tenant or row.authority or row.token_uri or ""
    return Content.assemble(
        (f"{row.provider:<10} ", "bold"), f"{one_line(row.client_id):<40} ",
        (one_line(where), "dim"), ("  secret stored" if row.has_secret else "", "dim"))


class OAuthSection(SettingsSection):
    """Highlight a provider to edit its registration; Save registers what the form
    holds."""

    def __init__(self, service: Service, agent: Agent, *, id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("OAuth2 providers", "bold"), "\n",
            ("microsoft: an Entra app's client id and tenant; google: a Desktop app's "
             "client id and secret.", "dim")), id=id)
        self.rows: list[_Provider] = []

    def fields(self) -> ComposeResult:
        yield OptionList(id="oauth-list")
        yield FieldRow("Provider", Select([(Content(p), p) for p in PROVIDERS],
                                          value="microsoft", allow_blank=False,
                                          id="oauth-provider"))
        yield FieldRow("Client id", Input(id="oauth-client_id"))
        yield FieldRow("Tenant", Input(id="oauth-tenant",
                                       placeholder="microsoft: the tenant id or organizations"))
        yield FieldRow("Authority", Input(id="oauth-authority",
                                          placeholder="microsoft: another authority URL"))
        yield FieldRow("Auth URI", Input(id="oauth-auth_uri",
                                         placeholder="google: the authorization endpoint"))
        yield FieldRow("Token URI", Input(id="oauth-token_uri",
                                          placeholder="google: the token endpoint"))
        yield FieldRow("CA file", Input(id="oauth-ca_file",
                                        placeholder="a PEM bundle to trust for the endpoints"))
        yield FieldRow("Client secret", SecretInput(id="oauth-secret"))
        yield FieldRow("Remove the secret", Switch(False, id="oauth-no-secret"),
                       hint="microsoft public clients need none")
        yield Static(Content(""), id="oauth-state", classes="settings-text")

    def more_buttons(self) -> ComposeResult:
        yield Button(Content("Remove provider…"), variant="error", classes="oauth-remove")

    async def read(self) -> None:
        self.rows = list(await self.service.oauth_providers(self.agent))
        shown = self.query_one("#oauth-list", OptionList)
        shown.clear_options()
        if not self.rows:
            shown.add_option(Option(Content("No provider is registered."), disabled=True))
            self._fill(None)
            return
        shown.add_options(Option(provider_label(r)) for r in self.rows)
        shown.highlighted = 0
        self._fill(self.rows[0])

    @on(OptionList.OptionHighlighted, "#oauth-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if 0 <= event.option_index < len(self.rows):
            self._fill(self.rows[event.option_index])

    @on(Select.Changed, "#oauth-provider")
    def _provider_changed(self, event: Select.Changed) -> None:
        self._fill(next((r for r in self.rows if r.provider == event.value), None))

    def _fill(self, row: _Provider | None) -> None:
        if row is not None:
            self.query_one("#oauth-provider", Select).value = row.provider
        for name in TEXT_FIELDS:
            value = getattr(row, name) if row is not None else None
            self.query_one(f"#oauth-{name}", Input).value = one_line(value or "")
        secret = self.query_one("#oauth-secret", SecretInput)
        secret.forget()
        secret.show_stored(row is not None and row.has_secret, "secret")
        self.query_one("#oauth-no-secret", Switch).value = False
        self.query_one("#oauth-state", Static).update(Content(
            f"{row.provider}: registered {one_line(row.updated_at)}" if row is not None
            else "Fill in the form and save to register a provider."))

    def change(self) -> OAuthProviderChange:
        text = {name: self.query_one(f"#oauth-{name}", Input).value.strip()
                for name in TEXT_FIELDS}
        secret = self.query_one("#oauth-secret", SecretInput).typed
        if self.query_one("#oauth-no-secret", Switch).value:
            secret = ""
        return OAuthProviderChange(
            provider=str(self.query_one("#oauth-provider", Select).value),
            client_id=text["client_id"],
            tenant=text["tenant"] or None, authority=text["authority"] or None,
            auth_uri=text["auth_uri"] or None, token_uri=text["token_uri"] or None,
            ca_file=text["ca_file"] or None, client_secret=secret)

    def save(self) -> None:
        self.run_change(self.write(self.change()))

    async def write(self, change: OAuthProviderChange) -> str:
        row = await self.service.set_oauth_provider(self.agent, change)
        self.query_one("#oauth-secret", SecretInput).forget()
        await self.read()
        at = next((n for n, r in enumerate(self.rows) if r.provider == row.provider), None)
        if at is not None:
            self.query_one("#oauth-list", OptionList).highlighted = at
            self._fill(self.rows[at])
        secret = " with its secret" if row.has_secret else ""
        return f"{row.provider}: client {one_line(row.client_id)} registered{secret}."

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if not event.button.has_class("oauth-remove"):
            return
        event.stop()
        provider = str(self.query_one("#oauth-provider", Select).value)

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_change(self.remove_provider(provider))

        self.app.push_screen(Confirm(f"Remove the {provider} client? Accounts can no longer "
                                     "sign in through it.", yes="remove", no="keep"),
                             answered)

    async def remove_provider(self, provider: str) -> str:
        await self.service.remove_oauth_provider(self.agent, provider)
        await self.read()
        return f"{provider}: client removed."
