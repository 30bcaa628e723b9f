"""The threaded IMAP connection, folder roles and IDLE against the real test Dovecot."""

from __future__ import annotations

import asyncio
import gc
import os
import signal
import ssl
import threading
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from engine.errors import ImapAuthError, ImapConnectError, ImapError, InvalidInputError
from engine.imap import (
    ImapConnection,
    ImapSettings,
    default_port,
    idle_once,
    list_folders,
    test_connection,
)
from engine.imap.folders import _run_list
from tests.servers.dovecot import HOST, SPECIAL_USE, DovecotServer, free_ports

pytestmark = pytest.mark.integration

ALICE = "alice@example.com"
SUPPORT = "support@example.com"


def settings_for(
    server: DovecotServer, user: str = ALICE, *, security: str = "ssl", **kwargs: Any
) -> ImapSettings:
    port = server.ssl_port if security == "ssl" else server.port
    options: dict[str, Any] = {"ca_file": str(server.cafile), "timeout": 5.0, **kwargs}
    return ImapSettings(host=server.host, port=port, security=security, username=user, **options)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def message(subject: str) -> bytes:
    return (
        f"From: zoe@customer.example\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{uuid.uuid4().hex}@customer.example>\r\n\r\nhello\r\n"
    ).encode()


def uses_tls(client: IMAPClient) -> bool:
    return isinstance(client.socket(), ssl.SSLSocket)


def noop(client: IMAPClient) -> Any:
    return client.noop()


@pytest.fixture
async def alice(dovecot: DovecotServer) -> AsyncIterator[ImapConnection]:
    conn = ImapConnection(settings_for(dovecot), name=unique("alice"))
    await conn.open(dovecot.users[ALICE])
    try:
        yield conn
    finally:
        await conn.close()


