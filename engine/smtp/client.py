"""Sending mail through one SMTP server, with every failure sorted by what to do next.

The functions here block (smtplib): run them in a worker thread (``asyncio.to_thread``),
never on the event loop. Each call opens its own connection, so calls from several
threads never share a socket.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import re
import smtplib
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engine.errors import InvalidInputError
from engine.sanitize import sanitize_line
from engine.sasl import (
    OAUTHBEARER_ERROR_ACK,
    XOAUTH2_ERROR_ACK,
    oauthbearer_response,
    xoauth2_response,
)
from engine.smtp.errors import (
    Refusal,
    SmtpAuthError,
    SmtpConfigError,
    SmtpError,
    SmtpRecipientsRefused,
    SmtpRejected,
    SmtpTemporary,
)
from engine.smtp.settings import SmtpSettings
from engine.tls import client_context

log = logging.getLogger(__name__)

# Saying goodbye to a healthy server takes milliseconds; a dead one must not hold a
# finished send.
_QUIT_TIMEOUT = 5.0
# Server text quoted in an error message: enough for a reason, not a page of junk.
_MAX_SERVER_TEXT = 200
# The longest command line a server must accept, CRLF included (RFC 5321 4.5.3.1.4).
_MAX_COMMAND_LINE = 512
_LINE_END = re.compile(rb"\r\n|\r|\n")
_ADDRESS_FORBIDDEN = re.compile(r"[\r\n\x00]")
# SSL errors that mean the peer went away mid-handshake, not that TLS itself is wrong.
_TLS_INTERRUPTED = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


@dataclass(frozen=True)
class SendReport:
    """What the server did with one message it accepted.

    ``refused`` maps each recipient refused while others were accepted to the refusal, in
    the order given (a 4xx refusal may pass on a later attempt to that recipient alone);
    ``reply`` is the server's final answer to the message, e.g. ``250 2.0.0 Ok: queued
    as 4F1A``.
    """

    accepted: tuple[str, ...]
    refused: dict[str, Refusal]
    reply: str | None


# -- public ----------------------------------------------------------------------------------


def send(
    settings: SmtpSettings, *, sender: str, recipients: Sequence[str], raw: bytes
) -> SendReport:
    """Send *raw* (the RFC 5322 message as it must arrive: no Bcc header) from *sender*
    (the envelope MAIL FROM) to every address in *recipients* (Bcc ones included).

    Line endings are normalised to CRLF; otherwise the server receives *raw* byte for
    byte. Repeated recipients are sent to once. Blocks: call it in a worker thread.

    Raises SmtpTemporary (retry later), SmtpAuthError, SmtpConfigError, SmtpRejected or
    SmtpRecipientsRefused (see their ``permanent``), and InvalidInputError for an empty
    or malformed envelope. If the connection drops after the whole message went out but
    before the server answered, the outcome is unknown and SmtpTemporary is raised: a
    retry may deliver a second copy with the same Message-ID.
    """
    targets = _check_envelope(sender, recipients)
    data = _crlf(raw)
    with _session(settings) as smtp:
        return _transfer(smtp, settings, sender, targets, data)


def check(settings: SmtpSettings) -> list[str]:
    """Connect, secure, greet and (when ``auth``) log in, then return the server's EHLO
    capabilities as offered on the connection mail would use, e.g. ``["SIZE 35882577",
    "8BITMIME", "AUTH LOGIN PLAIN"]``. Sends nothing. Raises as send() does."""
    with _session(settings) as smtp:
        return [f"{name.upper()} {value}".strip() for name, value in smtp.esmtp_features.items()]


# -- the session -----------------------------------------------------------------------------


@contextlib.contextmanager
def _session(settings: SmtpSettings) -> Iterator[smtplib.SMTP]:
    """A connected, secured, greeted and logged-in session; every failure inside the
    block becomes an SmtpError. Closed on the way out (QUIT only after success)."""
    if settings.auth and not (settings.username and (settings.password or settings.bearer)):
        raise SmtpConfigError(
            f"authentication is on for {settings.address} but no username or password is "
            "set: set them with `frontdesk account smtp NAME ...`, or turn authentication off",
            host=settings.host,
            port=settings.port,
        )
    smtp: smtplib.SMTP | None = None
    finished = False
    try:
        smtp = _connect(settings)
        _secure_and_login(smtp, settings)
        yield smtp
        finished = True
    except SmtpError:
        raise
    except OSError as exc:  # smtplib's, ssl's and socket errors all are
        raise _classify(exc, settings) from exc
    finally:
        if smtp is not None:
            _close(smtp, polite=finished)


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    s = settings
    if s.security == "ssl":
        return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=_ssl_context(s))
    return smtplib.SMTP(s.host, s.port, timeout=s.timeout)


def _secure_and_login(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    smtp.ehlo_or_helo_if_needed()
    if settings.security == "starttls":
        if not smtp.has_extn("starttls"):
            # Going on in clear would send the password and the mail unprotected.
            raise _config(
                settings,
                f"{settings.address} does not offer STARTTLS: use --security ssl (usually "
                "port 465), or --security none only on a trusted network",
            )
        smtp.starttls(context=_ssl_context(settings))
        # What the server offers (AUTH above all) may change once the channel is private.
        smtp.ehlo_or_helo_if_needed()
    if settings.auth:
        _login(smtp, settings)


def _login(smtp: smtplib.SMTP, settings: SmtpSettings) -> None:
    if not smtp.has_extn("auth"):
        hint = (
            "use --security starttls or ssl (many servers offer AUTH only over TLS)"
            if settings.security == "none"
            else "turn authentication off if the server needs none"
        )
        raise _config(settings, f"{settings.address} does not offer AUTH: {hint}")
    offered = smtp.esmtp_features["auth"].upper().split()
    if settings.bearer is not None:
        code, reply = _bearer_auth(smtp, settings, offered)
        secret = "OAuth2 token"
    else:
        code, reply = _password_auth(smtp, settings, offered)
        secret = "password"
    if code in (235, 503):  # 503: already authenticated
        return
    text = _reply(code, reply, settings)
    if 400 <= code < 500:
        raise _temporary(
            settings,
            f"{settings.address} could not check the {secret} now ({text}): try again later",
        )
    if code == 538:
        raise _config(
            settings,
            f"{settings.address} accepts a {secret} only over TLS ({text}): use --security "
            "starttls or ssl",
        )
    raise SmtpAuthError(host=settings.host, port=settings.port, reply=text,
                        token=settings.bearer is not None,
                        account=settings.bearer.account if settings.bearer else None)


def _password_auth(
    smtp: smtplib.SMTP, settings: SmtpSettings, offered: list[str]
) -> tuple[int, bytes]:
    """AUTH PLAIN or LOGIN; the server's final reply."""
    # smtplib's login() encodes credentials as ASCII; PLAIN and LOGIN are UTF-8 in
    # practice (RFC 4616), so non-ASCII passwords need this small implementation.
    user = settings.username.encode("utf-8")
    password = (settings.password or "").encode("utf-8")
    if "PLAIN" in offered:
        plain = _b64(b"\0" + user + b"\0" + password)
        code, reply = smtp.docmd("AUTH", f"PLAIN {plain}")
        if code == 334:  # the server wants the response after an empty challenge
            code, reply = smtp.docmd(plain)
    elif "LOGIN" in offered:
        code, reply = smtp.docmd("AUTH", f"LOGIN {_b64(user)}")
        if code == 334:
            code, reply = smtp.docmd(_b64(password))
    else:
        raise _config(
            settings,
            f"{settings.address} offers no password login this client supports "
            f"(AUTH {' '.join(offered) or 'with no mechanism'}; PLAIN or LOGIN needed): "
            "ask the server's administrator which login to use",
        )
    return code, reply


