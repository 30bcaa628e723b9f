"""What a sign-in needs to know about a provider: the admin's client registration,
its endpoints, and the scopes mail needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.secrets import mask

MICROSOFT = "microsoft"
GOOGLE = "google"
PROVIDERS = (MICROSOFT, GOOGLE)

# msal adds offline_access, openid and profile itself (passing them raises ValueError).
MICROSOFT_SCOPES = (
    "https://outlook.office.com/IMAP.AccessAsUser.All",
    "https://outlook.office.com/SMTP.Send",
)
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
GOOGLE_SCOPE = "https://mail.google.com/"
GOOGLE_AUTH_URI = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


@dataclass(frozen=True, repr=False)
class ProviderConfig:
    """An admin's registration with one provider, its client secret decrypted."""

    provider: str  # MICROSOFT | GOOGLE
    client_id: str
    client_secret: str | None = None
    tenant: str | None = None  # Microsoft
    authority: str | None = None  # Microsoft: overrides login.microsoftonline.com/{tenant}
    auth_uri: str | None = None  # Google: overrides GOOGLE_AUTH_URI
    token_uri: str | None = None  # Google: overrides GOOGLE_TOKEN_URI
    ca_file: str | None = None  # PEM bundle to trust for the endpoints

    @property
    def microsoft_authority(self) -> str:
        """The msal authority URL."""
        return self.authority or MICROSOFT_AUTHORITY.format(tenant=self.tenant or "organizations")

    @property
    def google_auth_uri(self) -> str:
        """Where the browser goes to consent."""
        return self.auth_uri or GOOGLE_AUTH_URI

    @property
    def google_token_uri(self) -> str:
        """Where codes and refresh tokens are exchanged."""
        return self.token_uri or GOOGLE_TOKEN_URI

    def __repr__(self) -> str:
        secret = None if self.client_secret is None else mask(self.client_secret)
        return (f"ProviderConfig(provider={self.provider!r}, client_id={self.client_id!r}, "
                f"client_secret={secret!r}, tenant={self.tenant!r})")


@dataclass(frozen=True, repr=False)
class Grant:
    """What a sign-in or a refresh yields."""

    access_token: str
    expires_at: datetime  # timezone-aware, UTC
    user: str | None  # whom the token was issued to, when the provider says
    state: str  # what to keep (encrypted) to refresh later: msal's cache, or Google's JSON

    def __repr__(self) -> str:
        return f"Grant(user={self.user!r}, expires_at={self.expires_at.isoformat()!r})"


@dataclass(frozen=True)
class ServerPreset:
    """Where a provider's mailboxes are served, for an account that names no server."""

    imap_host: str
    imap_port: int
    smtp_host: str
    smtp_port: int
    smtp_security: str


# Both file what SMTP sends in the Sent folder themselves: no APPEND after sending.
PRESETS = {
    MICROSOFT: ServerPreset("outlook.office365.com", 993, "smtp.office365.com", 587,
                            "starttls"),
    GOOGLE: ServerPreset("imap.gmail.com", 993, "smtp.gmail.com", 587, "starttls"),
}