async def thread_gone(name: str, within: float = 2.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not any(t.name == f"frontdesk-{name}" for t in threading.enumerate()):
            return True
        await asyncio.sleep(0.02)
    return False


# -- settings --------------------------------------------------------------------------------


def test_default_ports_and_settings_validation() -> None:
    assert default_port("ssl") == 993
    assert default_port("starttls") == 143
    assert default_port("none") == 143
    with pytest.raises(InvalidInputError):
        default_port("tls")
    with pytest.raises(InvalidInputError):
        ImapSettings(host="h", port=993, security="SSL", username="u")
    with pytest.raises(InvalidInputError):
        ImapSettings(host="h", port=0, security="ssl", username="u")


# -- opening ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("security", "tls"), [("ssl", True), ("starttls", True), ("none", False)])
async def test_open_each_security_mode(dovecot: DovecotServer, security: str, tls: bool) -> None:
    name = unique(security)
    async with ImapConnection(settings_for(dovecot, security=security), name=name) as conn:
        await conn.open(dovecot.users[ALICE])
        assert await conn.call(uses_tls) is tls
        assert await conn.call(lambda c: c._imap.debug) == 0  # imapclient's 5 costs 3x
        assert await conn.call(noop)
        assert {"IDLE", "CONDSTORE", "QRESYNC", "MOVE"} <= conn.capabilities
        assert conn.has("idle") and conn.has("Move")
        assert not conn.has("XYZZY")
        assert not conn.broken
    assert conn.closed
    assert await thread_gone(name)


async def test_untrusted_certificate(dovecot: DovecotServer) -> None:
    for security in ("ssl", "starttls"):
        conn = ImapConnection(settings_for(dovecot, security=security, ca_file=None))
        with pytest.raises(ImapConnectError) as caught:
            await conn.open(dovecot.users[ALICE])
        text = str(caught.value)
        assert "certificate" in text and "not trusted" in text, text
        assert "--ca-file" in text and "--no-verify-cert" in text
        assert f"{dovecot.host}:" in text
        await conn.close()  # harmless after a failed open


async def test_no_verify_cert_accepts_the_self_signed_certificate(dovecot: DovecotServer) -> None:
    settings = settings_for(dovecot, ca_file=None, verify_cert=False)
    async with ImapConnection(settings) as conn:
        await conn.open(dovecot.users[ALICE])
        assert await conn.call(uses_tls)


async def test_wrong_password_is_an_auth_error_without_the_password(
    dovecot: DovecotServer,
) -> None:
    wrong = dovecot.users[ALICE] + "-Wr0ng"
    name = unique("wrong")
    conn = ImapConnection(settings_for(dovecot), name=name)
    started = time.monotonic()
    with pytest.raises(ImapAuthError) as caught:
        await conn.open(wrong)
    assert time.monotonic() - started < 2.0
    text = str(caught.value)
    assert not isinstance(caught.value, ImapConnectError)
    assert wrong not in text and dovecot.users[ALICE] not in text
    assert ALICE in text and "frontdesk account test" in text
    assert conn.closed
    assert await thread_gone(name)  # a failed open leaves no thread behind
    with pytest.raises(ImapError):
        await conn.call(noop)


async def test_unreachable_port_fails_fast(dovecot: DovecotServer) -> None:
    port = free_ports(1)[0]
    settings = ImapSettings(host=HOST, port=port, security="ssl", username=ALICE)
    started = time.monotonic()
    with pytest.raises(ImapConnectError) as caught:
        await ImapConnection(settings).open("irrelevant")
    assert time.monotonic() - started < 2.0
    assert f"{HOST}:{port}" in str(caught.value)
    assert "refused" in str(caught.value)


async def test_ssl_against_the_plain_port_says_check_the_security_mode(
    dovecot: DovecotServer,
) -> None:
    settings = ImapSettings(
        host=dovecot.host, port=dovecot.port, security="ssl", username=ALICE, timeout=3.0
    )
    with pytest.raises(ImapConnectError) as caught:
        await ImapConnection(settings).open(dovecot.users[ALICE])
    assert "security mode" in str(caught.value)


async def test_open_twice_and_use_after_close(dovecot: DovecotServer) -> None:
    conn = ImapConnection(settings_for(dovecot))
    with pytest.raises(ImapError):
        await conn.call(noop)  # not opened yet
    await conn.open(dovecot.users[ALICE])
    with pytest.raises(ImapError):
        await conn.open(dovecot.users[ALICE])
    await conn.close()
    await conn.close()  # idempotent
    with pytest.raises(ImapError):
        await conn.call(noop)


async def test_forgotten_connection_is_collected_and_its_thread_ends(
    dovecot: DovecotServer,
) -> None:
    name = unique("forgotten")
    conn = ImapConnection(settings_for(dovecot), name=name)
    await conn.open(dovecot.users[ALICE])
    assert await conn.call(noop)
    ref = weakref.ref(conn)
    del conn
    gc.collect()
    assert ref() is None, "the idle worker thread must not keep the connection alive"
    assert await thread_gone(name)


# -- calls -----------------------------------------------------------------------------------


async def test_calls_run_in_the_connection_thread(alice: ImapConnection) -> None:
    ident, name = await alice.call(
        lambda _client: (threading.get_ident(), threading.current_thread().name)
    )
    assert ident != threading.get_ident()
    assert name == f"frontdesk-{alice.name}"
    thread = next(t for t in threading.enumerate() if t.ident == ident)
    assert thread.daemon


async def test_concurrent_calls_are_serialised(alice: ImapConnection) -> None:
    active = 0
    most = 0
    threads: set[int] = set()

    def work(client: IMAPClient, task: int, i: int) -> tuple[int, int, int]:
        nonlocal active, most
        active += 1
        most = max(most, active)
        threads.add(threading.get_ident())
        try:
            exists = client.folder_status("INBOX", ["MESSAGES"])[b"MESSAGES"]
            return task, i, exists
        finally:
            active -= 1

    async def worker(task: int) -> list[tuple[int, int, int]]:
        return [await alice.call(work, task, i) for i in range(15)]

    results = await asyncio.gather(*(worker(t) for t in range(6)))
    assert most == 1
    assert len(threads) == 1
    for task, rows in enumerate(results):
        assert [(t, i) for t, i, _ in rows] == [(task, i) for i in range(15)]


async def test_cancelled_call_still_completes_and_connection_stays_usable(
    alice: ImapConnection,
) -> None:
    finished = threading.Event()

    def slow(client: IMAPClient) -> str:
        time.sleep(0.3)
        client.noop()
        finished.set()
        return "done"

    task = asyncio.create_task(alice.call(slow))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not finished.is_set()
    # Queued behind the cancelled call: runs only after it finished, on a healthy stream.
    assert await alice.call(lambda c: c.folder_status("INBOX", ["MESSAGES"]))
    assert finished.is_set()
    assert not alice.broken


async def test_errors_from_the_call_propagate_without_breaking(alice: ImapConnection) -> None:
    def boom(_client: IMAPClient) -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await alice.call(boom)
    with pytest.raises(IMAPClientError):
        await alice.call(lambda c: c.select_folder(unique("Missing")))
    with pytest.raises(ImapError, match="cannot open folder"):
        await alice.call_in_folder(unique("Missing"), noop)
    assert not alice.broken
    assert await alice.call(noop)


async def test_call_in_folder_selects_only_when_needed(
    alice: ImapConnection, dovecot: DovecotServer
) -> None:
    folder = unique("Select")
    await alice.call(lambda c: c.create_folder(folder))

    def state(client: IMAPClient) -> tuple[str, bool]:
        return client._imap.state, client._imap.is_readonly

    assert await alice.call_in_folder(folder, state, readonly=True) == ("SELECTED", True)
    # Unselect behind the tracker's back via call(): the next call_in_folder must notice.
    await alice.call(lambda c: c.unselect_folder())
    assert await alice.call_in_folder(folder, state, readonly=True) == ("SELECTED", True)
    assert await alice.call_in_folder(folder, state) == ("SELECTED", False)


# -- folders ---------------------------------------------------------------------------------


async def test_list_folders_roles_and_shared(alice: ImapConnection, dovecot: DovecotServer) -> None:
    folders = {f.name: f for f in await list_folders(alice)}
    roles = {f.role: f.name for f in folders.values() if f.role}
    assert roles == {
        "inbox": "INBOX",
        "sent": "Sent",
        "drafts": "Drafts",
        "trash": "Trash",
        "spam": "Junk",
        "archive": "Archive",
    }
    assert folders["Sent"].flags == ("\\HasNoChildren", "\\Sent")
    assert folders["Sent"].delimiter == "/"
    shared = folders[dovecot.shared_name(SUPPORT)]
    assert shared.shared and shared.selectable and shared.role is None
    assert not folders["shared"].selectable


async def test_list_special_use_return_option(alice: ImapConnection) -> None:
    # The fallback for servers that send SPECIAL-USE flags only when asked.
    listed = {name: flags for name, _delim, flags
              in await alice.call(_run_list, b"RETURN", b"(SPECIAL-USE)")}
    for name, flag in SPECIAL_USE.items():
        assert flag in listed[name], (name, listed[name])


async def test_connection_report(dovecot: DovecotServer) -> None:
    settings = settings_for(dovecot, security="starttls")
    report = await test_connection(settings, dovecot.users[ALICE])
    assert (report.host, report.port, report.security, report.username) == (
        dovecot.host,
        dovecot.port,
        "starttls",
        ALICE,
    )
    assert "IDLE" in report.capabilities
    assert list(report.capabilities) == sorted(report.capabilities)
    assert {f.role for f in report.folders} >= {"inbox", "sent", "archive"}
    assert 0 < report.seconds < 5

    with pytest.raises(ImapAuthError):
        await test_connection(settings, "not-the-password")


# -- IDLE ------------------------------------------------------------------------------------


async def test_idle_reports_a_new_message(alice: ImapConnection, dovecot: DovecotServer) -> None:
    folder = unique("Idle")
    await alice.call(lambda c: c.create_folder(folder))
    # Select first: the IDLE then keeps this selection, so an APPEND racing the start of
    # IDLE is still reported when IDLE begins.
    await alice.call_in_folder(folder, noop, readonly=True)
    task = asyncio.create_task(idle_once(alice, folder, max_seconds=10, poll=0.2))

    def append() -> None:
        with dovecot.connect(ALICE) as other:
            other.append(folder, message("new while idling"))

    await asyncio.to_thread(append)
    appended = time.monotonic()
    result = await asyncio.wait_for(task, 2.0)
    assert time.monotonic() - appended < 2.0
    assert result.changed
    assert any(isinstance(r, tuple) and b"EXISTS" in r for r in result.responses)
    # Out of IDLE: ordinary commands work again.
    status = await alice.call(lambda c: c.folder_status(folder, ["MESSAGES"]))
    assert status[b"MESSAGES"] == 1


async def test_change_between_two_idles_is_reported_by_the_next(
    alice: ImapConnection, dovecot: DovecotServer
) -> None:
    folder = unique("Between")
    await alice.call(lambda c: c.create_folder(folder))
    stop = threading.Event()
    stop.set()
    first = await idle_once(alice, folder, max_seconds=5, stop=stop, poll=0.1)
    assert not first.changed

    def append() -> None:
        with dovecot.connect(ALICE) as other:
            other.append(folder, message("arrived while not idling"))

    await asyncio.to_thread(append)
    started = time.monotonic()
    second = await asyncio.wait_for(idle_once(alice, folder, max_seconds=5, poll=0.1), 2.0)
    assert second.changed, second.responses
    assert time.monotonic() - started < 1.0


async def test_idle_returns_promptly_when_stopped(alice: ImapConnection) -> None:
    stop = threading.Event()
    task = asyncio.create_task(idle_once(alice, "INBOX", max_seconds=20, stop=stop, poll=0.2))
    await asyncio.sleep(0.3)
    assert not task.done()
    stop.set()
    stopped = time.monotonic()
    result = await asyncio.wait_for(task, 2.0)
    assert time.monotonic() - stopped < 0.6
    assert not result.changed
    assert await alice.call(noop)


async def test_idle_ends_at_max_seconds(alice: ImapConnection) -> None:
    started = time.monotonic()
    result = await idle_once(alice, "Archive", max_seconds=0.3, poll=0.1)
    assert 0.25 < time.monotonic() - started < 1.5
    assert not result.changed


async def test_cancelled_idle_frees_the_connection(alice: ImapConnection) -> None:
    task = asyncio.create_task(idle_once(alice, "INBOX", max_seconds=20, poll=0.2))
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    cancelled = time.monotonic()
    assert await asyncio.wait_for(alice.call(noop), 2.0)
    assert time.monotonic() - cancelled < 0.8
    assert not alice.broken


async def test_idle_requires_the_capability(alice: ImapConnection) -> None:
    alice._capabilities = alice.capabilities - {"IDLE"}  # as on a server without IDLE
    with pytest.raises(ImapError, match="IDLE"):
        await idle_once(alice, "INBOX", max_seconds=1)


# -- failures under an open connection -------------------------------------------------------


async def test_server_stopped_under_open_connection(
    dovecot_factory: Callable[..., DovecotServer],
) -> None:
    server = await asyncio.to_thread(dovecot_factory)
    conn = ImapConnection(settings_for(server))
    await conn.open(server.users[ALICE])
    assert await conn.call(noop)

    await asyncio.to_thread(server.stop)
    with pytest.raises(ImapConnectError) as caught:
        await conn.call(noop)
    assert f"{server.host}:{server.ssl_port}" in str(caught.value)
    assert conn.broken
    started = time.monotonic()
    with pytest.raises(ImapConnectError, match="broken"):
        await conn.call(noop)
    await conn.close()
    assert time.monotonic() - started < 0.5


async def test_server_dying_during_idle_breaks_the_connection(
    dovecot_factory: Callable[..., DovecotServer],
) -> None:
    server = await asyncio.to_thread(dovecot_factory)
    conn = ImapConnection(settings_for(server))
    await conn.open(server.users[ALICE])
    task = asyncio.create_task(idle_once(conn, "INBOX", max_seconds=20, poll=0.2))
    await asyncio.sleep(0.3)
    await asyncio.to_thread(server.stop)
    with pytest.raises(ImapConnectError):
        await asyncio.wait_for(task, 2.0)
    assert conn.broken
    await conn.close()


async def test_silent_server_times_out_and_close_is_bounded(
    dovecot_factory: Callable[..., DovecotServer],
) -> None:
    server = await asyncio.to_thread(dovecot_factory)
    conn = ImapConnection(settings_for(server, timeout=0.5))
    await conn.open(server.users[ALICE])
    assert server.process is not None
    pgid = server.process.pid
    os.killpg(pgid, signal.SIGSTOP)  # the server still accepts bytes but never answers
    try:
        started = time.monotonic()
        with pytest.raises(ImapConnectError, match="stopped answering"):
            await conn.call(noop)
        assert time.monotonic() - started < 2.0
        assert conn.broken
        await conn.close()
    finally:
        os.killpg(pgid, signal.SIGCONT)


async def test_close_bounded_on_a_frozen_server(
    dovecot_factory: Callable[..., DovecotServer],
) -> None:
    server = await asyncio.to_thread(dovecot_factory)
    conn = ImapConnection(settings_for(server, timeout=0.5))
    await conn.open(server.users[ALICE])
    assert server.process is not None
    pgid = server.process.pid
    os.killpg(pgid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        await conn.close()  # LOGOUT gets no answer: given up after the timeout
        assert time.monotonic() - started < 2.0
    finally:
        os.killpg(pgid, signal.SIGCONT)


def test_fast_fetch_parser_agrees_with_imapclient_on_dovecot(dovecot: DovecotServer) -> None:
    """The fast parser must give exactly what imapclient's parser gives on real replies."""
    from imapclient.imapclient import seq_to_parenstr_upper
    from imapclient.response_parser import parse_fetch_response

    from engine.corpus import generate_corpus
    from engine.sync.fetch_parser import parse_fetch

    user = "bob@example.com"
    dovecot.reset_user(user)
    dovecot.append_messages(user, list(generate_corpus(60, seed=4)), folder="INBOX")
    client = dovecot.connect(user)
    try:
        client.enable("CONDSTORE")
        client.select_folder("INBOX", readonly=True)
        for items in (["BODY.PEEK[HEADER]", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "MODSEQ"],
                      ["BODY.PEEK[]"], ["FLAGS", "MODSEQ"], ["RFC822.SIZE"]):
            imap = client._imap
            tag = imap._command("UID", "FETCH", "1:*", seq_to_parenstr_upper(items))
            typ, data = imap._command_complete("FETCH", tag)
            typ, data = imap._untagged_response(typ, data, "FETCH")
            expected = dict(parse_fetch_response(data, False, True))
            for values in expected.values():
                if b"MODSEQ" in values:
                    values[b"MODSEQ"] = values[b"MODSEQ"][0]
            assert parse_fetch(data) == expected
            assert len(expected) == 60
    finally:
        client.logout()
