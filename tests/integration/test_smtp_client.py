"""The SMTP client against a real in-process SMTP server, in every security mode."""

from __future__ import annotations

import pickle
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from engine.errors import FrontdeskError, InvalidInputError
from engine.smtp import (
    Refusal,
    SmtpAuthError,
    SmtpConfigError,
    SmtpError,
    SmtpRecipientsRefused,
    SmtpRejected,
    SmtpSettings,
    SmtpTemporary,
    check,
    default_port,
    send,
)
from tests.servers import smtp as smtp_servers
from tests.servers.smtp import HOST, Received, SmtpServer

pytestmark = pytest.mark.integration

# The fixtures live with the server; importing them here makes them available.
smtp_server = smtp_servers.smtp_server
smtp_server_factory = smtp_servers.smtp_server_factory

ALICE = "alice@example.com"
TO = "zoe@customer.example"
CC = "yann@customer.example"
BCC = "boss@example.com"
MODES = ["none", "starttls", "ssl"]

# What a composer hands over: CRLF, no Bcc header, a line that needs dot-stuffing,
# and 8-bit UTF-8 in the body.
RAW = (
    b"From: Alice <alice@example.com>\r\n"
    b"To: Zoe <zoe@customer.example>\r\n"
    b"Cc: yann@customer.example\r\n"
    b"Subject: Your order\r\n"
    b"Message-ID: <order-1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Hello Zoe,\r\n"
    b".a line that starts with a dot\r\n"
    b".\r\n"
    b"Gr\xc3\xbc\xc3\x9fe\r\n"
)


def settings_for(server: SmtpServer, user: str = ALICE, **overrides: Any) -> SmtpSettings:
    security = {"none": "none", "starttls": "starttls", "ssl": "ssl"}[server.mode]
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "security": security,
        "auth": True,
        "username": user,
        "password": server.users.get(user),
        "ca_file": server.ca_file,
        "verify_cert": True,
        "timeout": 5.0,
    }
    values.update(overrides)
    return SmtpSettings(**values)


def send_one(settings: SmtpSettings, *recipients: str, raw: bytes = RAW) -> Any:
    return send(settings, sender=ALICE, recipients=list(recipients or (TO,)), raw=raw)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never says a word."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        sock.listen(8)
        yield sock.getsockname()[1]


# -- sending -------------------------------------------------------------------------------


@pytest.mark.parametrize("smtp_server", MODES, indirect=True)
def test_send_delivers_the_exact_bytes_to_every_envelope_recipient(
    smtp_server: SmtpServer,
) -> None:
    report = send_one(settings_for(smtp_server), TO, CC, BCC)

    assert smtp_server.received == [
        Received(sender=ALICE, recipients=(TO, CC, BCC), raw=RAW, login=ALICE)
    ]
    assert b"boss@" not in smtp_server.received[0].raw
    assert report.accepted == (TO, CC, BCC)
    assert report.refused == {}
    assert report.reply is not None and report.reply.startswith("250 ")


def test_bare_newlines_become_crlf_and_a_final_one_is_added(smtp_server: SmtpServer) -> None:
    send_one(settings_for(smtp_server), raw=b"Subject: lf\n\nline one\nline two")

    assert smtp_server.received[0].raw == b"Subject: lf\r\n\r\nline one\r\nline two\r\n"


def test_repeated_recipients_are_sent_to_once(smtp_server: SmtpServer) -> None:
    report = send_one(settings_for(smtp_server), TO, CC, TO)

    assert report.accepted == (TO, CC)
    assert smtp_server.received[0].recipients == (TO, CC)


