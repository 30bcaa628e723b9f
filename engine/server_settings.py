"""What every mail server's connection settings must hold, whatever the protocol: a
known security mode, a port in range, a positive timeout. IMAP, POP3 and SMTP settings
check themselves with these, each naming its protocol in the one-line error."""

from __future__ import annotations

from collections.abc import Mapping

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


def check_endpoint(protocol: str, security: str, port: int, timeout: float,
                   ports: Mapping[str, int]) -> None:
    """Refuse an unknown security mode, a port out of range or a timeout not above 0."""
    usual_port(protocol, security, ports)
    if not 0 < port < 65536:
        raise InvalidInputError(f"{protocol} port {port} is out of range (1-65535)")
    if timeout <= 0:
        raise InvalidInputError(f"{protocol} timeout must be positive")
