"""Provider presets: the servers and sign-in methods of the big mail providers, found
from an address's domain (gmail.com) or from the domain's MX hosts (a company domain
hosted by Google Workspace or Microsoft 365).

The Gmail and Microsoft 365 IMAP and SMTP hosts come from engine.oauth.config.PRESETS,
where OAuth2 accounts find their servers, so the two never disagree. Presets are plain
frozen values: the setup wizard lists `PROVIDER_PRESETS` and shows `auth` and
`app_password_hint` to the person adding an account.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.oauth.config import GOOGLE, MICROSOFT, PRESETS
from engine.server_settings import SECURITY_MODES

SECURITY = SECURITY_MODES  # the modes an endpoint's `security` may be

# What a preset's `auth` may offer.
PASSWORD = "password"  # the mailbox's own password
APP_PASSWORD = "app_password"  # a password made for one mail client in the provider's settings
OAUTH2 = "oauth2"  # sign in with OAuth2 (`frontdesk account add --oauth PROVIDER`)
AUTH_METHODS = (PASSWORD, APP_PASSWORD, OAUTH2)

# Username forms, as in Mozilla autoconfig files.
FULL_ADDRESS = "%EMAILADDRESS%"

CUSTOM = "custom"


@dataclass(frozen=True)
class Endpoint:
    """Where one protocol is served: host, port and TLS (ssl: TLS from the first byte;
    starttls: upgraded after the greeting; none: no TLS)."""

    host: str
    port: int
    security: str  # ssl | starttls | none


@dataclass(frozen=True)
class ProviderPreset:
    """One mail provider's settings. `oauth` is the OAuth2 provider id of
    engine.oauth.config (and of `--oauth`) when `auth` offers oauth2; `app_password_hint`
    says where to make an app password ("" when the provider has none to offer);
    `username` is the login's form, a template as in Mozilla autoconfig."""

    id: str
    name: str
    domains: tuple[str, ...]
    imap: Endpoint | None
    pop3: Endpoint | None
    smtp: Endpoint | None
    auth: tuple[str, ...]
    oauth: str | None = None
    app_password_hint: str = ""
    username: str = FULL_ADDRESS
    mx_suffixes: tuple[str, ...] = ()  # MX hosts ending so are this provider's
    hosted_name: str = ""  # its name for a company's own domain it hosts


def _oauth_endpoints(provider: str) -> tuple[Endpoint, Endpoint]:
    """The IMAP and SMTP endpoints an OAuth2 account of `provider` uses."""
    servers = PRESETS[provider]
    return (Endpoint(servers.imap_host, servers.imap_port, "ssl"),
            Endpoint(servers.smtp_host, servers.smtp_port, servers.smtp_security))


_GOOGLE_IMAP, _GOOGLE_SMTP = _oauth_endpoints(GOOGLE)
_MICROSOFT_IMAP, _MICROSOFT_SMTP = _oauth_endpoints(MICROSOFT)

GMAIL = ProviderPreset(
    id="gmail",
    name="Gmail",
    domains=("gmail.com", "googlemail.com"),
    imap=_GOOGLE_IMAP,
    pop3=Endpoint("pop.gmail.com", 995, "ssl"),
    smtp=_GOOGLE_SMTP,
    auth=(OAUTH2, APP_PASSWORD),
    oauth=GOOGLE,
    app_password_hint="Google: turn on 2-Step Verification, then make an app password at "
    "https://myaccount.google.com/apppasswords",
    mx_suffixes=("google.com", "googlemail.com"),
    hosted_name="Google Workspace",
)

MICROSOFT_365 = ProviderPreset(
    id="microsoft",
    name="Microsoft 365 / Outlook.com",
    domains=("outlook.com", "hotmail.com", "live.com", "msn.com", "outlook.de",
             "outlook.fr", "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.it",
             "live.co.uk", "live.fr", "live.de"),
    imap=_MICROSOFT_IMAP,
    pop3=Endpoint(_MICROSOFT_IMAP.host, 995, "ssl"),
    smtp=_MICROSOFT_SMTP,
    auth=(OAUTH2,),
    oauth=MICROSOFT,
    mx_suffixes=("mail.protection.outlook.com",),
    hosted_name="Microsoft 365",
)