def test_plain_server_without_auth(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory("none", mechanisms=())

    send_one(settings_for(server, auth=False, password=None))

    assert server.received[0].login is None


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_non_ascii_password_with_each_mechanism(
    smtp_server_factory: Callable[..., SmtpServer], mechanism: str
) -> None:
    server = smtp_server_factory("starttls", users={ALICE: "pässwörd-ß€"}, mechanisms=(mechanism,))

    send_one(settings_for(server))

    assert server.received[0].login == ALICE


def test_non_ascii_recipient_uses_smtputf8(smtp_server: SmtpServer) -> None:
    send_one(settings_for(smtp_server), "jürgen@example.com")

    assert smtp_server.received[0].recipients == ("jürgen@example.com",)


# -- authentication ------------------------------------------------------------------------


@pytest.mark.parametrize("smtp_server", MODES, indirect=True)
def test_wrong_password_is_a_permanent_auth_error(smtp_server: SmtpServer) -> None:
    wrong = "not-the-password-42"
    settings = settings_for(smtp_server, password=wrong)

    with pytest.raises(SmtpAuthError) as caught:
        send_one(settings)

    error = caught.value
    assert error.permanent
    assert error.host == smtp_server.host
    assert smtp_server.host in str(error)
    assert "535" in str(error)
    assert wrong not in str(error)
    assert "\n" not in str(error)
    error.account = "support"
    assert "`frontdesk account smtp support" in str(error)
    assert smtp_server.received == []


def test_unknown_user_is_an_auth_error(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpAuthError):
        send_one(settings_for(smtp_server, username="mallory@example.com", password="x"))


def test_auth_on_but_server_offers_none(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory("none", mechanisms=())

    with pytest.raises(SmtpConfigError, match="does not offer AUTH") as caught:
        send_one(settings_for(server, password="pw"))

    assert caught.value.permanent


def test_server_requires_auth_but_it_is_off(
    smtp_server_factory: Callable[..., SmtpServer],
) -> None:
    server = smtp_server_factory("starttls", auth_required=True)

    with pytest.raises(SmtpConfigError, match="requires authentication") as caught:
        send_one(settings_for(server, auth=False))

    assert caught.value.permanent
    assert server.received == []


def test_auth_without_a_password_fails_before_connecting(silent_port: int) -> None:
    settings = SmtpSettings(
        host=HOST, port=silent_port, security="none", auth=True, username=ALICE, password=None
    )

    started = time.monotonic()
    with pytest.raises(SmtpConfigError, match="no username or password"):
        send_one(settings)
    assert time.monotonic() - started < 1.0


# -- recipients and the message ------------------------------------------------------------


def test_one_refused_recipient_is_named_in_the_report(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(CC)

    report = send_one(settings_for(smtp_server), TO, CC)

    assert report.accepted == (TO,)
    assert list(report.refused) == [CC]
    refusal = report.refused[CC]
    assert isinstance(refusal, Refusal)
    assert (refusal.code, refusal.permanent) == (550, True)
    assert "Recipient address rejected" in refusal.reply
    assert smtp_server.received[0].recipients == (TO,)


def test_all_recipients_refused(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(TO)
    smtp_server.refuse(CC)

    with pytest.raises(SmtpRecipientsRefused) as caught:
        send_one(settings_for(smtp_server), TO, CC)

    error = caught.value
    assert error.permanent
    assert list(error.refused) == [TO, CC]
    assert TO in str(error) and CC in str(error) and "550" in str(error)
    assert smtp_server.received == []


def test_recipients_refused_for_now_are_temporary(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(TO, "450 4.2.1 Mailbox busy, try later")

    with pytest.raises(SmtpRecipientsRefused) as caught:
        send_one(settings_for(smtp_server), TO)

    assert not caught.value.permanent
    assert "try again later" in str(caught.value)


def test_message_too_big_is_rejected(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory("starttls", data_size_limit=2000)
    raw = RAW + (b"y" * 70 + b"\r\n") * 50

    with pytest.raises(SmtpRejected, match="too big") as caught:
        send_one(settings_for(server), raw=raw)

    assert caught.value.permanent
    assert server.received == []


@pytest.mark.parametrize(
    ("sender", "recipients"),
    [(ALICE, []), (ALICE, ["a@example.com\r\nRCPT TO:<x@evil.example>"]), ("a\n@b", [TO])],
)
def test_malformed_envelope_is_refused_before_connecting(
    silent_port: int, sender: str, recipients: list[str]
) -> None:
    settings = SmtpSettings(
        host=HOST, port=silent_port, security="none", auth=False, username="", password=None
    )

    with pytest.raises(InvalidInputError):
        send(settings, sender=sender, recipients=recipients, raw=RAW)


# -- connection, TLS and retries -----------------------------------------------------------


def test_server_down_is_temporary_then_sending_works_again(smtp_server: SmtpServer) -> None:
    settings = settings_for(smtp_server)
    port = smtp_server.port
    smtp_server.stop()

    with pytest.raises(SmtpTemporary) as caught:
        send_one(settings)
    assert not caught.value.permanent
    assert f"{HOST}:{port}" in str(caught.value)

    smtp_server.start()
    assert smtp_server.port == port
    send_one(settings)
    assert len(smtp_server.received) == 1


def test_silent_server_times_out_as_temporary(silent_port: int) -> None:
    settings = SmtpSettings(
        host=HOST,
        port=silent_port,
        security="none",
        auth=False,
        username="",
        password=None,
        timeout=0.3,
    )

    with pytest.raises(SmtpTemporary, match="no answer") as caught:
        send_one(settings)
    assert not caught.value.permanent


def test_starttls_required_but_not_offered(smtp_server_factory: Callable[..., SmtpServer]) -> None:
    server = smtp_server_factory("none")

    with pytest.raises(SmtpConfigError, match="does not offer STARTTLS") as caught:
        send_one(settings_for(server, security="starttls"))

    assert caught.value.permanent
    assert server.received == []


def test_plain_client_against_a_starttls_only_server(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpConfigError, match="requires STARTTLS"):
        send_one(settings_for(smtp_server, security="none", auth=False))


def test_implicit_tls_against_a_plain_server(
    smtp_server_factory: Callable[..., SmtpServer],
) -> None:
    server = smtp_server_factory("none")

    with pytest.raises(SmtpConfigError, match="security mode") as caught:
        send_one(settings_for(server, security="ssl"))

    assert caught.value.permanent


@pytest.mark.parametrize("smtp_server", ["starttls", "ssl"], indirect=True)
def test_untrusted_certificate_says_to_pass_the_ca_file(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpConfigError) as caught:
        send_one(settings_for(smtp_server, ca_file=None))

    message = str(caught.value)
    assert caught.value.permanent
    assert "--ca-file" in message and "--no-verify-cert" in message
    assert "not trusted" in message
    assert smtp_server.received == []


@pytest.mark.parametrize("smtp_server", ["starttls", "ssl"], indirect=True)
def test_no_verify_cert_sends_without_the_ca_file(smtp_server: SmtpServer) -> None:
    send_one(settings_for(smtp_server, ca_file=None, verify_cert=False))

    assert len(smtp_server.received) == 1


def test_unreadable_ca_file_is_a_config_error(smtp_server: SmtpServer, tmp_path: Any) -> None:
    with pytest.raises(SmtpConfigError, match="CA file"):
        send_one(settings_for(smtp_server, ca_file=str(tmp_path / "missing.pem")))


# -- check, settings -----------------------------------------------------------------------


@pytest.mark.parametrize("smtp_server", MODES, indirect=True)
def test_check_lists_capabilities_after_login(smtp_server: SmtpServer) -> None:
    capabilities = check(settings_for(smtp_server))

    auth = [c for c in capabilities if c.split()[0] == "AUTH"]
    assert auth and {"LOGIN", "PLAIN"} <= set(auth[0].split()[1:])
    assert "8BITMIME" in capabilities
    assert "STARTTLS" not in capabilities  # already secured, or never offered
    assert smtp_server.received == []


def test_check_reports_a_wrong_password(smtp_server: SmtpServer) -> None:
    with pytest.raises(SmtpAuthError):
        check(settings_for(smtp_server, password="wrong"))


def test_repr_masks_the_password() -> None:
    password = "s3cret-Pa55"
    settings = SmtpSettings(
        host="smtp.example.com",
        port=587,
        security="starttls",
        auth=True,
        username=ALICE,
        password=password,
    )

    assert password not in repr(settings)
    assert password not in str(settings)
    assert "smtp.example.com" in repr(settings)


def test_default_ports_and_bad_settings() -> None:
    assert [default_port(m) for m in ("ssl", "starttls", "none")] == [465, 587, 25]
    with pytest.raises(InvalidInputError):
        default_port("tls")
    with pytest.raises(InvalidInputError):
        SmtpSettings(host="h", port=0, security="ssl", auth=False, username="", password=None)


def test_errors_belong_to_the_engine_hierarchy() -> None:
    for cls in (SmtpAuthError, SmtpConfigError, SmtpRecipientsRefused, SmtpRejected):
        assert issubclass(cls, SmtpError) and issubclass(cls, FrontdeskError)
    assert SmtpTemporary.permanent is False
    assert SmtpAuthError.permanent and SmtpConfigError.permanent and SmtpRejected.permanent


def test_starttls_client_on_an_implicit_tls_port_hints_at_the_mode(
    smtp_server_factory: Callable[..., SmtpServer],
) -> None:
    server = smtp_server_factory("ssl")

    with pytest.raises(SmtpTemporary, match="security mode") as caught:
        send_one(settings_for(server, security="starttls", timeout=0.3))

    assert not caught.value.permanent


def test_errors_survive_pickling(smtp_server: SmtpServer) -> None:
    smtp_server.refuse(TO)
    with pytest.raises(SmtpRecipientsRefused) as refused:
        send_one(settings_for(smtp_server), TO)
    with pytest.raises(SmtpAuthError) as auth:
        send_one(settings_for(smtp_server, password="wrong"))
    auth.value.account = "support"

    for error in (refused.value, auth.value):
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert (copy.host, copy.port, copy.permanent) == (error.host, error.port, error.permanent)
