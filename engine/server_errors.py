"""What a mailbox server's connection errors say, whatever the protocol (IMAP, POP3): the
server's own words as one safe bounded line, and a one-line reason with a hint for a
connection that could not be made. Each protocol names itself and its usual ports
through its settings (PROTOCOL, PORTS)."""

from __future__ import annotations

import re
import socket
import ssl

from engine.sanitize import sanitize_line
from engine.server_settings import MailboxServer
from engine.tls import client_context

# Server text quoted in an error message: enough for a reason, not a page of junk.
_MAX_SERVER_TEXT = 200
_BYTES_REPR = re.compile(r"b(['\"])(.*)\1", re.DOTALL)


def server_text(exc: BaseException, secret: str | None = None, *,
                unquote: bool = False) -> str:
    """The server's words from an error, one safe bounded line, never the secret.

    With `unquote`, text that is wholly a bytes repr (b'...', as imaplib and imapclient
    often wrap the server's bytes) is unwrapped first."""
    arg = exc.args[0] if len(exc.args) == 1 else None
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(exc)
    if unquote:
        quoted = _BYTES_REPR.fullmatch(text)
        if quoted:
            text = quoted[2]
    text = sanitize_line(text).strip()
    if secret:
        text = text.replace(secret, "***")  # servers do not echo it; be sure anyway
    if len(text) > _MAX_SERVER_TEXT:
        text = text[: _MAX_SERVER_TEXT - 1] + "…"
    return text or type(exc).__name__


def connect_error_message(
    exc: BaseException,
    settings: MailboxServer,
    *,
    protocol_errors: tuple[type[BaseException], ...],
    hint_host_for: tuple[type[BaseException], ...] = (BaseException,),
    unquote: bool = False,
) -> str:
    """Why connecting to `settings` failed, with what to check.

    `protocol_errors` are the client library's errors for a server that did not talk the
    protocol; any other failure gets the "check the host and port" hint when it is one of
    `hint_host_for`."""
    where = settings.address
    ports = settings.PORTS
    usual = (f"ssl usually on port {ports['ssl']}, starttls or none on "
             f"{ports['starttls']}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = sanitize_line(exc.verify_message or str(exc))
        return (
            f"certificate of {where} not trusted ({reason}): pass --ca-file PEM or --no-verify-cert"
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS handshake with {where} failed ({server_text(exc, unquote=unquote)}): check "
            f"the security mode ({usual})"
        )
    if isinstance(exc, socket.gaierror):
        return (f"cannot resolve {settings.host!r} ({server_text(exc, unquote=unquote)}): "
                "check the host name")
    if isinstance(exc, ConnectionRefusedError):
        return f"{where} refused the connection: check the host and port, and that the server runs"
    if isinstance(exc, TimeoutError):
        return (
            f"no answer from {where} within {settings.timeout:g} s: check the host, port, "
            f"firewall and security mode ({usual})"
        )
    if isinstance(exc, protocol_errors):
        return (
            f"{where} did not talk {settings.PROTOCOL} as expected "
            f"({server_text(exc, unquote=unquote)}): check the port and security mode"
        )
    if isinstance(exc, hint_host_for):
        return (f"cannot connect to {where} ({server_text(exc, unquote=unquote)}): check the "
                "host and port")
    return f"cannot connect to {where} ({server_text(exc, unquote=unquote)})"


def tls_context(settings: MailboxServer, error: type[Exception], *,
                unquote: bool = False) -> ssl.SSLContext:
    """The client TLS context `settings` ask for; `error` when the CA file cannot be
    loaded."""
    try:
        return client_context(verify_cert=settings.verify_cert, ca_file=settings.ca_file)
    except (OSError, ValueError) as exc:
        raise error(
            f"cannot load the CA file {settings.ca_file!r} "
            f"({server_text(exc, unquote=unquote)}): pass a readable PEM bundle"
        ) from exc
