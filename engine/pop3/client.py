"""One POP3 session, driven from asyncio through its own thread.

poplib is blocking, so every command of a session runs in one dedicated worker thread,
one at a time, in the order asked; the event loop only awaits the results. Deletions
(DELE) take effect only when the session ends with quit(); close() drops the connection
without QUIT, so nothing marked for deletion is deleted (RFC 1939, the UPDATE state).
"""

from __future__ import annotations

import asyncio
import contextlib
import poplib
import re
import socket
import ssl
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, TypeVar

from engine.errors import FrontdeskError
from engine.sanitize import sanitize_line
from engine.server_errors import connect_error_message, server_text, tls_context
from engine.server_settings import MailboxServer, usual_port

T = TypeVar("T")

# poplib refuses lines over 2048 bytes; real mail has longer ones (unwrapped HTML).
_MAX_LINE = 1 << 20
_CLOSE_TIMEOUT = 5.0
# RFC 2449/3206 response codes that say the login failed for another reason than the
# credentials: worth retrying later.
_NOT_CREDENTIALS = re.compile(r"\[(SYS/|IN-USE|LOGIN-DELAY)", re.IGNORECASE)


class Pop3Error(FrontdeskError):
    """Talking to a POP3 server failed."""


class Pop3ConnectError(Pop3Error):
    """The server could not be reached, TLS failed, or the connection was lost: worth
    retrying later."""


class Pop3AuthError(Pop3Error):
    """The server refused the credentials: retrying will not help until they change."""


_PORTS = {"ssl": 995, "starttls": 110, "none": 110}


def default_pop3_port(security: str) -> int:
    """The usual port for *security*: 995 for implicit TLS, 110 for STARTTLS or plain."""
    return usual_port("POP3", security, _PORTS)


@dataclass(frozen=True)
class Pop3Settings(MailboxServer):
    """Where and how to connect to a POP3 server; the password is never part of it."""

    PROTOCOL: ClassVar[str] = "POP3"
    PORTS: ClassVar[Mapping[str, int]] = _PORTS


@dataclass(frozen=True)
class Listed:
    """One message of the maildrop: its number in this session, UIDL and size."""

    number: int
    uidl: str
    size: int


# -- poplib with room for long lines --------------------------------------------------------


class _LongLines:
    file: Any

    def _getline(self) -> tuple[bytes, int]:
        line: bytes = self.file.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise poplib.error_proto("-ERR line too long")
        if not line:
            raise poplib.error_proto("-ERR EOF")
        octets = len(line)
        if line[-2:] == b"\r\n":
            return line[:-2], octets
        if line[:1] == b"\r":
            return line[1:-1], octets
        return line[:-1], octets


class _Pop3(_LongLines, poplib.POP3):
    pass


class _Pop3Ssl(_LongLines, poplib.POP3_SSL):
    pass


# -- messages --------------------------------------------------------------------------------


def _connect_error_message(exc: BaseException, s: Pop3Settings) -> str:
    return connect_error_message(exc, s, protocol_errors=(poplib.error_proto,))


def _ssl_context(s: Pop3Settings) -> ssl.SSLContext:
    return tls_context(s, Pop3ConnectError)


def _capabilities(client: poplib.POP3) -> dict[str, tuple[str, ...]]:
    """CAPA (RFC 2449) as name -> arguments; empty when the server has no CAPA."""
    try:
        _resp, lines, _octets = client._longcmd("CAPA")  # type: ignore[attr-defined]
    except poplib.error_proto:
        return {}
    found: dict[str, tuple[str, ...]] = {}
    for line in lines:
        words = sanitize_line(line.decode("ascii", "replace")).split()
        if words:
            found[words[0].upper()] = tuple(words[1:])
    return found


