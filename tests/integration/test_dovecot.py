"""The test Dovecot itself: what later integration tests rely on must hold here."""

from __future__ import annotations

import datetime as dt
import re
import smtplib
import ssl
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from tests.servers.dovecot import (
    HOST,
    SPECIAL_USE,
    SUBMISSION_BIN,
    DovecotServer,
    free_ports,
)

pytestmark = pytest.mark.integration

ALICE = "alice@example.com"
BOB = "bob@example.com"
SUPPORT = "support@example.com"


@dataclass(frozen=True)
class Item:
    """Stands in for engine.corpus.CorpusMessage (only what append_messages reads)."""

    folder: str
    raw: bytes
    flags: tuple[str, ...]
    internal_date: dt.datetime


def unique_folder(prefix: str) -> str:
    # The server is shared by the whole session; own folders keep tests independent.
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def make_message(subject: str, body: str, *, message_id: str | None = None) -> bytes:
    msg = EmailMessage(policy=SMTP)  # CRLF line ends: what IMAP stores and returns verbatim
    msg["From"] = "Zoë Customer <zoe@customer.example>"
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg["Date"] = "Tue, 14 Mar 2023 09:26:53 +0200"
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@customer.example>"
    msg.set_content(body)
    return msg.as_bytes()


def appenduid(response: bytes) -> tuple[int, int]:
    match = re.search(rb"\[APPENDUID (\d+) (\d+)\]", response)
    assert match, f"no APPENDUID in {response!r}"
    return int(match[1]), int(match[2])


def flag_set(flags: tuple[bytes, ...]) -> set[bytes]:
    # \Recent is session state the server adds on its own.
    return {f for f in flags if f != b"\\Recent"}


# -- TLS and login -------------------------------------------------------------------------


def test_imaps_login_verifies_generated_certificate(dovecot: DovecotServer) -> None:
    with dovecot.connect(ALICE) as client:
        assert isinstance(client._imap.sock, ssl.SSLSocket)
        assert client.noop()

    with pytest.raises(ssl.SSLCertVerificationError):
        dovecot.client(ssl_context=ssl.create_default_context())


def test_starttls_on_plain_port(dovecot: DovecotServer) -> None:
    plain = dovecot.client(ssl=False, starttls=False)
    try:
        assert b"STARTTLS" in plain.capabilities()
        assert not isinstance(plain._imap.sock, ssl.SSLSocket)
    finally:
        plain.logout()

    with dovecot.connect(ALICE, ssl=False) as client:
        assert isinstance(client._imap.sock, ssl.SSLSocket)
        assert client.noop()

    with pytest.raises(ssl.SSLCertVerificationError):
        dovecot.client(ssl=False, ssl_context=ssl.create_default_context())


def test_wrong_password_is_refused(dovecot: DovecotServer) -> None:
    client = dovecot.client()
    try:
        with pytest.raises(LoginError):
            client.login(ALICE, dovecot.users[ALICE] + "-wrong")
        with pytest.raises(LoginError):
            client.plain_login(ALICE, dovecot.users[ALICE] + "-wrong")  # AUTHENTICATE PLAIN
        with pytest.raises(LoginError):
            client.login("nobody@example.com", "whatever")
        # Same connection, right password: the failures cost no penalty or disconnect.
        client.login(ALICE, dovecot.users[ALICE])
    finally:
        client.logout()


# -- server features -----------------------------------------------------------------------


def test_list_reports_special_use_roles(dovecot: DovecotServer) -> None:
    with dovecot.connect(BOB) as client:
        listed = {name: flags for flags, _delim, name in client.list_folders()}
        for name, role in SPECIAL_USE.items():
            assert role.encode() in listed[name], (name, listed.get(name))
            assert client.find_special_folder(role.encode()) == name
        subscribed = {name for _flags, _delim, name in client.list_sub_folders()}
        assert set(SPECIAL_USE) <= subscribed, "special folders are auto-subscribed"


def test_capabilities_after_login(dovecot: DovecotServer) -> None:
    with dovecot.connect(ALICE) as client:
        # Ask again rather than trusting what imapclient cached before login.
        typ, data = client._imap.capability()
        assert typ == "OK"
        caps = set(data[0].upper().split())
        for wanted in (b"IDLE", b"CONDSTORE", b"QRESYNC", b"MOVE", b"UIDPLUS", b"SPECIAL-USE"):
            assert wanted in caps, wanted
        assert client.enable("QRESYNC") == [b"QRESYNC"]
        assert b"HIGHESTMODSEQ" in client.select_folder("INBOX", readonly=True)


def test_append_and_fetch_round_trip(dovecot: DovecotServer) -> None:
    folder = unique_folder("RoundTrip")
    berlin = dt.timezone(dt.timedelta(hours=2))
    cases = [
        (
            make_message("Grüße aus Köln — Rückfrage zur Bestellung ✓", "Hallo,\nnoch offen?\n"),
            (b"\\Seen",),
            dt.datetime(2023, 3, 14, 9, 26, 53, tzinfo=berlin),
        ),
        (
            make_message("Plain ASCII subject", "ascii body\n"),
            (b"\\Flagged", b"\\Answered", b"$Escalated"),
            dt.datetime(2021, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        ),
        (
            make_message("日本語の件名", "本文\n"),
            (),
            dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.UTC),
        ),
    ]
    assert b"=?utf-8?" in cases[0][0], "subject must go out RFC 2047 encoded"

    with dovecot.connect(ALICE) as client:
        client.normalise_times = False  # keep INTERNALDATE's zone so instants compare exactly
        client.create_folder(folder)
        uids: list[int] = []
        uidvalidities = set()
        for raw, flags, when in cases:
            uidvalidity, uid = appenduid(client.append(folder, raw, flags=flags, msg_time=when))
            uids.append(uid)
            uidvalidities.add(uidvalidity)

        selected = client.select_folder(folder, readonly=True)
        assert uidvalidities == {selected[b"UIDVALIDITY"]}
        assert len(set(uids)) == len(cases)
        fetched = client.fetch(uids, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])
        for uid, (raw, flags, when) in zip(uids, cases, strict=True):
            data = fetched[uid]
            assert data[b"BODY[]"] == raw
            assert flag_set(data[b"FLAGS"]) == set(flags)
            assert data[b"INTERNALDATE"] == when


