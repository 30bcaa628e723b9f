"""One IMAP connection, driven from asyncio through its own thread.

imapclient is blocking and not thread-safe, so each connection gets a dedicated daemon
thread that runs queued calls one at a time, the way the store's async SQLite driver
runs its connection: the event loop puts (future, call) jobs on a queue, the thread runs them in
order and settles each future with ``loop.call_soon_threadsafe``. Nothing blocking runs
on the event loop, and a call whose awaiting task was cancelled still runs to its end in
the thread, so the protocol stream is never left half-way through a command.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from queue import SimpleQueue
from types import TracebackType
from typing import Any, ClassVar, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from engine.credentials import BearerToken, Credential
from engine.errors import ImapAuthError, ImapConnectError, ImapError
from engine.sanitize import sanitize_line
from engine.server_errors import connect_error_message, server_text, tls_context
from engine.server_settings import MailboxServer, usual_port

T = TypeVar("T")

log = logging.getLogger(__name__)

# Logging out of a healthy server takes milliseconds; a dead one must not hold close().
_LOGOUT_TIMEOUT = 5.0

# Errors that mean the byte stream is gone or out of step: the connection cannot be used
# again. (ssl.SSLError and socket.timeout are OSErrors.)
_CONNECTION_ERRORS: tuple[type[BaseException], ...] = (imaplib.IMAP4.abort, OSError)


_PORTS = {"ssl": 993, "starttls": 143, "none": 143}


def default_port(security: str) -> int:
    """The usual port for *security*: 993 for implicit TLS, 143 for STARTTLS or plain."""
    return usual_port("IMAP", security, _PORTS)


@dataclass(frozen=True)
class ImapSettings(MailboxServer):
    """Where and how to connect to an IMAP server; the password is never part of it."""

    PROTOCOL: ClassVar[str] = "IMAP"
    PORTS: ClassVar[Mapping[str, int]] = _PORTS


# -- the worker thread -----------------------------------------------------------------------


@dataclass
class _Job:
    future: asyncio.Future[Any] | None
    fn: Callable[[], Any]
    last: bool = False  # the thread ends after this job


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    # The awaiting task may have been cancelled meanwhile; then nobody wants the outcome.
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _worker(jobs: SimpleQueue[_Job]) -> None:
    # Holds only the queue, not the connection, so a forgotten connection can be collected.
    while True:
        job = jobs.get()
        result: Any = None
        error: BaseException | None = None
        try:
            result = job.fn()
        except BaseException as exc:  # every outcome goes back to the awaiting task
            error = exc
        if job.future is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed while we worked
                job.future.get_loop().call_soon_threadsafe(_settle, job.future, result, error)
        last = job.last
        # Nothing of the job may outlive it while the thread waits for the next one: not a
        # large fetch result, and not the job's reference to the connection (which would
        # keep a forgotten connection from ever being collected).
        del job, result, error
        if last:
            return


# -- messages --------------------------------------------------------------------------------


def _server_text(exc: BaseException, password: str | None = None) -> str:
    # imaplib and imapclient often wrap the server's bytes in their repr: b'...'
    return server_text(exc, password, unquote=True)


def _connect_error_message(exc: BaseException, settings: ImapSettings) -> str:
    return connect_error_message(exc, settings, protocol_errors=(imaplib.IMAP4.error,),
                                 hint_host_for=(OSError,), unquote=True)


def _lost_message(exc: BaseException, settings: ImapSettings) -> str:
    if isinstance(exc, TimeoutError):
        return f"{settings.address} stopped answering (no reply within {settings.timeout:g} s)"
    return f"connection to {settings.address} lost ({_server_text(exc)})"


def _ssl_context(settings: ImapSettings) -> ssl.SSLContext:
    return tls_context(settings, ImapConnectError, unquote=True)


def _shutdown_quietly(client: IMAPClient | None) -> None:
    if client is None:
        return
    with contextlib.suppress(Exception):
        client.shutdown()


def _password_login(client: IMAPClient, s: ImapSettings, password: str) -> None:
    try:
        client.login(s.username, password)
    except LoginError as exc:
        raise ImapAuthError(
            f"{s.address} refused the password for {s.username} "
            f"({_server_text(exc, password)}); check it with frontdesk account test"
        ) from None  # the chained error would carry nothing more, and never the password


def _bearer_login(client: IMAPClient, s: ImapSettings, bearer: BearerToken) -> None:
    """OAUTHBEARER (RFC 7628) where offered, else XOAUTH2, for the mailbox `s.username`
    with a token issued to `bearer.user` (the same, or a delegate of a shared mailbox)."""
    try:
        if client.has_capability("AUTH=OAUTHBEARER"):
            client.oauthbearer_login(s.username, bearer.token)
        elif client.has_capability("AUTH=XOAUTH2"):
            client.oauth2_login(s.username, bearer.token)
        else:
            raise ImapAuthError(
                f"{s.address} offers no OAuth2 login (AUTH=XOAUTH2 or AUTH=OAUTHBEARER): "
                "check the host, or log in with a password"
            )
    except (LoginError, imaplib.IMAP4.error) as exc:
        if isinstance(exc, imaplib.IMAP4.abort):
            raise
        raise ImapAuthError(
            f"{s.address} refused the OAuth2 token for {s.username} "
            f"({_server_text(exc, bearer.token)}); sign in again with "
            f"frontdesk account reconnect {bearer.account or 'NAME'}"
        ) from None


# -- the connection --------------------------------------------------------------------------


class ImapConnection:
    """A logged-in IMAP session whose calls run, one at a time, in its own thread.

    Use ``async with`` or ``await close()``. After a socket or protocol failure the
    connection is *broken*: every later call raises ImapConnectError at once, and the owner
    opens a new one.
    """

    def __init__(self, settings: ImapSettings, *, name: str = "imap") -> None:
        self.settings = settings
        self.name = name
        self._jobs: SimpleQueue[_Job] = SimpleQueue()
        self._thread: threading.Thread | None = None
        # Only the worker thread touches the client (the loop reads the reference in
        # close() to unblock a stuck socket, nothing more).
        self._client: IMAPClient | None = None
        self._capabilities: frozenset[str] = frozenset()
        self._opened = False
        self._closed = False
        self._broken = False
        # (folder, readonly) selected by the last call_in_folder; None when unknown. Only
        # the worker thread reads or writes it, in queue order.
        self._selected: tuple[str, bool] | None = None

    # -- state --------------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        """The server's capabilities after login, upper-case (e.g. "IDLE", "QRESYNC")."""
        return self._capabilities

    def has(self, cap: str) -> bool:
        """Whether the server offered *cap* (case-insensitive) after login."""
        return cap.upper() in self._capabilities

    @property
    def broken(self) -> bool:
        """True once the connection failed; it cannot be used again."""
        return self._broken

    @property
    def closed(self) -> bool:
        """True once close() was called (or open() failed)."""
        return self._closed

    def __repr__(self) -> str:
        state = "broken" if self._broken else "closed" if self._closed else "open"
        s = self.settings
        return f"<ImapConnection {self.name} {s.username}@{s.address} {state}>"

    # -- lifecycle ----------------------------------------------------------------------------

    async def open(self, credential: Credential) -> None:
        """Connect, secure, log in (a password, or an OAuth2 bearer token by OAUTHBEARER
        or XOAUTH2) and read the capabilities.

        Raises ImapConnectError when the server cannot be reached or TLS fails (worth
        retrying later) and ImapAuthError when the credentials are refused (not worth
        retrying until they change). The secret is never stored, logged or quoted.
        """
        if self._opened or self._closed:
            raise ImapError(f"{self!r} cannot be opened twice")
        self._opened = True
        self._thread = threading.Thread(
            target=_worker, args=(self._jobs,), name=f"frontdesk-{self.name}", daemon=True
        )
        self._thread.start()
        try:
            self._capabilities = await self._submit(partial(self._connect, credential))
        except BaseException:
            # Also on cancellation: the thread finishes connecting, then drops the socket.
            self._closed = True
            self._jobs.put(_Job(None, self._drop, last=True))
            raise

    async def close(self) -> None:
        """Log out (best effort, bounded in time) and stop the thread. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._thread is None:
            return
        future = self._submit(self._logout, last=True)
        try:
            # Shielded: a cancelled close() still lets the thread log out and end.
            await asyncio.wait_for(asyncio.shield(future), self._logout_timeout + 1.0)
        except TimeoutError:
            # A call ahead in the queue is stuck on a silent server: cut the socket so it
            # fails at once and the thread can reach the logout job and end.
            self._broken = True
            self._cut_socket()
        except Exception as exc:
            log.debug("%s: logout failed: %s", self.name, exc)

    async def __aenter__(self) -> ImapConnection:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __del__(self) -> None:
        # Forgotten without close(): end the thread and drop the socket, no logout. The job
        # must not refer to self, or it would bring the connection back to life.
        if self._thread is not None and not self._closed:
            self._closed = True
            self._jobs.put(_Job(None, partial(_shutdown_quietly, self._client), last=True))

    # -- calls --------------------------------------------------------------------------------

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(client, *args, **kwargs)`` in the connection's thread and return its result.

        Calls from any number of tasks run one at a time, in the order they were made.
        Exceptions from *fn* propagate, except socket and protocol-stream failures, which
        become ImapConnectError and mark the connection broken. Cancelling the awaiting
        task does not interrupt *fn*; it finishes in the thread and its result is dropped.
        """
        self._check_usable()
        return await self._submit(partial(self._run, fn, args, kwargs, None))

    async def call_in_folder(
        self,
        folder: str,
        fn: Callable[..., T],
        *args: Any,
        readonly: bool = False,
        **kwargs: Any,
    ) -> T:
        """Like call(), with *folder* selected (read-only if *readonly*) before *fn* runs.

        The SELECT is skipped when the previous job on this connection was a
        call_in_folder for the same folder and mode: a dedicated IDLE connection then keeps
        its selection, and changes made between two IDLEs are still reported by the server
        instead of being absorbed by a new SELECT. Any call() in between forgets the
        selection, since it may have selected something else. *fn* must not change it.
        A folder that cannot be selected raises ImapError.
        """
        self._check_usable()
        target = (folder, readonly)
        return await self._submit(partial(self._run, fn, args, kwargs, target))

    @property
    def _logout_timeout(self) -> float:
        return min(self.settings.timeout, _LOGOUT_TIMEOUT)

    def _check_usable(self) -> None:
        if self._broken:
            raise ImapConnectError(
                f"connection to {self.settings.address} is broken: open a new one"
            )
        if not self._opened or self._closed:
            raise ImapError(f"{self!r} is not open")

    def _submit(self, fn: Callable[[], Any], *, last: bool = False) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._jobs.put(_Job(future, fn, last=last))
        return future

    # -- in the worker thread -----------------------------------------------------------------

    def _connect(self, credential: Credential) -> frozenset[str]:
        s = self.settings
        try:
            context = _ssl_context(s) if s.security != "none" else None
            client = IMAPClient(
                s.host, s.port, ssl=s.security == "ssl", ssl_context=context, timeout=s.timeout
            )
        except ImapError:
            raise
        except Exception as exc:
            raise ImapConnectError(_connect_error_message(exc, s)) from exc
        # imapclient leaves imaplib at debug level 5, which repr()s every response line,
        # message bodies included: about 3x slower fetches.
        client._imap.debug = 0
        self._client = client
        try:
            if s.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise ImapConnectError(
                        f"{s.address} does not offer STARTTLS: use --security ssl (usually "
                        "port 993), or --security none only on a trusted network"
                    )
                client.starttls(context)
            if client.has_capability("LOGINDISABLED"):
                raise ImapAuthError(
                    f"{s.address} refuses to log in over an unencrypted connection: "
                    "use --security starttls or ssl"
                )
            if isinstance(credential, BearerToken):
                _bearer_login(client, s, credential)
            else:
                _password_login(client, s, credential)
            return frozenset(
                (c.decode("ascii", "replace") if isinstance(c, bytes) else str(c)).upper()
                for c in client.capabilities()
            )
        except ImapError:
            _shutdown_quietly(client)
            self._client = None
            raise
        except Exception as exc:
            _shutdown_quietly(client)
            self._client = None
            raise ImapConnectError(_connect_error_message(exc, s)) from exc

    def _run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        target: tuple[str, bool] | None,
    ) -> Any:
        if self._broken:  # an earlier job in the queue broke it
            raise ImapConnectError(
                f"connection to {self.settings.address} is broken: open a new one"
            )
        client = self._client
        if client is None:
            raise ImapError(f"{self!r} is not open")
        try:
            if target is None:
                self._selected = None
            elif self._selected != target:
                self._select(client, *target)
            return fn(client, *args, **kwargs)
        except ImapConnectError:
            self._break()
            raise
        except _CONNECTION_ERRORS as exc:
            self._break()
            raise ImapConnectError(_lost_message(exc, self.settings)) from exc

    def _select(self, client: IMAPClient, folder: str, readonly: bool) -> None:
        self._selected = None
        try:
            client.select_folder(folder, readonly=readonly)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as exc:
            raise ImapError(
                f"cannot open folder {sanitize_line(folder)!r} on {self.settings.address} "
                f"({_server_text(exc)})"
            ) from exc
        self._selected = (folder, readonly)

    def _break(self) -> None:
        self._broken = True
        self._selected = None
        _shutdown_quietly(self._client)

    def _logout(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        if self._broken:
            _shutdown_quietly(client)
            return
        try:
            with contextlib.suppress(OSError):
                client.socket().settimeout(self._logout_timeout)
            client.logout()
        except Exception as exc:
            log.debug("%s: logout from %s failed: %s", self.name, self.settings.address, exc)
            _shutdown_quietly(client)

    def _drop(self) -> None:
        client, self._client = self._client, None
        _shutdown_quietly(client)

    # -- from the event loop ------------------------------------------------------------------

    def _cut_socket(self) -> None:
        client = self._client
        if client is None:
            return
        with contextlib.suppress(Exception):
            # socket.socket.shutdown acts on the file descriptor only (SSLSocket.shutdown
            # would also tear down TLS state the worker thread is using); a blocked recv in
            # the thread then returns at once.
            socket.socket.shutdown(client.socket(), socket.SHUT_RDWR)
