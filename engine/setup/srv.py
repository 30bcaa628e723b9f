"""Mail services in DNS SRV records (RFC 6186, and RFC 8314 for implicit TLS
submission): which names to ask, how to order the answers, and the best server of each
protocol.

A service's records are tried by priority (lowest first), then weight (highest first);
a lone record whose target is "." says the domain does not offer the service. Between
the TLS and the STARTTLS service of one protocol, the lower priority wins and implicit
TLS wins a tie (RFC 8314 prefers it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.setup.resolver import SrvRecord


@dataclass(frozen=True)
class SrvService:
    """One SRV service name and what it stands for."""

    label: str  # "_imaps._tcp"
    protocol: str  # imap | pop3 | smtp
    security: str  # ssl | starttls


SERVICES = (
    SrvService("_imaps._tcp", "imap", "ssl"),
    SrvService("_imap._tcp", "imap", "starttls"),
    SrvService("_pop3s._tcp", "pop3", "ssl"),
    SrvService("_pop3._tcp", "pop3", "starttls"),
    SrvService("_submissions._tcp", "smtp", "ssl"),
    SrvService("_submission._tcp", "smtp", "starttls"),
)


@dataclass(frozen=True)
class SrvAnswer:
    """A service's records in the order to try them; not_offered: the domain says, with
    a target of ".", that it does not offer the service."""

    service: SrvService
    records: tuple[SrvRecord, ...]
    not_offered: bool = False


def order(records: Iterable[SrvRecord]) -> tuple[SrvRecord, ...]:
    """The usable records by priority (lowest first), then weight (highest first);
    records whose target is "." or whose port is 0 are left out."""
    usable = [r for r in records if r.target != "." and 0 < r.port < 65536]
    return tuple(sorted(usable, key=lambda r: (r.priority, -r.weight, r.target, r.port)))


def answer(service: SrvService, records: Iterable[SrvRecord]) -> SrvAnswer:
    """What a lookup's records say about the service."""
    given = tuple(records)
    dot = any(r.target == "." for r in given)
    return SrvAnswer(service, order(given), not_offered=dot and not order(given))


def best(answers: Iterable[SrvAnswer], protocol: str) -> tuple[SrvService, SrvRecord] | None:
    """The server to use for `protocol` among the answers: lowest priority first,
    implicit TLS before STARTTLS on a tie, then the highest weight."""
    candidates = [(a.service, record) for a in answers if a.service.protocol == protocol
                  for record in a.records]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c[1].priority, c[0].security != "ssl", -c[1].weight))


def describe(name: str, found: SrvAnswer) -> str:
    """The line for Discovery.tried: what `name` answered."""
    if found.not_offered:
        return f"SRV {name}: not offered (target \".\")"
    if not found.records:
        return f"SRV {name}: none"
    shown = ", ".join(f"{r.target}:{r.port}" for r in found.records[:3])
    more = f" (+{len(found.records) - 3} more)" if len(found.records) > 3 else ""
    return f"SRV {name}: {shown}{more}"