YAHOO = ProviderPreset(
    id="yahoo",
    name="Yahoo Mail",
    domains=("yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr",
             "yahoo.de", "yahoo.es", "yahoo.it", "yahoo.ca", "yahoo.com.au", "yahoo.com.br",
             "yahoo.in"),
    imap=Endpoint("imap.mail.yahoo.com", 993, "ssl"),
    pop3=Endpoint("pop.mail.yahoo.com", 995, "ssl"),
    smtp=Endpoint("smtp.mail.yahoo.com", 465, "ssl"),
    auth=(APP_PASSWORD,),
    app_password_hint="Yahoo: make an app password under Account security at "
    "https://login.yahoo.com/account/security",
)

ICLOUD = ProviderPreset(
    id="icloud",
    name="iCloud Mail",
    domains=("icloud.com", "me.com", "mac.com"),
    imap=Endpoint("imap.mail.me.com", 993, "ssl"),
    pop3=None,  # iCloud offers no POP3
    smtp=Endpoint("smtp.mail.me.com", 587, "starttls"),
    auth=(APP_PASSWORD,),
    app_password_hint="Apple: make an app-specific password under Sign-In and Security at "
    "https://account.apple.com",
)

FASTMAIL = ProviderPreset(
    id="fastmail",
    name="Fastmail",
    domains=("fastmail.com", "fastmail.fm", "fastmail.cn", "fastmail.co.uk", "fastmail.de",
             "fastmail.es", "fastmail.in", "fastmail.jp", "fastmail.net", "fastmail.nl",
             "fastmail.se", "fastmail.to", "fastmail.tw", "fastmail.us", "messagingengine.com",
             "sent.com"),
    imap=Endpoint("imap.fastmail.com", 993, "ssl"),
    pop3=Endpoint("pop.fastmail.com", 995, "ssl"),
    smtp=Endpoint("smtp.fastmail.com", 465, "ssl"),
    auth=(APP_PASSWORD,),
    app_password_hint="Fastmail: make an app password under Settings > Privacy & Security "
    "> Manage app passwords and access, at https://app.fastmail.com/settings/security",
)

CUSTOM_PRESET = ProviderPreset(
    id=CUSTOM,
    name="Other mail server",
    domains=(),
    imap=None,
    pop3=None,
    smtp=None,
    auth=(PASSWORD,),
)

PROVIDER_PRESETS: tuple[ProviderPreset, ...] = (
    GMAIL, MICROSOFT_365, YAHOO, ICLOUD, FASTMAIL, CUSTOM_PRESET)

_BY_ID = {preset.id: preset for preset in PROVIDER_PRESETS}
_BY_DOMAIN = {domain: preset for preset in PROVIDER_PRESETS for domain in preset.domains}


def preset_by_id(preset_id: str) -> ProviderPreset | None:
    """The preset named `preset_id` ("gmail", "microsoft", ..., "custom"), or None."""
    return _BY_ID.get(preset_id)


def preset_for_domain(domain: str) -> ProviderPreset | None:
    """The preset of a provider's own domain (gmail.com -> Gmail), or None."""
    return _BY_DOMAIN.get(domain.strip().rstrip(".").lower())


def preset_for_mx(mx_hosts: Iterable[str]) -> tuple[ProviderPreset, str] | None:
    """The preset of a domain hosted by a provider, judged by its MX hosts (Google
    Workspace: MX under google.com or googlemail.com; Microsoft 365: MX under
    mail.protection.outlook.com), with the MX host that told; None when no MX host is a
    provider's."""
    for host in mx_hosts:
        name = host.strip().rstrip(".").lower()
        for preset in PROVIDER_PRESETS:
            if any(name == suffix or name.endswith("." + suffix)
                   for suffix in preset.mx_suffixes):
                return preset, name
    return None


def preset_for_host(host: str) -> ProviderPreset | None:
    """The preset whose IMAP, POP3 or SMTP host is `host` (a custom domain whose
    autoconfig names outlook.office365.com is Microsoft 365's), or None."""
    name = host.strip().rstrip(".").lower()
    for preset in PROVIDER_PRESETS:
        if any(e is not None and e.host == name for e in (preset.imap, preset.pop3, preset.smtp)):
            return preset
    return None


def fill_username(template: str, address: str) -> str:
    """A username template with %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN%
    replaced from `address`."""
    local, _, domain = address.rpartition("@")
    return (template.replace("%EMAILADDRESS%", address)
            .replace("%EMAILLOCALPART%", local)
            .replace("%EMAILDOMAIN%", domain))
