"""OAuth2 bearer-token logins (OAUTHBEARER, XOAUTH2) against servers that check the token.

Dovecot validates the test tokens offline (tests.servers.dovecot.OAuthValidation), for
IMAP and for its submission service, which relays to an in-process SMTP sink. A small
aiosmtpd server that refuses tokens the way Gmail does (a 334 JSON challenge before the
final 535) covers what Dovecot 2.3.19 never sends.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session
from imapclient import IMAPClient

from engine.credentials import BearerToken
from engine.errors import ImapAuthError, ImapConnectError
from engine.imap import ImapConnection, ImapSettings, list_folders
from engine.smtp import SmtpAuthError, SmtpConfigError, SmtpSettings, send
from tests.conftest import require_binary
from tests.servers.dovecot import (
    DOVECOT_BIN,
    HOST,
    SUBMISSION_BIN,
    DovecotServer,
    OAuthValidation,
    free_ports,
    start_dovecot,
)
from tests.servers.jwt_tokens import TokenSigner

pytestmark = pytest.mark.integration

ALICE = "alice@example.com"
BOB = "bob@example.com"
CUSTOMER = "zoe@customer.example"
ACCOUNT = "work"
ISSUER = "https://login.example.test/tenant/v2.0"
CLIENT_ID = "frontdesk.example-app"
RAW = (
    f"From: {ALICE}\r\nTo: {CUSTOMER}\r\nSubject: Your order\r\n"
    "Message-ID: <oauth-1@example.com>\r\n\r\nHello Zoe\r\n"
).encode()


# -- servers -----------------------------------------------------------------------------------


class _Sink:
    """Where Dovecot's submission service relays to."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.port = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@contextlib.contextmanager
def _running(handler: Any, **kwargs: Any) -> Iterator[Controller]:
    """An aiosmtpd server for *handler* on a free port (SMTP keyword arguments in *kwargs*)."""
    controller = Controller(handler, hostname=HOST, port=free_ports(1)[0], **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def signer() -> TokenSigner:
    return TokenSigner(issuer=ISSUER, audience=CLIENT_ID)


@pytest.fixture(scope="module")
def sink() -> Iterator[_Sink]:
    handler = _Sink()
    with _running(handler) as controller:
        handler.port = controller.port
        yield handler


def _start(**kwargs: Any) -> Iterator[DovecotServer]:
    require_binary(DOVECOT_BIN, "dovecot-imapd")
    server = start_dovecot(**kwargs)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def oauth_dovecot(signer: TokenSigner, sink: _Sink) -> Iterator[DovecotServer]:
    """Both OAuth mechanisms for IMAP, and a submission service relaying to *sink*."""
    require_binary(SUBMISSION_BIN, "dovecot-submissiond")
    oauth = OAuthValidation(issuer=ISSUER, client_id=CLIENT_ID, key=signer.key)
    yield from _start(oauth=oauth, submission_relay=(HOST, sink.port))


@pytest.fixture(scope="module")
def xoauth2_dovecot(signer: TokenSigner) -> Iterator[DovecotServer]:
    """A server offering XOAUTH2 as its only OAuth mechanism, as Microsoft 365 does."""
    oauth = OAuthValidation(ISSUER, CLIENT_ID, signer.key, mechanisms=("xoauth2",))
    yield from _start(oauth=oauth)


# -- helpers -----------------------------------------------------------------------------------


def imap_settings(server: DovecotServer, user: str = ALICE) -> ImapSettings:
    return ImapSettings(
        host=server.host,
        port=server.ssl_port,
        security="ssl",
        username=user,
        ca_file=str(server.cafile),
        timeout=5.0,
    )


def bearer(token: str, user: str = ALICE) -> BearerToken:
    return BearerToken(user=user, token=token, account=ACCOUNT)


def log_offset(server: DovecotServer) -> int:
    assert server.log is not None
    return server.log.stat().st_size if server.log.exists() else 0


def logged_since(server: DovecotServer, offset: int, text: str, within: float = 2.0) -> bool:
    """Whether *text* shows up in the server log after *offset* (the auth process logs
    asynchronously, so give it a moment)."""
    assert server.log is not None
    deadline = time.monotonic() + within
    while True:
        with open(server.log, "rb") as log:
            log.seek(offset)
            if text in log.read().decode("utf-8", "replace"):
                return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)


def assert_secret_free(message: str, token: str) -> None:
    assert token not in message
    signature = token.rsplit(".", 1)[-1]
    assert not signature or signature not in message
    assert "\n" not in message


