"""What every mail server's connection settings must hold, whatever the protocol: a
known security mode, a port in range, a positive timeout. IMAP, POP3 and SMTP settings
check themselves with these, each naming its protocol in the one-line error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from engine.errors import InvalidInputError

SECURITY_MODES = ("ssl", "starttls", "none")


def usual_port(protocol: str, security: str, ports: Mapping[str, int]) -> int:
    """The port `ports` gives `security`; InvalidInputError for an unknown mode."""
    try:
        return ports[security]
    except KeyError:
        raise InvalidInputError(
            f"unknown {protocol} security {security!r}: use one of {', '.join(SECURITY_MODES)}"
        ) from None


@dataclass(frozen=True)
class MailboxServer:
    """Where and how to reach a server that holds a mailbox (IMAP, POP3); never the
    password. Each protocol's subclass names itself and its usual ports."""

    PROTOCOL: ClassVar[str] = "mail"
    PORTS: ClassVar[Mapping[str, int]] = {"ssl": 0, "starttls": 0, "none": 0}

    host: str
    port: int
    security: str  # "ssl" | "starttls" | "none"
    username: str
    verify_cert: bool = True
    ca_file: str | None = None  # PEM bundle to trust instead of the system store
    timeout: float = 30.0  # socket timeout, seconds

    def __post_init__(self) -> None:
        check_endpoint(self.PROTOCOL, self.security, self.port, self.timeout, self.PORTS)

    @property
    def address(self) -> str:
        """host:port, as error messages name the server."""
        return f"{self.host}:{self.port}"


def check_endpoint(protocol: str, security: str, port: int, timeout: float,
                   ports: Mapping[str, int]) -> None:
    """Refuse an unknown security mode, a port out of range or a timeout not above 0."""
    usual_port(protocol, security, ports)
    check_port_and_timeout(protocol, port, timeout)


def check_port_and_timeout(protocol: str, port: int, timeout: float) -> None:
    """Refuse a port out of range or a timeout not above 0."""
    if not 0 < port < 65536:
        raise InvalidInputError(f"{protocol} port {port} is out of range (1-65535)")
    if timeout <= 0:
        raise InvalidInputError(f"{protocol} timeout must be positive")