def _joined(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\r\n" for line in lines)


def _number_pairs(lines: list[bytes]) -> list[tuple[int, bytes]]:
    pairs = []
    for line in lines:
        number, _, value = line.strip().partition(b" ")
        if number.isdigit() and value.strip():
            pairs.append((int(number), value.strip()))
    return pairs


# -- the session -----------------------------------------------------------------------------


class Pop3Session:
    """A logged-in POP3 session whose commands run, one at a time, in its own thread.

    After a socket or protocol failure the session is broken: every later call raises
    Pop3ConnectError at once, and the owner opens a new one.
    """

    def __init__(self, settings: Pop3Settings, *, name: str = "pop3") -> None:
        self.settings = settings
        self.name = name
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"frontdesk-{name}")
        self._client: poplib.POP3 | None = None  # touched by the worker thread only
        self._capabilities: dict[str, tuple[str, ...]] = {}
        self._opened = False
        self._closed = False
        self._broken = False

    @property
    def capabilities(self) -> dict[str, tuple[str, ...]]:
        """The server's CAPA after login: name (upper-case) -> arguments."""
        return dict(self._capabilities)

    def has(self, capability: str) -> bool:
        return capability.upper() in self._capabilities

    async def open(self, password: str) -> None:
        """Connect, secure, log in (USER/PASS) and read the capabilities. Raises
        Pop3ConnectError when the server cannot be reached or TLS fails and Pop3AuthError
        when the password is refused. The password is never stored, logged or quoted."""
        if self._opened or self._closed:
            raise Pop3Error(f"POP3 session {self.name} cannot be opened twice")
        self._opened = True
        try:
            self._capabilities = await self._submit(partial(self._connect, password))
        except BaseException:
            await self.close()
            raise

    async def stat(self) -> tuple[int, int]:
        """(messages, octets) in the maildrop."""
        return await self._call(lambda c: c.stat())  # type: ignore[no-any-return]

    async def listing(self) -> list[Listed]:
        """Every message with its UIDL and size, by number. A server without UIDL is
        refused: without it, mail already imported cannot be told from new mail."""
        return await self._call(self._listing)

    async def retrieve(self, number: int) -> bytes:
        """RETR: the whole message."""
        return await self._call(lambda c: _joined(c.retr(number)[1]))

    async def header(self, number: int) -> bytes:
        """TOP n 0: the header block only."""
        return await self._call(lambda c: _joined(c.top(number, 0)[1]))

    async def delete(self, number: int) -> None:
        """DELE: marked now, deleted when the session ends with quit()."""
        await self._call(lambda c: c.dele(number))

    async def quit(self) -> None:
        """QUIT: the server deletes what was marked, and the session ends."""
        await self._call(lambda c: c.quit())
        await self.close()

    async def close(self) -> None:
        """Drop the connection without QUIT (nothing marked is deleted) and stop the
        thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        client = self._client
        if client is not None and client.sock is not None:
            # A command stuck on a silent server fails at once instead of holding us.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(client.sock, socket.SHUT_RDWR)
        future = asyncio.get_running_loop().run_in_executor(self._pool, self._drop)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(future), _CLOSE_TIMEOUT)
        self._pool.shutdown(wait=False)

    async def __aenter__(self) -> Pop3Session:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- plumbing -----------------------------------------------------------------------------

    async def _call(self, fn: Callable[[poplib.POP3], T]) -> T:
        if self._broken:
            raise Pop3ConnectError(
                f"connection to {self.settings.address} is broken: open a new one")
        if not self._opened or self._closed:
            raise Pop3Error(f"POP3 session {self.name} is not open")
        return await self._submit(partial(self._run, fn))  # type: ignore[no-any-return]

    def _submit(self, fn: Callable[[], Any]) -> asyncio.Future[Any]:
        return asyncio.get_running_loop().run_in_executor(self._pool, fn)

    # -- in the worker thread -----------------------------------------------------------------

    def _connect(self, password: str) -> dict[str, tuple[str, ...]]:
        s = self.settings
        try:
            context = _ssl_context(s) if s.security != "none" else None
            if s.security == "ssl":
                client: poplib.POP3 = _Pop3Ssl(s.host, s.port, timeout=s.timeout,
                                               context=context)
            else:
                client = _Pop3(s.host, s.port, timeout=s.timeout)
        except Pop3Error:
            raise
        except Exception as exc:
            raise Pop3ConnectError(_connect_error_message(exc, s)) from exc
        self._client = client
        try:
            if s.security == "starttls":
                if "STLS" not in _capabilities(client):
                    raise Pop3ConnectError(
                        f"{s.address} does not offer STLS: use --security ssl (usually port "
                        "995), or --security none only on a trusted network")
                client.stls(context)
            self._login(client, password)
            return _capabilities(client)
        except Pop3Error:
            self._drop()
            raise
        except Exception as exc:
            self._drop()
            raise Pop3ConnectError(_connect_error_message(exc, s)) from exc

    def _login(self, client: poplib.POP3, password: str) -> None:
        s = self.settings
        try:
            client.user(s.username)
            client.pass_(password)
        except poplib.error_proto as exc:
            text = server_text(exc, password)
            if _NOT_CREDENTIALS.search(text):
                raise Pop3ConnectError(
                    f"{s.address} cannot log {s.username} in right now ({text}); "
                    "sync tries again later") from None
            raise Pop3AuthError(
                f"{s.address} refused the password for {s.username} ({text}); check it "
                "with frontdesk account test") from None  # never chain the password

    def _listing(self, client: poplib.POP3) -> list[Listed]:
        try:
            uidls = _number_pairs(client.uidl()[1])
        except poplib.error_proto as exc:
            if "EOF" in server_text(exc):
                raise
            raise Pop3Error(
                f"{self.settings.address} does not offer UIDL ({server_text(exc)}): "
                "frontdesk needs it to tell new mail from mail it has") from None
        sizes = {n: int(v) for n, v in _number_pairs(client.list()[1]) if v.isdigit()}
        seen: set[str] = set()
        listed = []
        for number, value in sorted(uidls):
            uidl = value.decode("latin-1")
            if uidl in seen:  # a broken server: the first one stands for both
                continue
            seen.add(uidl)
            listed.append(Listed(number, uidl, sizes.get(number, 0)))
        return listed

    def _run(self, fn: Callable[[poplib.POP3], Any]) -> Any:
        client = self._client
        if self._broken or client is None:
            raise Pop3ConnectError(
                f"connection to {self.settings.address} is broken: open a new one")
        try:
            return fn(client)
        except Pop3Error:
            raise
        except poplib.error_proto as exc:
            text = server_text(exc)
            if text.startswith("-ERR EOF") or "line too long" in text:
                self._break()
                raise Pop3ConnectError(
                    f"connection to {self.settings.address} lost ({text})") from exc
            raise Pop3Error(f"{self.settings.address} said {text}") from exc
        except OSError as exc:
            self._break()
            if isinstance(exc, TimeoutError):
                raise Pop3ConnectError(
                    f"{self.settings.address} stopped answering (no reply within "
                    f"{self.settings.timeout:g} s)") from exc
            raise Pop3ConnectError(
                f"connection to {self.settings.address} lost ({server_text(exc)})") from exc

    def _break(self) -> None:
        self._broken = True
        self._drop()

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
