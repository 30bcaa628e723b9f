"""The values discovery takes and gives: plain frozen dataclasses that cross the Service
boundary (engine.models re-exports them)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.setup.choices import DEFAULT_TIMEOUT
from engine.setup.presets import ProviderPreset

# Where discovery found its answer (Discovery.source).
SOURCE_PRESET = "preset"
SOURCE_MX = "mx"
SOURCE_AUTOCONFIG = "autoconfig"
SOURCE_SRV = "srv"
SOURCE_GUESS = "guess"
SOURCES = (SOURCE_PRESET, SOURCE_MX, SOURCE_AUTOCONFIG, SOURCE_SRV, SOURCE_GUESS)


@dataclass(frozen=True)
class PortProbe:
    """A port the last step (guessing host names) tries with a TCP connect, and the
    protocol and TLS it stands for."""

    protocol: str  # imap | pop3 | smtp
    port: int
    security: str  # ssl | starttls | none


DEFAULT_PROBES = (
    PortProbe("imap", 993, "ssl"),
    PortProbe("imap", 143, "starttls"),
    PortProbe("pop3", 995, "ssl"),
    PortProbe("pop3", 110, "starttls"),
    PortProbe("smtp", 465, "ssl"),
    PortProbe("smtp", 587, "starttls"),
)


@dataclass(frozen=True)
class DiscoveryNetwork:
    """How discovery reaches the network.

    nameserver: (IP, port) of the DNS server to ask, None for the system's.
    timeout: seconds for each step (a DNS query, one autoconfig fetch, one connect).
    autoconfig_url: a known config-v1.1.xml to read first, instead of the usual places.
    http_port / https_port: fetch autoconfig URLs built from the domain on this port
    instead of 80 / 443 (None: the standard port).
    probes: the ports tried when guessing host names.
    ca_file: a PEM bundle to trust for HTTPS instead of the system's.
    ispdb: whether to ask Thunderbird's ISPDB (autoconfig.thunderbird.net) too; it then
    learns the domain.
    """

    nameserver: tuple[str, int] | None = None
    timeout: float = DEFAULT_TIMEOUT
    autoconfig_url: str | None = None
    http_port: int | None = None
    https_port: int | None = None
    probes: tuple[PortProbe, ...] = DEFAULT_PROBES
    ca_file: str | None = None
    ispdb: bool = True


DEFAULT_NETWORK = DiscoveryNetwork()


@dataclass(frozen=True)
class ServerGuess:
    """A server found for one protocol, with the login for the address. `auth` holds
    the autoconfig file's authentication names as given (password-cleartext, OAuth2, ...)
    and is empty for other sources."""

    protocol: str  # imap | pop3 | smtp
    host: str
    port: int
    security: str  # ssl | starttls | none
    username: str
    auth: tuple[str, ...] = ()


@dataclass(frozen=True)
class AuthHints:
    """How the account will log in. methods: among password, app_password and oauth2,
    in the order the provider prefers (empty: unknown, most likely the password);
    oauth: the OAuth2 provider id for `--oauth` when oauth2 is offered; app_password_hint:
    where to make an app password ("" when there is nothing to say)."""

    methods: tuple[str, ...] = ()
    oauth: str | None = None
    app_password_hint: str = ""


@dataclass(frozen=True)
class Discovery:
    """What discovery learnt about an address.

    source: where the servers came from (one of SOURCES), None when nothing was found.
    provider: a name to show for the provider ("" when none is known).
    preset: the provider preset the servers belong to, if any (also set when an
    autoconfig file names a preset's servers).
    imap, pop3, smtp: the best server found for each (None: not found).
    tried: one line per thing tried and what came of it, in order.
    """

    address: str
    domain: str
    source: str | None
    provider: str
    preset: ProviderPreset | None
    imap: ServerGuess | None
    pop3: ServerGuess | None
    smtp: ServerGuess | None
    auth: AuthHints
    tried: tuple[str, ...]

    @property
    def found(self) -> bool:
        """Whether an incoming server (IMAP or POP3) was found."""
        return self.imap is not None or self.pop3 is not None
