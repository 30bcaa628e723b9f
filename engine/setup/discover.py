"""From an email address to its servers, asking in order: the provider presets (by
domain), the domain's MX hosts (a domain hosted by Google or Microsoft), Mozilla
autoconfig files, DNS SRV records, and last a guess at the usual host names (a TCP
connect to the usual ports). The first source that names an incoming server wins.

`discover` never raises for the network: every lookup, fetch and connect and what came
of it is a line of Discovery.tried. Only what the person gave can be refused
(InvalidInputError, one line): the address, the DNS server, the autoconfig URL, the
timeout or the CA file. Each network step is bounded by DiscoveryNetwork.timeout, so
the whole takes a few timeouts at most.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence

from engine.errors import InvalidInputError
from engine.sanitize import sanitize_line
from engine.setup import autoconfig, srv
from engine.setup.address import is_ip_address, split_address
from engine.setup.autoconfig import AutoconfigFile, ConfigServer
from engine.setup.http_fetch import parse_url, reason
from engine.setup.models import (
    DEFAULT_NETWORK,
    SOURCE_AUTOCONFIG,
    SOURCE_GUESS,
    SOURCE_MX,
    SOURCE_PRESET,
    SOURCE_SRV,
    AuthHints,
    Discovery,
    DiscoveryNetwork,
    ServerGuess,
)
from engine.setup.presets import (
    PASSWORD,
    Endpoint,
    ProviderPreset,
    fill_username,
    preset_for_domain,
    preset_for_host,
    preset_for_mx,
)
from engine.setup.resolver import LookupFailed, Resolver, seconds
from engine.tls import client_context

MIN_TIMEOUT = 0.1
MAX_TIMEOUT = 60.0
PROTOCOLS = ("imap", "pop3", "smtp")
# Host names guessed for each protocol, as prefixes of the domain, in order.
GUESS_HOSTS = {"imap": ("imap", "mail"), "pop3": ("pop", "pop3", "mail"),
               "smtp": ("smtp", "mail")}
_PASSWORD_AUTH = {"password-cleartext", "password-encrypted", "plain", "secure"}


async def discover(address: str, *, network: DiscoveryNetwork = DEFAULT_NETWORK
                   ) -> Discovery:
    """Find the servers of `address` (see the module docstring for the order). Raises
    InvalidInputError only for a bad address or bad network settings."""
    local, domain = split_address(address)
    address = f"{local}@{domain}"
    _check(network)
    tls = await asyncio.to_thread(_tls_context, network.ca_file)
    # Resolver() reads /etc/resolv.conf: a file read, so off the event loop.
    resolver = await asyncio.to_thread(Resolver, network.nameserver, network.timeout)
    run = _Run(address, domain, network, resolver, tls)
    return await run.discover()


def _check(network: DiscoveryNetwork) -> None:
    if not MIN_TIMEOUT <= network.timeout <= MAX_TIMEOUT:
        raise InvalidInputError(
            f"timeout {network.timeout:g}: give {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g} seconds")
    if network.autoconfig_url is not None:
        try:
            parse_url(network.autoconfig_url)
        except ValueError as exc:
            raise InvalidInputError(
                f"autoconfig URL {network.autoconfig_url!r}: {exc}") from None
    if network.nameserver is not None:
        host, dns_port = network.nameserver
        if not is_ip_address(host) or not 0 < dns_port < 65536:
            raise InvalidInputError(
                f"DNS server {host}:{dns_port}: give an IP address and port")
    for web_port in (network.http_port, network.https_port):
        if web_port is not None and not 0 < web_port < 65536:
            raise InvalidInputError(f"port {web_port}: give 1 to 65535")
    for probe in network.probes:
        if probe.protocol not in PROTOCOLS or not 0 < probe.port < 65536:
            raise InvalidInputError(f"cannot probe {probe.protocol} on port {probe.port}")


def _tls_context(ca_file: str | None) -> ssl.SSLContext:
    """The context for https: the system's CAs, or only `ca_file`."""
    try:
        return client_context(verify_cert=True, ca_file=ca_file)
    except (OSError, ssl.SSLError, ValueError):
        raise InvalidInputError(
            f"CA file {ca_file}: cannot be read as PEM certificates; check the path") from None


