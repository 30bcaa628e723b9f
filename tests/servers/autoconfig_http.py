"""A local HTTP (or HTTPS) server of autoconfig files, for discovery tests.

Pages are keyed by (host, path): the Host header's name (without the port), or "*" for
any host, and the path without the query. A page can be slow (`delay` seconds before
answering), large, sent without a Content-Length or chunked, or redirect. Every request
is recorded as (host, path with query).
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.certs import CertFiles

HOST = "127.0.0.1"
CONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"


@dataclass(frozen=True)
class Page:
    body: bytes = b""
    status: int = 200
    delay: float = 0.0
    location: str | None = None  # a redirect's target
    length: bool = True  # send a Content-Length (else: close to end the body)
    chunked: bool = False
    content_type: str = "text/xml"


@dataclass
class AutoconfigServer:
    port: int
    tls: bool
    pages: dict[tuple[str, str], Page]
    requests: list[tuple[str, str]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def url(self, host: str, path: str = CONFIG_PATH) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: AutoconfigServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (size cap, timeout) is what some tests want


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(5)
            self.request.do_handshake()
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        path, _, _ = self.path.partition("?")
        owner.requests.append((host, self.path))
        page = owner.pages.get((host, path)) or owner.pages.get(("*", path))
        if page is None:
            page = Page(b"not here", status=404)
        if page.delay:
            time.sleep(page.delay)
        self.send_response(page.status)
        if page.location is not None:
            self.send_header("Location", page.location)
        self.send_header("Content-Type", page.content_type)
        if page.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif page.length:
            self.send_header("Content-Length", str(len(page.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if page.chunked:
            for start in range(0, len(page.body), 1000):
                piece = page.body[start:start + 1000]
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(page.body)
        self.close_connection = True


def start_autoconfig_server(pages: Mapping[tuple[str, str], Page], *,
                            cert: CertFiles | None = None) -> AutoconfigServer:
    """Serve `pages` on a free port of 127.0.0.1 (HTTPS with `cert`) from a thread."""
    httpd = _Server((HOST, 0), _Handler)
    if cert is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert.cert, cert.key)
        httpd.socket = context.wrap_socket(httpd.socket, server_side=True,
                                           do_handshake_on_connect=False)
    owner = AutoconfigServer(port=httpd.server_address[1], tls=cert is not None,
                             pages=dict(pages), _server=httpd)
    httpd.owner = owner
    owner._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                     name="test-autoconfig", daemon=True)
    owner._thread.start()
    return owner


@contextlib.contextmanager
def running_autoconfig_server(pages: Mapping[tuple[str, str], Page], *,
                              cert: CertFiles | None = None) -> Iterator[AutoconfigServer]:
    server = start_autoconfig_server(pages, cert=cert)
    try:
        yield server
    finally:
        server.stop()


def config_xml(domain: str = "example.test", *, imap_host: str = "imap.example.test",
               imap_port: int = 993, socket_type: str = "SSL",
               username: str = "%EMAILADDRESS%", smtp_host: str = "smtp.example.test",
               smtp_port: int = 587, smtp_socket: str = "STARTTLS",
               display_name: str = "Example Mail", extra: str = "") -> bytes:
    """A config-v1.1.xml file in Thunderbird's format."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="{domain}">
    <domain>{domain}</domain>
    <displayName>{display_name}</displayName>
    <displayShortName>Example</displayShortName>
    <incomingServer type="imap">
      <hostname>{imap_host}</hostname>
      <port>{imap_port}</port>
      <socketType>{socket_type}</socketType>
      <username>{username}</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.{domain}</hostname>
      <port>995</port>
      <socketType>SSL</socketType>
      <username>{username}</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    {extra}
    <outgoingServer type="smtp">
      <hostname>{smtp_host}</hostname>
      <port>{smtp_port}</port>
      <socketType>{smtp_socket}</socketType>
      <username>{username}</username>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
""".encode()