# -- IMAP --------------------------------------------------------------------------------------


async def test_imap_oauthbearer_login_lists_and_selects(
    oauth_dovecot: DovecotServer, signer: TokenSigner
) -> None:
    offset = log_offset(oauth_dovecot)
    conn = ImapConnection(imap_settings(oauth_dovecot), name=f"oauth-{uuid.uuid4().hex[:8]}")
    await conn.open(bearer(signer.mint(ALICE)))
    try:
        folders = {f.name: f for f in await list_folders(conn)}
        assert folders["Sent"].role == "sent"
        status = await conn.call_in_folder("INBOX", lambda c: c.folder_status("INBOX"))
        assert b"MESSAGES" in status
    finally:
        await conn.close()
    assert logged_since(oauth_dovecot, offset, f"user=<{ALICE}>, method=OAUTHBEARER")


async def test_imap_xoauth2_login_where_oauthbearer_is_not_offered(
    xoauth2_dovecot: DovecotServer, signer: TokenSigner
) -> None:
    offset = log_offset(xoauth2_dovecot)
    conn = ImapConnection(imap_settings(xoauth2_dovecot), name=f"oauth-{uuid.uuid4().hex[:8]}")
    await conn.open(bearer(signer.mint(ALICE)))
    try:
        assert "INBOX" in {f.name for f in await list_folders(conn)}
        await conn.call_in_folder("Sent", lambda c: c.noop(), readonly=True)
    finally:
        await conn.close()
    assert logged_since(xoauth2_dovecot, offset, f"user=<{ALICE}>, method=XOAUTH2")


# Each bad token, and the reason Dovecot logs for refusing it (so the test knows the
# token was refused for that reason, not for a broken setup).
BAD_TOKENS: dict[str, tuple[Callable[[TokenSigner], str], str]] = {
    "expired": (lambda s: s.mint(ALICE, lifetime=-60), "Token has expired"),
    "wrong issuer": (
        lambda s: s.mint(ALICE, issuer="https://evil.example/v2.0"),
        "is not allowed",
    ),
    "wrong audience": (
        lambda s: s.mint(ALICE, audience="someone-else", extra={"azp": CLIENT_ID}),
        "client_id not found in aud field",
    ),
    "wrong signature": (lambda s: s.mint(ALICE, key=os.urandom(32)), "Incorrect JWT signature"),
    "alg none": (lambda s: s.mint(ALICE, alg="none"), "Unsupported algorithm"),
    "another user": (lambda s: s.mint(BOB), "did not match"),
}


@pytest.mark.parametrize("case", list(BAD_TOKENS))
async def test_imap_bad_token_is_refused(
    oauth_dovecot: DovecotServer, signer: TokenSigner, case: str
) -> None:
    make, reason = BAD_TOKENS[case]
    token = make(signer)
    offset = log_offset(oauth_dovecot)
    conn = ImapConnection(imap_settings(oauth_dovecot), name=f"oauth-{uuid.uuid4().hex[:8]}")
    started = time.monotonic()
    with pytest.raises(ImapAuthError) as caught:
        await conn.open(bearer(token))
    assert time.monotonic() - started < 2.0
    message = str(caught.value)
    assert not isinstance(caught.value, ImapConnectError)
    assert "refused the OAuth2 token" in message and ALICE in message
    assert f"frontdesk account reconnect {ACCOUNT}" in message
    assert_secret_free(message, token)
    assert conn.closed
    assert logged_since(oauth_dovecot, offset, reason)


async def test_imap_server_without_oauth_says_so(
    dovecot: DovecotServer, signer: TokenSigner
) -> None:
    token = signer.mint(ALICE)
    conn = ImapConnection(imap_settings(dovecot), name=f"oauth-{uuid.uuid4().hex[:8]}")
    with pytest.raises(ImapAuthError) as caught:
        await conn.open(bearer(token))
    message = str(caught.value)
    assert "offers no OAuth2 login" in message
    assert_secret_free(message, token)
    assert conn.closed


def test_passwords_still_work_next_to_oauth(oauth_dovecot: DovecotServer) -> None:
    with oauth_dovecot.connect(ALICE) as client:
        assert isinstance(client, IMAPClient)
        client.select_folder("INBOX", readonly=True)
    started = time.monotonic()
    with pytest.raises(Exception, match="AUTHENTICATIONFAILED"):
        oauth_dovecot.client().login(ALICE, "wrong")
    assert time.monotonic() - started < 0.4  # the nodelay passdb still applies


