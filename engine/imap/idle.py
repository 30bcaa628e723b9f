"""Wait for a folder to change with IMAP IDLE (RFC 2177).

The wait runs in the connection's thread, polling the socket in short slices so that a
``stop`` event (or cancellation of the awaiting task) ends the IDLE within about one
slice, and the connection is always left out of IDLE mode and usable.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import selectors
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.response_parser import parse_response

from engine.errors import ImapError
from engine.imap.connection import ImapConnection

# Untagged responses that mean the mailbox changed (VANISHED: QRESYNC's EXPUNGE).
_CHANGES = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"RECENT", b"VANISHED"})
_STATUS = frozenset({b"OK", b"NO", b"BAD", b"BYE", b"PREAUTH"})


@dataclass(frozen=True)
class IdleResult:
    """What one IDLE brought: whether the mailbox changed, and the raw parsed responses."""

    changed: bool  # EXISTS/EXPUNGE/FETCH/RECENT/VANISHED seen
    responses: tuple[Any, ...]


def _is_change(response: Any) -> bool:
    # "* 3 EXISTS" parses as (3, b"EXISTS"), "* VANISHED 5" as (b"VANISHED", 5).
    if not isinstance(response, tuple):
        return False
    return any(isinstance(item, bytes) and item.upper() in _CHANGES for item in response[:2])


def _is_bye(response: Any) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"


def _parse_untagged(line: bytes) -> Any:
    if not line.startswith(b"* "):
        # Only untagged data may arrive during IDLE; anything else means the stream is out
        # of step, and only a new connection is certain to be right.
        raise imaplib.IMAP4.abort(f"unexpected line during IDLE: {line[:80]!r}")
    text = line[2:]
    head, _, rest = text.partition(b" ")
    if head.upper() in _STATUS:
        return (head.upper(), rest)
    try:
        return parse_response([text])
    except (IMAPClientError, ValueError):
        return (text,)  # unparsable but harmless: keep it for the caller to see


def _start_idle(client: IMAPClient) -> list[Any]:
    """Send IDLE and wait for the continuation, keeping untagged data that comes first.

    imapclient's idle() raises on such data (iCloud sends FETCH before "+ idling") and
    leaves the server in IDLE; RFC 3501 allows untagged data at any time.
    """
    imap = client._imap
    tag = imap._command("IDLE")
    early: list[Any] = []
    while True:
        line = imap._get_response()
        if line is None:  # the continuation: "+ idling"
            break
        done = imap.tagged_commands.get(tag)
        if done:
            imap.tagged_commands.pop(tag, None)
            typ, data = done
            raise ImapError(f"the server refused IDLE ({typ} {data[0]!r})")
        early.append(_parse_untagged(line))
    client._idle_tag = tag  # what idle_done() ends
    return early


def _drain(client: IMAPClient) -> list[Any]:
    """Every complete response line available now, without waiting for more.

    Unlike idle_check() this also reads lines already sitting in imaplib's buffer, which
    select() cannot see (e.g. a notification that arrived with "+ idling").
    """
    imap = client._imap
    sock = client.socket()
    timeout = sock.gettimeout()
    sock.setblocking(False)
    got: list[Any] = []
    try:
        while True:
            try:
                line = imap._get_line()
            except (BlockingIOError, ssl.SSLWantReadError):
                break
            except imaplib.IMAP4.abort as exc:
                # A non-blocking read with nothing left looks to imaplib like EOF; a real
                # EOF is told apart by the caller.
                if "EOF" in str(exc):
                    break
                raise
            got.append(_parse_untagged(line))
    finally:
        sock.settimeout(timeout)
    return got


def _readable(client: IMAPClient, selector: selectors.BaseSelector, timeout: float) -> bool:
    sock = client.socket()
    # Bytes TLS already decrypted are invisible to select().
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    return bool(selector.select(max(timeout, 0.0)))


def _idle(
    client: IMAPClient,
    max_seconds: float,
    stop: threading.Event | None,
    cancelled: threading.Event,
    poll: float,
) -> IdleResult:
    deadline = time.monotonic() + max_seconds
    responses = _start_idle(client)
    try:
        responses.extend(_drain(client))
        changed = any(_is_change(r) for r in responses)
        with selectors.DefaultSelector() as selector:
            selector.register(client.socket(), selectors.EVENT_READ)
            while not changed:
                if any(_is_bye(r) for r in responses):
                    raise imaplib.IMAP4.abort("the server said BYE during IDLE")
                if cancelled.is_set() or (stop is not None and stop.is_set()):
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if not _readable(client, selector, min(poll, left)):
                    continue
                got = _drain(client)
                if not got:
                    # Readable yet no line: the server closed the socket, or only TLS
                    # housekeeping arrived. Ending IDLE tells them apart: DONE fails on a
                    # dead connection.
                    break
                responses.extend(got)
                changed = any(_is_change(r) for r in got)
    except (imaplib.IMAP4.abort, OSError):
        raise  # the stream is gone; the connection marks itself broken
    except BaseException:
        # Anything else must not leave the server in IDLE, or every later command fails.
        with contextlib.suppress(Exception):
            client.idle_done()
        raise
    _text, tail = client.idle_done()
    responses.extend(tail)
    changed = changed or any(_is_change(r) for r in tail)
    # A dedicated IDLE connection lives for days; imaplib would keep every EXISTS/EXPUNGE
    # it saw since the last SELECT.
    for name in ("EXISTS", "EXPUNGE", "FETCH", "RECENT", "VANISHED"):
        client._imap.untagged_responses.pop(name, None)
    return IdleResult(changed=changed, responses=tuple(responses))


async def idle_once(
    conn: ImapConnection,
    folder: str,
    *,
    max_seconds: float,
    stop: threading.Event | None = None,
    poll: float = 1.0,
) -> IdleResult:
    """IDLE on *folder* until it changes, *max_seconds* pass or *stop* is set.

    Selects *folder* read-only unless the previous job on *conn* already did (see
    ImapConnection.call_in_folder), so changes made between two idle_once calls are
    reported rather than lost. Keep *max_seconds* under 29 minutes (RFC 2177: servers may
    drop a client idle for 30). Returns within about *poll* seconds of *stop* being set or
    of the awaiting task being cancelled, always leaving IDLE mode first. Raises ImapError
    when the server does not offer IDLE, ImapConnectError when the connection fails.
    """
    if max_seconds <= 0:
        raise ValueError("max_seconds must be positive")
    if poll <= 0:
        raise ValueError("poll must be positive")
    if not conn.has("IDLE"):
        raise ImapError(
            f"{conn.settings.address} does not offer IDLE: check folders by polling instead"
        )
    cancelled = threading.Event()
    try:
        return await conn.call_in_folder(
            folder, _idle, max_seconds, stop, cancelled, poll, readonly=True
        )
    except asyncio.CancelledError:
        # The IDLE keeps running in the thread until told otherwise; tell it, so the
        # connection is free again within one poll.
        cancelled.set()
        raise
