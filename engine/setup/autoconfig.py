"""Mozilla autoconfig: the config-v1.1.xml files Thunderbird reads (the ISPDB format),
where a domain's provider publishes its servers.

`candidate_urls` lists where a domain's file may be, in the order they are tried;
`parse_config` reads one file (untrusted: no DOCTYPE or entity declarations, at most
MAX_BODY bytes, every value checked) into an AutoconfigFile; `to_guess` fills a
server's templates for an address; `lookup` fetches the candidates at once and keeps
the first, in order, that names an incoming server.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from engine.errors import InvalidInputError
from engine.sanitize import sanitize_line
from engine.setup.address import is_host_name
from engine.setup.http_fetch import MAX_BODY, FetchFailed, fetch
from engine.setup.models import DiscoveryNetwork, ServerGuess
from engine.setup.presets import FULL_ADDRESS, fill_username
from engine.setup.resolver import Resolver, seconds

ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/{domain}"
SOCKET_TYPES = {"ssl": "ssl", "starttls": "starttls", "plain": "none"}
INCOMING_TYPES = ("imap", "pop3")
MAX_SERVERS = 20  # of each direction; a real file names a handful
_PLACEHOLDER = re.compile(r"%[A-Z]+%")
_KNOWN_PLACEHOLDERS = {"%EMAILADDRESS%", "%EMAILLOCALPART%", "%EMAILDOMAIN%"}
_PORT = re.compile(r"^[0-9]{1,5}$")
_AUTH_NAME = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII_COMPATIBLE = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1",
                     "latin1", "iso-8859-15", "windows-1252", "cp1252"}


@dataclass(frozen=True)
class ConfigServer:
    """One server of an autoconfig file, its host name and username still templates
    (%EMAILADDRESS%, %EMAILLOCALPART%, %EMAILDOMAIN%)."""

    protocol: str  # imap | pop3 | smtp
    hostname: str
    port: int
    security: str  # ssl | starttls | none
    username: str
    authentication: tuple[str, ...]  # as given: password-cleartext, OAuth2, ...


@dataclass(frozen=True)
class AutoconfigFile:
    """What an autoconfig file says: the provider and its servers, in the file's order
    (the provider's preference)."""

    provider_id: str
    display_name: str
    domains: tuple[str, ...]
    incoming: tuple[ConfigServer, ...]
    outgoing: tuple[ConfigServer, ...]


@dataclass(frozen=True)
class AutoconfigResult:
    """The outcome of looking for a domain's file: the first usable one (None: none)
    and where it came from, and one line per URL tried."""

    url: str | None
    config: AutoconfigFile | None
    tried: tuple[str, ...]


def candidate_urls(address: str, domain: str, network: DiscoveryNetwork) -> tuple[str, ...]:
    """Where `domain`'s autoconfig file may be, in the order to try: the explicit URL
    alone when the network names one; else autoconfig.DOMAIN over https and http, the
    domain's .well-known path, and (when allowed) Thunderbird's ISPDB."""
    if network.autoconfig_url:
        return (network.autoconfig_url,)
    https = f":{network.https_port}" if network.https_port else ""
    http = f":{network.http_port}" if network.http_port else ""
    query = "?emailaddress=" + quote(address, safe="")
    path = "/mail/config-v1.1.xml"
    urls = [
        f"https://autoconfig.{domain}{https}{path}{query}",
        f"http://autoconfig.{domain}{http}{path}{query}",
        f"https://{domain}{https}/.well-known/autoconfig{path}",
    ]
    if network.ispdb:
        urls.append(ISPDB_URL.format(domain=domain))
    return tuple(urls)


def parse_config(data: bytes) -> AutoconfigFile:
    """Read a config-v1.1.xml file. Raises InvalidInputError (one line) when it is too
    large, declares a DOCTYPE or entities, is not well-formed, or names no usable
    incoming server; entries that are not usable (unknown type or socketType, bad host
    or port) are left out."""
    if len(data) > MAX_BODY:
        raise InvalidInputError(f"autoconfig file larger than {MAX_BODY // 1024} KiB")
    text = _decode(data)
    if _DECLARATION.search(text):
        raise InvalidInputError("autoconfig file declares a DOCTYPE or entities: refused")
    try:
        parser = ET.XMLParser()
        parser.feed(text)
        root = parser.close()
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise InvalidInputError(
            f"autoconfig file is not well-formed XML (line {line}, column {column})"
        ) from None
    if _tag(root) != "clientConfig":
        raise InvalidInputError("not an autoconfig file: no <clientConfig>")
    provider = next((e for e in root if _tag(e) == "emailProvider"), None)
    if provider is None:
        raise InvalidInputError("autoconfig file has no <emailProvider>")
    incoming = _servers(provider, "incomingServer", INCOMING_TYPES)
    outgoing = _servers(provider, "outgoingServer", ("smtp",))
    if not incoming:
        raise InvalidInputError("autoconfig file names no usable IMAP or POP3 server")
    return AutoconfigFile(
        provider_id=_clean(provider.get("id", ""), 100),
        display_name=_clean(_child_text(provider, "displayName"), 100),
        domains=tuple(d for d in (_child_text(e, "") for e in provider
                                  if _tag(e) == "domain") if is_host_name(d))[:50],
        incoming=incoming,
        outgoing=outgoing,
    )


def to_guess(server: ConfigServer, address: str) -> ServerGuess | None:
    """The server for `address`: templates filled in; None when the host name that
    results is not one."""
    host = fill_username(server.hostname, address).lower()
    if not is_host_name(host):
        return None
    username = server.username
    if set(_PLACEHOLDER.findall(username)) - _KNOWN_PLACEHOLDERS:
        username = FULL_ADDRESS
    return ServerGuess(protocol=server.protocol, host=host.rstrip("."), port=server.port,
                       security=server.security, username=fill_username(username, address),
                       auth=server.authentication)


def describe_servers(config: AutoconfigFile, address: str) -> str:
    """The servers a file names, shortly, for a tried line."""
    parts = []
    for server in (*config.incoming, *config.outgoing)[:4]:
        guess = to_guess(server, address)
        if guess is not None:
            parts.append(f"{guess.protocol.upper()} {guess.host}:{guess.port} {guess.security}")
    return ", ".join(parts) or "no usable server"


async def lookup(address: str, urls: Sequence[str], *, resolver: Resolver,
                 tls: ssl.SSLContext, limit: float) -> AutoconfigResult:
    """Fetch `urls` at once, each bounded by `limit` seconds; the first (in order) holding a
    usable file wins and the fetches after it are cancelled. Never raises for the
    network or a bad file: those are lines in `tried`."""
    tasks = [asyncio.create_task(_fetch_one(url, address, resolver, tls, limit))
             for url in urls]
    tried: list[str] = []
    try:
        for url, task in zip(urls, tasks, strict=True):
            config, outcome = await task
            tried.append(f"autoconfig {url}: {outcome}")
            if config is not None:
                return AutoconfigResult(url, config, tuple(tried))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return AutoconfigResult(None, None, tuple(tried))


async def _fetch_one(url: str, address: str, resolver: Resolver, tls: ssl.SSLContext,
                     limit: float) -> tuple[AutoconfigFile | None, str]:
    try:
        async with asyncio.timeout(limit):
            data = await fetch(url, resolver=resolver, tls=tls)
    except TimeoutError:
        return None, f"timed out after {seconds(limit)}"
    except FetchFailed as exc:
        return None, str(exc)
    try:
        config = parse_config(data)
    except InvalidInputError as exc:
        return None, str(exc)
    if not any(to_guess(s, address) for s in config.incoming):
        return None, "autoconfig file names no usable IMAP or POP3 server"
    return config, describe_servers(config, address)


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    declared = _ENCODING.match(data)
    encoding = declared.group(1).decode("ascii").lower() if declared else "utf-8"
    if encoding not in _ASCII_COMPATIBLE:
        raise InvalidInputError(f"autoconfig file in an unsupported encoding ({encoding})")
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise InvalidInputError(f"autoconfig file is not valid {encoding}") from None


def _tag(element: ET.Element) -> str:
    """The tag without a namespace."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rpartition("}")[2]


def _child_text(element: ET.Element, name: str) -> str:
    """The text of the first child called `name` ("" : the element's own text)."""
    if not name:
        return (element.text or "").strip()
    child = next((c for c in element if _tag(c) == name), None)
    return "" if child is None else (child.text or "").strip()


def _clean(text: str, limit: int) -> str:
    line = sanitize_line(text)
    return line[:limit]


def _servers(provider: ET.Element, tag: str, types: tuple[str, ...]
             ) -> tuple[ConfigServer, ...]:
    found: list[ConfigServer] = []
    for element in provider:
        if _tag(element) != tag or len(found) >= MAX_SERVERS:
            continue
        server = _server(element, types)
        if server is not None:
            found.append(server)
    return tuple(found)


def _server(element: ET.Element, types: tuple[str, ...]) -> ConfigServer | None:
    protocol = element.get("type", "").strip().lower()
    if protocol not in types:
        return None
    hostname = _child_text(element, "hostname")
    probe = fill_username(hostname, "x@example.org")
    if not is_host_name(probe) or set(_PLACEHOLDER.findall(hostname)) - _KNOWN_PLACEHOLDERS:
        return None
    port_text = _child_text(element, "port")
    if not _PORT.match(port_text) or not 0 < int(port_text) < 65536:
        return None
    security = SOCKET_TYPES.get(_child_text(element, "socketType").lower())
    if security is None:
        return None
    username = _child_text(element, "username") or FULL_ADDRESS
    if len(username) > 254 or not username.isprintable() or any(c.isspace() for c in username):
        username = FULL_ADDRESS
    auth = tuple(a for a in (_child_text(c, "") for c in element
                             if _tag(c) == "authentication") if _AUTH_NAME.match(a))
    return ConfigServer(protocol=protocol, hostname=hostname, port=int(port_text),
                        security=security, username=username, authentication=auth[:10])
