"""The check behind ``frontdesk account test`` for a POP3 account."""

from __future__ import annotations

import time
from dataclasses import dataclass

from engine.pop3.client import Pop3Session, Pop3Settings


@dataclass(frozen=True)
class Pop3Report:
    """What ``frontdesk account test`` shows for a POP3 account: the server reached, what
    it offers, and how much mail waits there."""

    host: str
    port: int
    security: str
    username: str
    capabilities: tuple[str, ...]  # CAPA lines, e.g. "SASL PLAIN LOGIN", sorted
    messages: int
    octets: int
    seconds: float  # connect, login and STAT
    protocol: str = "pop3"


async def check_pop3(settings: Pop3Settings, password: str) -> Pop3Report:
    """Connect, log in, read CAPA and STAT, and leave without changing anything; raise
    Pop3ConnectError / Pop3AuthError."""
    started = time.monotonic()
    async with Pop3Session(settings, name="account-test") as session:
        await session.open(password)
        messages, octets = await session.stat()
        capabilities = tuple(sorted(" ".join((name, *args))
                                    for name, args in session.capabilities.items()))
        seconds = time.monotonic() - started
    return Pop3Report(host=settings.host, port=settings.port, security=settings.security,
                      username=settings.username, capabilities=capabilities,
                      messages=messages, octets=octets, seconds=seconds)