# -- shared mailbox ------------------------------------------------------------------------


def test_shared_inbox_visible_to_grantee_only(dovecot: DovecotServer) -> None:
    dovecot.reset_user(SUPPORT)  # also proves the share survives a reset
    shared = dovecot.shared_name(SUPPORT)
    message_id = f"<{uuid.uuid4().hex}@customer.example>"
    with dovecot.connect(SUPPORT) as client:
        client.append("INBOX", make_message("Need help", "please\n", message_id=message_id))

    with dovecot.connect(ALICE) as client:
        assert shared in {name for _flags, _delim, name in client.list_folders()}
        selected = client.select_folder(shared)
        assert selected[b"EXISTS"] == 1
        assert selected.get(b"READ-WRITE"), "lrswite grants write access"
        [uid] = client.search(["HEADER", "Message-ID", message_id])
        assert client.fetch([uid], ["ENVELOPE"])[uid][b"ENVELOPE"].subject == b"Need help"

    with dovecot.connect(BOB) as client:
        names = [name for _flags, _delim, name in client.list_folders()]
        assert not [n for n in names if n.startswith("shared")], names
        with pytest.raises(IMAPClientError):
            client.select_folder(shared)


# -- helpers ---------------------------------------------------------------------------------


def test_append_messages_bulk(dovecot: DovecotServer) -> None:
    dovecot.reset_user(BOB)
    new_folder = unique_folder("Projects/Bulk")  # nested and absent: must be created
    folders = ["INBOX", "Archive", "Sent", new_folder]
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    items = [
        Item(
            folder=folders[i % len(folders)] if i < 150 else new_folder,
            raw=make_message(f"Bulk {i}", f"message number {i}\n"),
            flags=("\\Seen",) if i % 3 == 0 else (),
            internal_date=start + dt.timedelta(hours=i),
        )
        for i in range(200)
    ]

    assert dovecot.append_messages(BOB, items) == 200

    expected = Counter(item.folder for item in items)
    expected_seen = Counter(item.folder for item in items if item.flags)
    with dovecot.connect(BOB) as client:
        for folder in folders:
            assert client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"] == expected[folder]
            client.select_folder(folder, readonly=True)
            assert len(client.search("SEEN")) == expected_seen[folder], folder
        assert new_folder in {name for _flags, _delim, name in client.list_sub_folders()}


def test_append_messages_folder_override(dovecot: DovecotServer) -> None:
    target = unique_folder("Override")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    items = [Item("INBOX", make_message(f"o{i}", "x\n"), (), now) for i in range(3)]
    assert dovecot.append_messages(ALICE, items, folder=target) == 3
    with dovecot.connect(ALICE) as client:
        assert client.folder_status(target, ["MESSAGES"])[b"MESSAGES"] == 3


def test_reset_user_empties_mailbox_and_changes_uidvalidity(dovecot: DovecotServer) -> None:
    user = BOB
    with dovecot.connect(user) as client:
        client.append("INBOX", make_message("before reset", "x\n"))
        before = client.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"]
    lingering: IMAPClient = dovecot.connect(user)
    lingering.select_folder("INBOX")

    dovecot.reset_user(user)

    with dovecot.connect(user) as client:
        status = client.folder_status("INBOX", ["MESSAGES", "UIDVALIDITY", "UIDNEXT"])
        assert status[b"MESSAGES"] == 0
        assert status[b"UIDNEXT"] == 1
        assert status[b"UIDVALIDITY"] != before
        assert set(SPECIAL_USE) <= {name for _f, _d, name in client.list_folders()}
    # Sessions open during the reset are kicked rather than left on a vanished mail dir.
    with pytest.raises((IMAPClientError, OSError)):
        lingering.noop()
    lingering.shutdown()


# -- submission (own instance: the session server runs IMAP only) ------------------------


class _Sink:
    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.mark.skipif(not SUBMISSION_BIN.exists(), reason="dovecot-submissiond not installed")
def test_submission_relays_authenticated_mail(
    dovecot_factory: Callable[..., DovecotServer],
) -> None:
    sink = _Sink()
    controller = Controller(sink, hostname=HOST, port=free_ports(1)[0])
    controller.start()
    try:
        server = dovecot_factory(submission_relay=(HOST, controller.port))
        assert server.submission_port is not None
        with smtplib.SMTP(server.host, server.submission_port, timeout=10) as smtp:
            smtp.starttls(context=server.ssl_context())
            smtp.ehlo()
            with pytest.raises(smtplib.SMTPAuthenticationError):
                smtp.login(ALICE, "wrong")
            smtp.login(ALICE, server.users[ALICE])
            smtp.sendmail(ALICE, ["customer@customer.example"], make_message("Re: hi", "ok\n"))
        # Dovecot answers DATA only after the relay did, but allow for the sink's thread.
        deadline = time.monotonic() + 2
        while not sink.envelopes and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        controller.stop()
    [envelope] = sink.envelopes
    assert envelope.mail_from == ALICE
    assert envelope.rcpt_tos == ["customer@customer.example"]
    assert b"Subject: Re: hi" in envelope.content