def _bearer_auth(
    smtp: smtplib.SMTP, settings: SmtpSettings, offered: list[str]
) -> tuple[int, bytes]:
    """AUTH XOAUTH2, or OAUTHBEARER when only that is offered; the server's final reply."""
    mechanism, response, ack = _bearer_mechanism(settings, offered)
    initial = f"{mechanism} {_b64(response)}"
    if len(f"AUTH {initial}\r\n") <= _MAX_COMMAND_LINE:
        code, reply = smtp.docmd("AUTH", initial)
    else:  # too long for a command line (RFC 4954 4): answer an empty challenge instead
        code, reply = smtp.docmd("AUTH", mechanism)
        if code == 334:
            code, reply = smtp.docmd(_b64(response))
    if code == 334:  # a refusal's details come as a challenge; the answer ends the exchange
        code, reply = smtp.docmd(_b64(ack))
    return code, reply


def _bearer_mechanism(settings: SmtpSettings, offered: list[str]) -> tuple[str, bytes, bytes]:
    """(mechanism, initial response, answer to an error challenge) for the bearer login."""
    assert settings.bearer is not None
    user, token = settings.username, settings.bearer.token
    try:
        if "XOAUTH2" in offered:
            return "XOAUTH2", xoauth2_response(user, token), XOAUTH2_ERROR_ACK
        if "OAUTHBEARER" in offered:
            return "OAUTHBEARER", oauthbearer_response(user, token), OAUTHBEARER_ERROR_ACK
    except InvalidInputError as exc:
        raise _config(settings, str(exc)) from None
    raise _config(
        settings,
        f"{settings.address} offers no OAuth2 login (AUTH "
        f"{' '.join(offered) or 'with no mechanism'}; XOAUTH2 or OAUTHBEARER needed): "
        "log in with a password, or check the host",
    )