# -- SMTP through Dovecot's submission service --------------------------------------------------


def submission_settings(server: DovecotServer, token: str, user: str = ALICE) -> SmtpSettings:
    assert server.submission_port is not None
    return SmtpSettings(
        host=server.host,
        port=server.submission_port,
        security="starttls",
        auth=True,
        username=user,
        password=None,
        ca_file=str(server.cafile),
        timeout=5.0,
        bearer=bearer(token, user),
    )


def test_smtp_xoauth2_send_is_delivered(
    oauth_dovecot: DovecotServer, signer: TokenSigner, sink: _Sink
) -> None:
    before = len(sink.envelopes)
    offset = log_offset(oauth_dovecot)
    report = send(
        submission_settings(oauth_dovecot, signer.mint(ALICE)),
        sender=ALICE,
        recipients=[CUSTOMER],
        raw=RAW,
    )
    assert report.accepted == (CUSTOMER,)
    deadline = time.monotonic() + 2
    while len(sink.envelopes) == before and time.monotonic() < deadline:
        time.sleep(0.01)
    [envelope] = sink.envelopes[before:]
    assert envelope.mail_from == ALICE
    assert envelope.rcpt_tos == [CUSTOMER]
    assert b"Subject: Your order" in (envelope.content or b"")
    assert logged_since(oauth_dovecot, offset, f"user=<{ALICE}>, method=XOAUTH2")


@pytest.mark.parametrize("case", ["expired", "wrong signature", "another user"])
def test_smtp_bad_token_is_an_auth_error(
    oauth_dovecot: DovecotServer, signer: TokenSigner, sink: _Sink, case: str
) -> None:
    make, reason = BAD_TOKENS[case]
    token = make(signer)
    before = len(sink.envelopes)
    offset = log_offset(oauth_dovecot)
    with pytest.raises(SmtpAuthError) as caught:
        send(
            submission_settings(oauth_dovecot, token), sender=ALICE, recipients=[CUSTOMER], raw=RAW
        )
    assert caught.value.permanent
    assert_secret_free(str(caught.value), token)
    assert "535" in str(caught.value)
    assert len(sink.envelopes) == before
    assert logged_since(oauth_dovecot, offset, reason)


# -- SMTP against a server that answers a refused token with a JSON challenge -------------------

_CHALLENGE = json.dumps({"status": "401", "schemes": "bearer", "scope": "https://mail.example/"})


@dataclass(frozen=True)
class _Login:
    mechanism: str
    inline: bool  # the response came with AUTH, not after an empty challenge
    response: bytes


@dataclass
class _OAuthHandler:
    """aiosmtpd hooks for XOAUTH2 and OAUTHBEARER accepting one token for one user.

    Like any server following RFC 5321 it refuses command lines over 512 octets, so a
    long token must come after an empty challenge.
    """

    user: str
    token: str
    logins: list[_Login] = field(default_factory=list)
    acks: list[bytes] = field(default_factory=list)  # the client's answers to the challenge
    received: list[Envelope] = field(default_factory=list)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        expected = f"user={self.user}\x01auth=Bearer {self.token}\x01\x01"
        return await self._check(server, "XOAUTH2", args, expected.encode())

    async def auth_OAUTHBEARER(self, server: SMTP, args: list[str]) -> AuthResult:
        expected = f"n,a={self.user},\x01auth=Bearer {self.token}\x01\x01"
        return await self._check(server, "OAUTHBEARER", args, expected.encode())

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope)
        return "250 OK"

    async def _check(
        self, server: SMTP, mechanism: str, args: list[str], expected: bytes
    ) -> AuthResult:
        inline = len(args) > 1
        response = base64.b64decode(args[1]) if inline else await server.challenge_auth("")
        if not isinstance(response, bytes):
            return AuthResult(success=False, handled=True)  # aborted; aiosmtpd answered
        self.logins.append(_Login(mechanism, inline, response))
        if response == expected:
            return AuthResult(success=True, auth_data=self.user)
        answer = await server.challenge_auth(_CHALLENGE)
        if not isinstance(answer, bytes):
            return AuthResult(success=False, handled=True)  # aborted; aiosmtpd answered
        self.acks.append(answer)
        refusal = "535 5.7.8 Username and Password not accepted"
        return AuthResult(success=False, handled=False, message=refusal)