class _Run:
    """One discovery: the steps in order, and the lines they leave."""

    def __init__(self, address: str, domain: str, network: DiscoveryNetwork,
                 resolver: Resolver, tls: ssl.SSLContext) -> None:
        self.address = address
        self.domain = domain
        self.network = network
        self.resolver = resolver
        self.tls = tls
        self.tried: list[str] = []

    async def discover(self) -> Discovery:
        explicit = self.network.autoconfig_url is not None
        steps = [self._autoconfig] if explicit else []
        steps += [self._preset, self._mx]
        if not explicit:
            steps.append(self._autoconfig)
        steps += [self._srv, self._guess]
        for step in steps:
            found = await step()
            if found is not None:
                return found
        return self._result(None, "", None, {}, AuthHints())

    # -- the steps, in order ------------------------------------------------------------

    async def _preset(self) -> Discovery | None:
        preset = preset_for_domain(self.domain)
        if preset is None:
            self.tried.append(f"preset {self.domain}: none")
            return None
        self.tried.append(f"preset {self.domain}: {preset.name}")
        return self._from_preset(preset, SOURCE_PRESET, preset.name)

    async def _mx(self) -> Discovery | None:
        try:
            hosts = await self.resolver.mx(self.domain)
        except LookupFailed as exc:
            self.tried.append(f"MX {self.domain}: {exc}")
            return None
        if not hosts:
            self.tried.append(f"MX {self.domain}: none")
            return None
        hit = preset_for_mx(hosts)
        if hit is None:
            shown = ", ".join(hosts[:3]) + (f" (+{len(hosts) - 3} more)" if len(hosts) > 3
                                            else "")
            self.tried.append(f"MX {self.domain}: {shown} (no provider preset)")
            return None
        preset, host = hit
        name = preset.hosted_name or preset.name
        self.tried.append(f"MX {self.domain}: {host} -> {name}")
        return self._from_preset(preset, SOURCE_MX, name)

    async def _autoconfig(self) -> Discovery | None:
        urls = autoconfig.candidate_urls(self.address, self.domain, self.network)
        result = await autoconfig.lookup(self.address, urls, resolver=self.resolver,
                                         tls=self.tls, limit=self.network.timeout)
        self.tried.extend(result.tried)
        if result.config is None:
            return None
        return self._from_autoconfig(result.config)

    async def _srv(self) -> Discovery | None:
        names = [f"{service.label}.{self.domain}" for service in srv.SERVICES]
        found = await asyncio.gather(*(self.resolver.srv(n) for n in names),
                                     return_exceptions=True)
        answers = []
        for name, service, records in zip(names, srv.SERVICES, found, strict=True):
            if isinstance(records, LookupFailed):
                self.tried.append(f"SRV {name}: {records}")
            elif isinstance(records, BaseException):
                raise records
            else:
                answer = srv.answer(service, records)
                answers.append(answer)
                self.tried.append(srv.describe(name, answer))
        servers: dict[str, ServerGuess] = {}
        for protocol in PROTOCOLS:
            chosen = srv.best(answers, protocol)
            if chosen is not None:
                service, record = chosen
                servers[protocol] = ServerGuess(protocol, record.target, record.port,
                                                service.security, self.address)
        if "imap" not in servers and "pop3" not in servers:
            return None
        return self._found_elsewhere(SOURCE_SRV, "", servers, ())

    async def _guess(self) -> Discovery | None:
        names = {p: [f"{prefix}.{self.domain}" for prefix in GUESS_HOSTS[p]] for p in PROTOCOLS}
        hosts = list(dict.fromkeys(h for p in PROTOCOLS for h in names[p]))
        looked_up = await asyncio.gather(*(self.resolver.addresses(h) for h in hosts),
                                         return_exceptions=True)
        ips: dict[str, str] = {}
        for host, found in zip(hosts, looked_up, strict=True):
            if isinstance(found, LookupFailed):
                self.tried.append(f"guess {host}: {found}")
            elif isinstance(found, BaseException):
                raise found
            elif not found:
                self.tried.append(f"guess {host}: no such host")
            else:
                ips[host] = found[0]
        attempts = [(host, probe) for p in PROTOCOLS for host in names[p] if host in ips
                    for probe in self.network.probes if probe.protocol == p]
        outcomes = await asyncio.gather(*(self._connect(ips[h], probe.port)
                                          for h, probe in attempts))
        servers: dict[str, ServerGuess] = {}
        for (host, probe), outcome in zip(attempts, outcomes, strict=True):
            self.tried.append(f"guess {probe.protocol.upper()} {host}:{probe.port}: {outcome}")
            if outcome == "open" and probe.protocol not in servers:
                servers[probe.protocol] = ServerGuess(probe.protocol, host, probe.port,
                                                      probe.security, self.address)
        if "imap" not in servers and "pop3" not in servers:
            return None
        return self._found_elsewhere(SOURCE_GUESS, "", servers, ())

    async def _connect(self, ip: str, port: int) -> str:
        """Whether a TCP connection to ip:port opens: "open", or why not."""
        try:
            async with asyncio.timeout(self.network.timeout):
                _, writer = await asyncio.open_connection(ip, port)
        except TimeoutError:
            return f"timed out after {seconds(self.network.timeout)}"
        except OSError as exc:
            return reason(exc).lower()
        writer.close()
        return "open"

    # -- turning what a step found into a Discovery --------------------------------------

    def _from_preset(self, preset: ProviderPreset, source: str, provider: str) -> Discovery:
        servers = {protocol: self._endpoint_guess(protocol, endpoint, preset)
                   for protocol, endpoint in (("imap", preset.imap), ("pop3", preset.pop3),
                                              ("smtp", preset.smtp)) if endpoint is not None}
        return self._result(source, provider, preset, servers, _preset_hints(preset))

    def _endpoint_guess(self, protocol: str, endpoint: Endpoint,
                        preset: ProviderPreset) -> ServerGuess:
        return ServerGuess(protocol, endpoint.host, endpoint.port, endpoint.security,
                           fill_username(preset.username, self.address))

    def _from_autoconfig(self, config: AutoconfigFile) -> Discovery:
        servers: dict[str, ServerGuess] = {}
        for protocol in PROTOCOLS:
            entries = config.outgoing if protocol == "smtp" else config.incoming
            guess = _best_entry([s for s in entries if s.protocol == protocol], self.address)
            if guess is not None:
                servers[protocol] = guess
        auth = tuple(a for g in servers.values() for a in g.auth)
        return self._found_elsewhere(SOURCE_AUTOCONFIG, config.display_name, servers, auth)

    def _found_elsewhere(self, source: str, provider: str, servers: dict[str, ServerGuess],
                         auth: Sequence[str]) -> Discovery:
        """Servers from autoconfig, SRV or a guess; a provider preset's hints when they
        are that provider's servers."""
        incoming = servers.get("imap") or servers.get("pop3")
        preset = preset_for_host(incoming.host) if incoming is not None else None
        if preset is not None:
            return self._result(source, provider or preset.name, preset, servers,
                                _preset_hints(preset))
        return self._result(source, provider, None, servers, _auth_hints(auth))

    def _result(self, source: str | None, provider: str, preset: ProviderPreset | None,
                servers: dict[str, ServerGuess], auth: AuthHints) -> Discovery:
        return Discovery(
            address=self.address, domain=self.domain, source=source, provider=provider,
            preset=preset, imap=servers.get("imap"), pop3=servers.get("pop3"),
            smtp=servers.get("smtp"), auth=auth,
            tried=tuple(sanitize_line(line) for line in self.tried),
        )


def _best_entry(entries: Sequence[ConfigServer], address: str) -> ServerGuess | None:
    """The first entry (the provider's preference) with TLS, else the first at all."""
    guesses = [g for g in (autoconfig.to_guess(e, address) for e in entries) if g is not None]
    secure = [g for g in guesses if g.security != "none"]
    ordered = secure or guesses
    return ordered[0] if ordered else None


def _preset_hints(preset: ProviderPreset) -> AuthHints:
    return AuthHints(methods=preset.auth, oauth=preset.oauth,
                     app_password_hint=preset.app_password_hint)


def _auth_hints(auth: Sequence[str]) -> AuthHints:
    """Hints from autoconfig authentication names: a password when one is asked for.
    OAuth2 is offered only for a preset's provider, whose client frontdesk knows."""
    if any(a.lower() in _PASSWORD_AUTH for a in auth):
        return AuthHints(methods=(PASSWORD,))
    return AuthHints()