def _transfer(
    smtp: smtplib.SMTP,
    settings: SmtpSettings,
    sender: str,
    recipients: tuple[str, ...],
    data: bytes,
) -> SendReport:
    options: list[str] = []
    if smtp.has_extn("size"):
        options.append(f"SIZE={len(data)}")
    if smtp.has_extn("8bitmime") and not data.isascii():
        options.append("BODY=8BITMIME")
    if not all(address.isascii() for address in (sender, *recipients)):
        if not smtp.has_extn("smtputf8"):
            raise _rejected(
                settings,
                f"{settings.address} does not accept non-ASCII addresses (no SMTPUTF8): "
                "use the addresses' ASCII form",
            )
        options.append("SMTPUTF8")

    code, reply = smtp.mail(sender, options)
    if code != 250:
        raise _refused_at("MAIL FROM", code, reply, settings, sender)

    accepted: list[str] = []
    refused: dict[str, Refusal] = {}
    for address in recipients:
        code, reply = smtp.rcpt(address)
        if code in (250, 251):
            accepted.append(address)
        elif code == 421:  # the server is closing the connection
            raise _refused_at("RCPT TO", code, reply, settings, sender)
        else:
            refused[address] = Refusal(address, code, _server_text(reply, settings))
    if not accepted:
        raise SmtpRecipientsRefused(refused.values(), host=settings.host, port=settings.port)

    # data() raises SMTPDataError when the server does not answer DATA with 354.
    code, reply = smtp.data(data)
    if code != 250:
        raise _refused_at("DATA", code, reply, settings, sender)
    log.debug("sent %d bytes to %d recipients via %s", len(data), len(accepted), settings.address)
    return SendReport(tuple(accepted), refused, _reply(code, reply, settings))


def _close(smtp: smtplib.SMTP, *, polite: bool) -> None:
    # The send already succeeded or failed: nothing here may change that outcome.
    if polite:
        try:
            if smtp.sock is not None:
                smtp.sock.settimeout(min(_QUIT_TIMEOUT, smtp.timeout))
            smtp.quit()
            return
        except Exception as exc:
            log.debug("QUIT failed: %s", exc)
    with contextlib.suppress(Exception):
        smtp.close()


# -- helpers ---------------------------------------------------------------------------------


def _check_envelope(sender: str, recipients: Sequence[str]) -> tuple[str, ...]:
    if isinstance(recipients, str):
        raise InvalidInputError("recipients must be a list of addresses, not one string")
    if _ADDRESS_FORBIDDEN.search(sender):
        raise InvalidInputError("the sender address contains a line break or NUL")
    unique = tuple(dict.fromkeys(address.strip() for address in recipients))
    if not unique or not all(unique):
        raise InvalidInputError("no recipient to send to: give at least one address")
    for address in unique:
        if _ADDRESS_FORBIDDEN.search(address):
            raise InvalidInputError(
                f"recipient {sanitize_line(address)!r} contains a line break or NUL"
            )
    return unique


def _crlf(raw: bytes) -> bytes:
    # SMTP requires CRLF; smtplib sends bytes unchanged and only appends a final CRLF.
    data = _LINE_END.sub(b"\r\n", raw)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ssl_context(settings: SmtpSettings) -> ssl.SSLContext:
    try:
        return client_context(verify_cert=settings.verify_cert, ca_file=settings.ca_file)
    except (OSError, ValueError) as exc:
        raise _config(
            settings,
            f"cannot load the CA file {settings.ca_file!r} ({_exc_text(exc)}): "
            "pass a readable PEM bundle with --ca-file",
        ) from exc


def _server_text(reply: bytes | str, settings: SmtpSettings) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    text = sanitize_line(text)
    for secret in (settings.password, settings.bearer and settings.bearer.token):
        if secret:
            text = text.replace(secret, "***")  # servers do not echo it; be sure anyway
    if len(text) > _MAX_SERVER_TEXT:
        text = text[: _MAX_SERVER_TEXT - 1] + "…"
    return text