@pytest.fixture
def fake_oauth_smtp(signer: TokenSigner) -> Iterator[Callable[..., tuple[_OAuthHandler, int]]]:
    """Start fake servers offering the given mechanisms; all stop after the test."""
    with contextlib.ExitStack() as stack:

        def start(*offered: str, token: str | None = None) -> tuple[_OAuthHandler, int]:
            handler = _OAuthHandler(user=ALICE, token=token or signer.mint(ALICE))
            excluded = [m for m in ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER") if m not in offered]
            controller = stack.enter_context(
                _running(handler, auth_require_tls=False, auth_exclude_mechanism=excluded)
            )
            return handler, controller.port

        yield start


def fake_settings(port: int, token: str) -> SmtpSettings:
    return SmtpSettings(
        host=HOST,
        port=port,
        security="none",
        auth=True,
        username=ALICE,
        password=None,
        timeout=5.0,
        bearer=bearer(token),
    )


@pytest.mark.parametrize(
    ("offered", "used"),
    [(("XOAUTH2", "OAUTHBEARER"), "XOAUTH2"), (("OAUTHBEARER", "PLAIN"), "OAUTHBEARER")],
)
def test_smtp_mechanism_choice(
    fake_oauth_smtp: Callable[..., tuple[_OAuthHandler, int]],
    offered: tuple[str, ...],
    used: str,
) -> None:
    handler, port = fake_oauth_smtp(*offered)
    send(fake_settings(port, handler.token), sender=ALICE, recipients=[CUSTOMER], raw=RAW)
    assert [login.mechanism for login in handler.logins] == [used]
    assert handler.acks == []
    assert len(handler.received) == 1


@pytest.mark.parametrize(("token", "inline"), [("ya29.short-opaque-token", True), (None, False)])
def test_smtp_long_token_waits_for_an_empty_challenge(
    fake_oauth_smtp: Callable[..., tuple[_OAuthHandler, int]], token: str | None, inline: bool
) -> None:
    handler, port = fake_oauth_smtp("XOAUTH2", token=token)  # None: a JWT, ~700 octets in AUTH
    send(fake_settings(port, handler.token), sender=ALICE, recipients=[CUSTOMER], raw=RAW)
    [login] = handler.logins
    assert login.inline is inline
    assert len(handler.received) == 1


@pytest.mark.parametrize(("mechanism", "ack"), [("XOAUTH2", b""), ("OAUTHBEARER", b"\x01")])
def test_smtp_refusal_challenge_is_answered_then_reported(
    fake_oauth_smtp: Callable[..., tuple[_OAuthHandler, int]],
    signer: TokenSigner,
    mechanism: str,
    ack: bytes,
) -> None:
    handler, port = fake_oauth_smtp(mechanism)
    token = signer.mint(ALICE, lifetime=-60)
    with pytest.raises(SmtpAuthError) as caught:
        send(fake_settings(port, token), sender=ALICE, recipients=[CUSTOMER], raw=RAW)
    assert handler.acks == [ack]
    message = str(caught.value)
    assert "535 5.7.8 Username and Password not accepted" in message
    assert_secret_free(message, token)
    assert handler.received == []


def test_smtp_server_without_oauth_is_a_config_error(
    fake_oauth_smtp: Callable[..., tuple[_OAuthHandler, int]], signer: TokenSigner
) -> None:
    _handler, port = fake_oauth_smtp("PLAIN", "LOGIN")
    token = signer.mint(ALICE)
    with pytest.raises(SmtpConfigError) as caught:
        send(fake_settings(port, token), sender=ALICE, recipients=[CUSTOMER], raw=RAW)
    message = str(caught.value)
    assert "offers no OAuth2 login" in message and "AUTH LOGIN PLAIN" in message
    assert_secret_free(message, token)


def test_smtp_settings_repr_masks_the_token(signer: TokenSigner) -> None:
    token = signer.mint(ALICE)
    settings = fake_settings(25, token)
    assert token not in repr(settings)
    assert "BearerToken(" in repr(settings)


def test_dovecot_oauth_files_hold_the_key_where_dovecot_reads_it(
    oauth_dovecot: DovecotServer, signer: TokenSigner
) -> None:
    key_file: Path = oauth_dovecot.root / "keys" / CLIENT_ID / "HS256" / "default"
    assert base64.b64decode(key_file.read_bytes()) == signer.key
    assert "OAuthValidation(" in repr(OAuthValidation(ISSUER, CLIENT_ID, signer.key))
    assert signer.key.hex() not in repr(OAuthValidation(ISSUER, CLIENT_ID, signer.key))
