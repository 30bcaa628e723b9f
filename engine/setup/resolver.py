"""DNS for discovery: MX, SRV and address lookups through one resolver, asking either
the system's DNS servers or one named server (IP and port), with a short timeout.

Lookups never raise for "there is nothing": a name that does not exist, or has no
record of the type, gives an empty tuple. LookupFailed (one line) means no verdict: the
server did not answer in time, refused, or none is configured. After one timeout the
resolver stops asking, so a dead server costs one timeout, not one per name.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver

from engine.setup.address import is_host_name, is_ip_address


class LookupFailed(Exception):
    """A lookup got no answer; str() is one line fit for Discovery.tried."""


@dataclass(frozen=True)
class SrvRecord:
    """One SRV record. target "." means the service is not offered (RFC 2782)."""

    priority: int
    weight: int
    port: int
    target: str


def seconds(value: float) -> str:
    """A duration for messages: "3 s", "0.5 s"."""
    return f"{value:g} s"


class Resolver:
    """Asks one DNS server (or the system's) about names, each query bounded by
    `timeout` seconds."""

    def __init__(self, nameserver: tuple[str, int] | None, timeout: float) -> None:
        self.nameserver = nameserver
        self.timeout = timeout
        self._dead: str | None = None  # why further queries are skipped
        self._resolver: dns.asyncresolver.Resolver | None = None
        self._no_config: str | None = None
        try:
            if nameserver is None:
                self._resolver = dns.asyncresolver.Resolver()
            else:
                self._resolver = dns.asyncresolver.Resolver(configure=False)
                self._resolver.nameservers = [nameserver[0]]
                self._resolver.port = nameserver[1]
        except (dns.resolver.NoResolverConfiguration, OSError, ValueError):
            self._no_config = "no DNS server configured on this system; give one"
        if self._resolver is not None:
            self._resolver.timeout = timeout
            self._resolver.lifetime = timeout

    @property
    def server(self) -> str:
        """The DNS server asked, for messages."""
        if self.nameserver is None:
            return "system's DNS server"
        host, port = self.nameserver
        return f"DNS server {host}:{port}" if ":" not in host else f"DNS server [{host}]:{port}"

    async def mx(self, domain: str) -> tuple[str, ...]:
        """The domain's MX hosts, most preferred first."""
        answer = await self._query(domain, "MX")
        records = sorted((r.preference, r.exchange.to_text(omit_final_dot=True).lower())
                         for r in answer)
        return tuple(host for _, host in records if is_host_name(host))

    async def srv(self, name: str) -> tuple[SrvRecord, ...]:
        """The SRV records of `name` as given (ordering is engine.setup.srv's)."""
        answer = await self._query(name, "SRV")
        found = []
        for r in answer:
            target = "." if r.target == dns.name.root else r.target.to_text(
                omit_final_dot=True).lower()
            if target == "." or is_host_name(target):
                found.append(SrvRecord(int(r.priority), int(r.weight), int(r.port), target))
        return tuple(found)

    async def addresses(self, host: str) -> tuple[str, ...]:
        """The IP addresses of `host` (IPv4 first); `host` itself when it is an IP."""
        if is_ip_address(host):
            return (host,)
        if self.nameserver is None:
            return await self._system_addresses(host)
        results: list[list[Any] | BaseException] = list(await asyncio.gather(
            self._query(host, "A"), self._query(host, "AAAA"), return_exceptions=True))
        failures = [r for r in results if isinstance(r, BaseException)]
        ips = tuple(r.address for found in results if not isinstance(found, BaseException)
                    for r in found)
        for failure in failures:
            if not isinstance(failure, LookupFailed) or not ips:
                raise failure
        return ips

    async def _system_addresses(self, host: str) -> tuple[str, ...]:
        """getaddrinfo, as every other program here resolves (it reads /etc/hosts)."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout):
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise LookupFailed(f"looking up {host} timed out after "
                               f"{seconds(self.timeout)}") from None
        except socket.gaierror as exc:
            if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
                return ()
            raise LookupFailed(f"looking up {host} failed") from None
        ips = [str(info[4][0]) for info in infos]
        ordered = sorted(dict.fromkeys(ips), key=lambda ip: ":" in ip)
        return tuple(ordered)

    async def _query(self, name: str, rdtype: str) -> list[Any]:
        if self._no_config is not None:
            raise LookupFailed(self._no_config)
        if self._dead is not None:
            raise LookupFailed(self._dead)
        assert self._resolver is not None
        try:
            answer = await self._resolver.resolve(name, rdtype, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.Timeout:
            self._dead = f"skipped: the {self.server} did not answer"
            raise LookupFailed(f"the {self.server} did not answer within "
                               f"{seconds(self.timeout)}") from None
        except dns.resolver.NoNameservers:
            raise LookupFailed(f"the {self.server} refused or failed the query") from None
        except dns.exception.DNSException as exc:
            raise LookupFailed(f"DNS lookup failed ({type(exc).__name__})") from None
        except OSError as exc:
            raise LookupFailed(f"cannot reach the {self.server} "
                               f"({exc.strerror or type(exc).__name__})") from None
        return list(answer)
