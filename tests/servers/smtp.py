"""A real SMTP server in-process (aiosmtpd) for integration tests.

The server runs its own event loop in its own thread, as aiosmtpd's Controller does.
It speaks plain SMTP, STARTTLS (required before anything else) or implicit TLS, offers
AUTH PLAIN and LOGIN against a users dict, records every accepted message, can refuse
chosen recipients, and can be stopped and started again on the same port.

A test module gets it by importing the fixtures::

    from tests.servers import smtp as smtp_servers

    smtp_server = smtp_servers.smtp_server
    smtp_server_factory = smtp_servers.smtp_server_factory

then asks for ``smtp_server`` (STARTTLS mode; parametrise with
``@pytest.mark.parametrize("smtp_server", ["none", "ssl"], indirect=True)``) or for
``smtp_server_factory`` and calls it with a mode and SmtpServer's keyword arguments.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import DATA_SIZE_DEFAULT, SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers.certs import CertFiles, make_self_signed_cert

HOST = "127.0.0.1"
MODES = ("none", "starttls", "ssl")
MECHANISMS = ("LOGIN", "PLAIN")
SERVER_NAME = "smtp.example.test"
DEFAULT_USERS = ("alice@example.com", "support@example.com")
REFUSED_REPLY = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"
_READY_TIMEOUT = 5.0


@dataclass(frozen=True)
class Received:
    """One message the server accepted: the envelope and the bytes after DATA."""

    sender: str
    recipients: tuple[str, ...]
    raw: bytes
    login: str | None  # who authenticated on the session, if anyone


def free_port() -> int:
    """A TCP port on HOST that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class _Handler:
    """aiosmtpd hooks; they run in the server's thread."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self._server.auth_required and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        refusal = self._server.refusal_for(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        login = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode("utf-8", "replace")
        raw = envelope.original_content or b""
        number = self._server.record(
            Received(
                sender=envelope.mail_from or "",
                recipients=tuple(envelope.rcpt_tos),
                raw=bytes(raw),
                login=login,
            )
        )
        return f"250 2.0.0 Ok: queued as {number}"


class SmtpServer:
    """One aiosmtpd server on HOST:port.

    mode: "none" (plain; AUTH offered without TLS), "starttls" (STARTTLS offered and
    required before MAIL; AUTH only after it) or "ssl" (implicit TLS).
    mechanisms: the AUTH mechanisms offered; () offers none (in "starttls" mode an AUTH
    line without mechanisms is still advertised after STARTTLS).
    auth_required: refuse MAIL FROM with 530 until the client logged in.
    data_size_limit: advertised as SIZE; bigger messages are refused with 552.
    """

    def __init__(
        self,
        mode: str = "starttls",
        *,
        users: Mapping[str, str] | None = None,
        port: int | None = None,
        mechanisms: Sequence[str] = MECHANISMS,
        auth_required: bool = False,
        data_size_limit: int = DATA_SIZE_DEFAULT,
        certs: CertFiles | None = None,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: use one of {MODES}")
        self.mode = mode
        self.host = HOST
        self.port = port if port is not None else free_port()
        self.users: dict[str, str] = (
            dict(users)
            if users is not None
            else {u: secrets.token_urlsafe(12) for u in DEFAULT_USERS}
        )
        self.mechanisms = tuple(m.upper() for m in mechanisms)
        self.auth_required = auth_required
        self.data_size_limit = data_size_limit
        self.received: list[Received] = []
        self._refused: dict[str, str] = {}
        self._lock = threading.Lock()
        self._own_dir: Path | None = None
        if certs is None:
            self._own_dir = Path(tempfile.mkdtemp(prefix="fd-smtp-"))
            certs = make_self_signed_cert(self._own_dir / "tls")
        self.certs = certs
        self._controller: Controller | None = None

    # -- what tests use ----------------------------------------------------------------

    @property
    def ca_file(self) -> str:
        """The PEM file a client must trust to verify this server's certificate."""
        return str(self.certs.cert)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def refuse(self, address: str, reply: str | None = None) -> None:
        """Answer RCPT TO *address* with *reply* (default: 550 user unknown)."""
        with self._lock:
            self._refused[address.lower()] = reply or REFUSED_REPLY.format(address=address)

    def accept(self, address: str) -> None:
        """Stop refusing *address*."""
        with self._lock:
            self._refused.pop(address.lower(), None)

    def refusal_for(self, address: str) -> str | None:
        with self._lock:
            return self._refused.get(address.lower())

    def record(self, message: Received) -> int:
        with self._lock:
            self.received.append(message)
            return len(self.received)

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Listen on self.port and return once the server greets."""
        if self._controller is not None:
            return
        controller = Controller(self._handler(), **self._controller_kwargs())
        controller.start()  # waits for the listener and one SMTP session to be set up
        self._controller = controller
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop listening; the port stays this server's for start()."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def close(self) -> None:
        """Stop and remove the certificate files this server created."""
        self.stop()
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)
            self._own_dir = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<SmtpServer {self.mode} {self.host}:{self.port} {state}>"

    # -- setup -------------------------------------------------------------------------

    def _handler(self) -> _Handler:
        return _Handler(self)

    def _server_tls(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.certs.cert, self.certs.key)
        return ctx

    def _controller_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "hostname": self.host,
            "port": self.port,
            "server_hostname": SERVER_NAME,
            "ready_timeout": _READY_TIMEOUT,
            "authenticator": self._authenticate,
            "data_size_limit": self.data_size_limit,
            "auth_exclude_mechanism": [m for m in MECHANISMS if m not in self.mechanisms],
        }
        offer = bool(self.mechanisms)
        if self.mode == "starttls":
            kwargs.update(tls_context=self._server_tls(), require_starttls=True)
            kwargs["auth_require_tls"] = True
        elif self.mode == "ssl":
            kwargs["ssl_context"] = self._server_tls()
            # aiosmtpd counts only STARTTLS as TLS; the whole session is TLS here.
            kwargs["auth_require_tls"] = not offer
        else:
            # Passwords in clear are fine on loopback; hiding AUTH needs this switch.
            kwargs["auth_require_tls"] = not offer
        return kwargs

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: Any,
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            login = auth_data.login.decode("utf-8", "replace")
            password = auth_data.password.decode("utf-8", "replace")
            if login in self.users and secrets.compare_digest(
                self.users[login].encode(), password.encode()
            ):
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + _READY_TIMEOUT
        problem = "no 220 greeting"
        while time.monotonic() < deadline:
            try:
                if self._greets():
                    return
                problem = "no 220 greeting"
            except OSError as exc:
                problem = str(exc) or type(exc).__name__
            time.sleep(0.01)
        raise TimeoutError(f"{self!r} did not greet within {_READY_TIMEOUT} s: {problem}")

    def _greets(self) -> bool:
        with socket.create_connection((self.host, self.port), timeout=1.0) as raw:
            if self.mode == "ssl":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.load_verify_locations(cafile=self.ca_file)
                with ctx.wrap_socket(raw, server_hostname=self.host) as tls:
                    greeting = tls.recv(512)
                    with contextlib.suppress(OSError):
                        tls.sendall(b"QUIT\r\n")
            else:
                greeting = raw.recv(512)
                with contextlib.suppress(OSError):
                    raw.sendall(b"QUIT\r\n")
        return greeting.startswith(b"220")


def start_smtp_server(mode: str = "starttls", **kwargs: Any) -> SmtpServer:
    """A started SmtpServer (see its arguments); close() it when done."""
    server = SmtpServer(mode, **kwargs)
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server


# -- fixtures (import them into the test module that uses them) --------------------------


@pytest.fixture
def smtp_server_factory() -> Iterator[Callable[..., SmtpServer]]:
    """Start SMTP servers (start_smtp_server arguments); all are closed after the test."""
    started: list[SmtpServer] = []

    def start(mode: str = "starttls", **kwargs: Any) -> SmtpServer:
        server = start_smtp_server(mode, **kwargs)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.close()


@pytest.fixture
def smtp_server(
    request: pytest.FixtureRequest, smtp_server_factory: Callable[..., SmtpServer]
) -> SmtpServer:
    """A fresh server for one test; STARTTLS mode unless parametrised indirectly with a
    mode ("none", "starttls", "ssl")."""
    mode = getattr(request, "param", "starttls")
    return smtp_server_factory(mode)
