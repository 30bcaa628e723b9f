"""Listing an account's folders with their roles, and the check behind
``frontdesk account test``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from engine.credentials import Credential
from engine.imap.connection import ImapConnection, ImapSettings
from engine.imap.list_lines import read_list_responses
from engine.imap.roles import RemoteFolder, assign_roles

_SPECIAL_USE_FLAGS = frozenset(
    {"\\sent", "\\drafts", "\\trash", "\\junk", "\\archive", "\\all", "\\flagged", "\\important"}
)

_Listed = tuple[str, str | None, tuple[str, ...]]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _normalise(raw: Sequence[tuple[Any, Any, Any]]) -> list[_Listed]:
    return [
        (_text(name), _text(delim) if delim is not None else None, tuple(_text(f) for f in flags))
        for flags, delim, name in raw
    ]


def _run_list(client: IMAPClient, *extra: bytes) -> list[_Listed]:
    """``LIST "" "*"`` (with `extra`, e.g. RETURN (SPECIAL-USE) of RFC 6154, which
    imapclient has no call for). A name imapclient's parser refuses (a bare `[b]x[`) is
    read by the tolerant reader instead, so one odd folder never hides the others."""
    imap = client._imap
    typ, data = imap._simple_command("LIST", b'""', b'"*"', *extra)
    client._checkok("LIST", typ, data)
    typ, data = imap._untagged_response(typ, data, "LIST")
    try:
        return _normalise(client._proc_folder_list(data))
    except (ValueError, IMAPClientError):
        return _normalise(read_list_responses(data))


def _shared_prefixes(client: IMAPClient) -> list[str]:
    if not client.has_capability("NAMESPACE"):
        return []
    spaces = client.namespace()
    return [
        prefix
        for group in (spaces.other, spaces.shared)
        for prefix, _delim in group or ()
        if prefix
    ]


def _list(client: IMAPClient) -> tuple[list[_Listed], list[str]]:
    listed = _run_list(client)
    # Dovecot and most servers put SPECIAL-USE flags in a plain LIST too; RFC 6154 only
    # promises them when asked for, so ask when the plain listing carried none.
    if client.has_capability("SPECIAL-USE") and not any(
        f.lower() in _SPECIAL_USE_FLAGS for _n, _d, flags in listed for f in flags
    ):
        special = {name: flags for name, _d, flags in _run_list(client, b"RETURN",
                                                                b"(SPECIAL-USE)")}
        listed = [
            (name, delim, flags + tuple(f for f in special.get(name, ()) if f not in flags))
            for name, delim, flags in listed
        ]
    return listed, _shared_prefixes(client)


async def list_folders(conn: ImapConnection) -> list[RemoteFolder]:
    """Every folder the account can see, in the server's order, with roles assigned.

    Other users' and shared folders (by the NAMESPACE prefixes, e.g. Dovecot's
    "shared/owner/INBOX") are included with ``shared=True``; they get a role only by a
    SPECIAL-USE flag, never by name.
    """
    listed, prefixes = await conn.call(_list)
    return assign_roles(listed, shared_prefixes=prefixes)


@dataclass(frozen=True)
class ConnectionReport:
    """What ``frontdesk account test`` shows: the server reached, and what it offers."""

    host: str
    port: int
    security: str
    username: str
    capabilities: tuple[str, ...]  # sorted
    folders: tuple[RemoteFolder, ...]
    seconds: float  # connect, login and listing


async def test_connection(settings: ImapSettings, credential: Credential) -> ConnectionReport:
    """Open a connection, list the folders, close; raise ImapConnectError/ImapAuthError."""
    started = time.monotonic()
    async with ImapConnection(settings, name="account-test") as conn:
        await conn.open(credential)
        folders = await list_folders(conn)
        capabilities = tuple(sorted(conn.capabilities))
        seconds = time.monotonic() - started
    return ConnectionReport(
        host=settings.host,
        port=settings.port,
        security=settings.security,
        username=settings.username,
        capabilities=capabilities,
        folders=tuple(folders),
        seconds=seconds,
    )


# pytest would otherwise collect the imported name as a test in modules that import it.
test_connection.__test__ = False  # type: ignore[attr-defined]