def _reply(code: int, reply: bytes | str, settings: SmtpSettings) -> str:
    text = _server_text(reply, settings)
    return f"{code} {text}" if text else str(code)


def _exc_text(exc: BaseException) -> str:
    return sanitize_line(str(exc)) or type(exc).__name__


def _temporary(settings: SmtpSettings, message: str) -> SmtpTemporary:
    return SmtpTemporary(message, host=settings.host, port=settings.port)


def _config(settings: SmtpSettings, message: str) -> SmtpConfigError:
    return SmtpConfigError(message, host=settings.host, port=settings.port)


def _rejected(settings: SmtpSettings, message: str) -> SmtpRejected:
    return SmtpRejected(message, host=settings.host, port=settings.port)


def _refused_at(
    stage: str, code: int, reply: bytes | str, settings: SmtpSettings, sender: str
) -> SmtpError:
    """The error for a reply other than success to *stage* (a command, or "greeting")."""
    where = settings.address
    text = _reply(code, reply, settings)
    if not 500 <= code < 600:
        return _temporary(settings, f"{where} answered {stage} with {text}: try again later")
    if code == 530 and "STARTTLS" in text.upper():
        return _config(settings, f"{where} requires STARTTLS ({text}): use --security starttls")
    if code == 530:
        return _config(
            settings,
            f"{where} requires authentication ({text}): turn authentication on with the "
            "server's username and password",
        )
    if code == 552 or " 5.3.4" in f" {text}":
        return _rejected(
            settings,
            f"{where} refused the message as too big ({text}): send smaller or fewer attachments",
        )
    if stage == "MAIL FROM":
        return _rejected(
            settings,
            f"{where} refused the sender {sanitize_line(sender)!r} ({text}): check that this "
            "account may send as that address",
        )
    if stage == "DATA":
        return _rejected(
            settings,
            f"{where} refused the message ({text}): sending it unchanged will fail again",
        )
    return _rejected(
        settings, f"{where} refused {stage} ({text}): check the host, port and security mode"
    )


def _classify(exc: OSError, settings: SmtpSettings) -> SmtpError:
    """Sort an smtplib, ssl or socket failure into the SmtpError that says what to do."""
    where = settings.address
    # smtplib's exceptions are OSErrors too: look at them first.
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        # smtplib turns a timeout or reset while reading a reply into this; say which.
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, OSError) and not isinstance(cause, smtplib.SMTPException):
            return _classify(cause, settings)
        return _temporary(
            settings, f"{where} closed the connection ({_exc_text(exc)}): try again later"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        stage = {
            smtplib.SMTPConnectError: "the connection",
            smtplib.SMTPHeloError: "EHLO",
            smtplib.SMTPDataError: "DATA",
            smtplib.SMTPSenderRefused: "MAIL FROM",
        }.get(type(exc), "STARTTLS" if settings.security == "starttls" else "a command")
        return _refused_at(stage, exc.smtp_code, exc.smtp_error, settings, "")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _config(settings, f"{where} does not support {_exc_text(exc)}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = sanitize_line(exc.verify_message or str(exc))
        return _config(
            settings,
            f"certificate of {where} not trusted ({reason}): pass the CA file with "
            "--ca-file PEM, or --no-verify-cert",
        )
    if isinstance(exc, _TLS_INTERRUPTED):
        return _temporary(settings, f"TLS handshake with {where} was interrupted: try again later")
    if isinstance(exc, ssl.SSLError):
        return _config(
            settings,
            f"TLS with {where} failed ({_exc_text(exc)}): check the security mode (ssl "
            "usually on port 465, starttls on 587)",
        )
    if isinstance(exc, ConnectionRefusedError):
        return _temporary(
            settings,
            f"{where} refused the connection: check the host and port, and that the server "
            "runs; try again later",
        )
    if isinstance(exc, TimeoutError):
        return _temporary(
            settings,
            f"no answer from {where} within {settings.timeout:g} s: check the host, port, "
            "firewall and security mode (ssl usually on port 465, starttls on 587)",
        )
    if isinstance(exc, socket.gaierror):
        # Kept temporary: a resolver outage must not fail queued mail for good.
        return _temporary(
            settings, f"cannot resolve {settings.host!r} ({_exc_text(exc)}): check the host name"
        )
    if isinstance(exc, smtplib.SMTPException):
        return _temporary(
            settings, f"{where} did not talk SMTP as expected ({_exc_text(exc)}): try again later"
        )
    return _temporary(settings, f"connection to {where} failed ({_exc_text(exc)}): try again later")
