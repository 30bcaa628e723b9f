"""A small HTTP GET for autoconfig files, on asyncio streams: names resolved through
discovery's resolver (so a chosen DNS server is asked), a cap on the size of headers
and body, a few redirects at most (never from https down to http), and one-line
failures. The caller bounds the whole fetch with a timeout; cancelling it closes the
connection at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from engine.setup.address import is_host_name, is_ip_address
from engine.setup.resolver import LookupFailed, Resolver

MAX_BODY = 64 * 1024
MAX_HEADERS = 16 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "frontdesk-autoconfig"


class FetchFailed(Exception):
    """The fetch gave no file; str() is one line fit for Discovery.tried."""


@dataclass(frozen=True)
class Target:
    """Where a URL points."""

    scheme: str  # http | https
    host: str
    port: int
    path: str  # path and query, at least "/"

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def parse_url(url: str) -> Target:
    """The target of an http or https URL; ValueError (one line) for anything else."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        raise ValueError("not an http:// or https:// address")
    if parts.username is not None or parts.password is not None:
        raise ValueError("a user name or password in the address is not allowed")
    host = (parts.hostname or "").lower()
    if not host or not (is_host_name(host) or is_ip_address(host)):
        raise ValueError("no valid host name in the address")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise ValueError("not a valid port in the address") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if any(ch <= " " or ch == "\x7f" for ch in path):
        raise ValueError("spaces or control characters in the address")
    return Target(parts.scheme, host, port, path)


async def fetch(url: str, *, resolver: Resolver, tls: ssl.SSLContext,
                max_bytes: int = MAX_BODY) -> bytes:
    """The body of `url` (status 200), following up to MAX_REDIRECTS redirects. Raises
    FetchFailed with one line for anything else."""
    try:
        target = parse_url(url)
    except ValueError as exc:
        raise FetchFailed(str(exc)) from None
    for _ in range(MAX_REDIRECTS + 1):
        status, headers, body = await _get(target, resolver, tls, max_bytes)
        if status in (301, 302, 303, 307, 308):
            target = _redirect(target, headers.get("location", ""))
            continue
        if status != 200:
            raise FetchFailed(f"HTTP {status}")
        return body
    raise FetchFailed(f"more than {MAX_REDIRECTS} redirects")


def _redirect(current: Target, location: str) -> Target:
    if not location:
        raise FetchFailed("a redirect without a Location")
    try:
        base = f"{current.scheme}://{current.host_header}{current.path}"
        target = parse_url(urljoin(base, location))
    except ValueError as exc:
        raise FetchFailed(f"a redirect to a bad address ({exc})") from None
    if current.scheme == "https" and target.scheme == "http":
        raise FetchFailed(f"a redirect from https to http://{target.host_header} refused")
    return target


async def _get(target: Target, resolver: Resolver, tls: ssl.SSLContext,
               max_bytes: int) -> tuple[int, dict[str, str], bytes]:
    try:
        ips = await resolver.addresses(target.host)
    except LookupFailed as exc:
        raise FetchFailed(str(exc)) from None
    if not ips:
        raise FetchFailed(f"no such host {target.host}")
    reader, writer = await _connect(target, ips, tls)
    try:
        request = (f"GET {target.path} HTTP/1.1\r\nHost: {target.host_header}\r\n"
                   f"User-Agent: {USER_AGENT}\r\nAccept: application/xml, text/xml\r\n"
                   "Accept-Encoding: identity\r\nConnection: close\r\n\r\n")
        writer.write(request.encode("ascii", "strict"))
        await writer.drain()
        status, headers = await _read_head(reader)
        if status != 200:
            return status, headers, b""
        return status, headers, await _read_body(reader, headers, max_bytes)
    except (ConnectionError, OSError, asyncio.IncompleteReadError) as exc:
        raise FetchFailed(f"the connection broke ({reason(exc)})") from None
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(1):
                await writer.wait_closed()


async def _connect(target: Target, ips: tuple[str, ...], tls: ssl.SSLContext
                   ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection to the first address that takes it (TLS for https, checking the
    certificate against the host name)."""
    failure = "no address to connect to"
    for ip in ips[:4]:
        try:
            if target.scheme == "https":
                return await asyncio.open_connection(
                    ip, target.port, ssl=tls, server_hostname=target.host,
                    limit=MAX_HEADERS)
            return await asyncio.open_connection(ip, target.port, limit=MAX_HEADERS)
        except ssl.SSLCertVerificationError as exc:
            raise FetchFailed(f"TLS certificate of {target.host} not trusted "
                              f"({str(exc.verify_message).rstrip('.')})") from None
        except ssl.SSLError as exc:
            raise FetchFailed(f"TLS with {target.host} failed ({exc.reason or 'handshake'})"
                              ) from None
        except OSError as exc:
            failure = f"cannot connect to {target.host}:{target.port} ({reason(exc)})"
    raise FetchFailed(failure)


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise FetchFailed(f"response headers larger than {MAX_HEADERS // 1024} KiB"
                          ) from None
    except asyncio.IncompleteReadError:
        raise FetchFailed("the server closed the connection without an answer") from None
    lines = head.decode("latin-1").split("\r\n")
    status_line = lines[0].split(" ", 2)
    if (len(status_line) < 2 or not status_line[0].startswith("HTTP/")
            or not (status_line[1].isascii() and status_line[1].isdigit())
            or len(status_line[1]) != 3):
        raise FetchFailed("not an HTTP answer")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon and name.strip():
            headers[name.strip().lower()] = value.strip()
    return int(status_line[1]), headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str],
                     max_bytes: int) -> bytes:
    too_big = FetchFailed(f"larger than {max_bytes // 1024} KiB")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return await _read_chunked(reader, max_bytes, too_big)
    length = headers.get("content-length")
    if length is not None:
        if not (length.isascii() and length.isdigit()) or len(length) > 12:
            raise FetchFailed("a bad Content-Length")
        if int(length) > max_bytes:
            raise too_big
        return await reader.readexactly(int(length))
    body = bytearray()
    while chunk := await reader.read(16 * 1024):
        body += chunk
        if len(body) > max_bytes:
            raise too_big
    return bytes(body)


async def _read_chunked(reader: asyncio.StreamReader, max_bytes: int,
                        too_big: FetchFailed) -> bytes:
    body = bytearray()
    while True:
        try:
            size_line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError:
            raise FetchFailed("a bad chunked body") from None
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise FetchFailed("a bad chunked body") from None
        if size < 0:
            raise FetchFailed("a bad chunked body")
        if size == 0:
            return bytes(body)
        if len(body) + size > max_bytes:
            raise too_big
        body += await reader.readexactly(size)
        await reader.readexactly(2)  # the CRLF after each chunk


def reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words: "connection refused", the system's
    reason in lower case, else the error's type."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return type(exc).__name__
