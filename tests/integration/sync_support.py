"""Shared set-up for sync tests: a store with one agent and an account on the test
Dovecot, and a way to compare the store with the server."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from engine.accounts import AccountSpec
from engine.models import Agent
from engine.service import LocalService
from engine.sync.progress import SyncEvent
from tests.servers.dovecot import DovecotServer
from tests.store_factory import make_mail


class Item:
    """An AppendItem for DovecotServer.append_messages."""

    def __init__(self, raw: bytes, folder: str = "INBOX", flags: tuple[str, ...] = (),
                 when: datetime | None = None) -> None:
        self.raw = raw
        self.folder = folder
        self.flags = flags
        self.internal_date = when or datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def mail(subject: str, *, sender: str = "Carla Customer <carla@customer.example>",
         to: str = "bob@example.com", body: str = "Hello.", message_id: str | None = None,
         days_ago: int = 0) -> bytes:
    """A plain message dated now (or days ago), with a unique Message-ID by default."""
    return make_mail(subject, sender=sender, to=to, body=body,
                     message_id=message_id or make_msgid(domain="customer.example"),
                     when=datetime.now(UTC) - timedelta(days=days_ago))


async def open_service(tmp: Path) -> tuple[LocalService, Agent]:
    service = await LocalService.open(tmp / "sync.db")
    agent = await service.login("tester")
    return service, agent


def spec_for(server: DovecotServer, user: str, *, name: str = "bob", security: str = "ssl",
             **changes: Any) -> AccountSpec:
    port = server.ssl_port if security == "ssl" else server.port
    values: dict[str, Any] = dict(
        name=name, email=user, imap_host=server.host, imap_port=port, security=security,
        ca_file=str(server.cafile), folders=("INBOX",),
    )
    values.update(changes)
    return AccountSpec(**values)


async def server_uids(server: DovecotServer, user: str, folder: str = "INBOX") -> dict[int, Any]:
    def read() -> dict[int, Any]:
        client = server.connect(user)
        try:
            client.select_folder(folder, readonly=True)
            uids = client.search("ALL")
            if not uids:
                return {}
            return client.fetch(uids, ["FLAGS", "BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        finally:
            client.logout()

    return await asyncio.to_thread(read)


async def store_rows(service: LocalService, folder: str = "INBOX") -> list[Any]:
    return await service.store.reader.fetchall(
        "SELECT m.uid, m.seen, m.flagged, m.message_id, m.has_body, m.subject "
        "FROM messages m JOIN folders f ON f.id = m.folder_id WHERE f.name = ? ORDER BY m.uid",
        (folder,),
    )


def flag_set(values: Sequence[bytes]) -> set[str]:
    return {v.decode() for v in values}


class RunningEngine:
    """`service.sync(once=False)` in a task, as `frontdesk sync` runs it; `passes` is set
    at the end of each account pass. Use with `async with`."""

    def __init__(self, service: LocalService, agent: Agent) -> None:
        self.service = service
        self.agent = agent
        self.stop = asyncio.Event()
        self.passes = asyncio.Event()
        self._task: asyncio.Task[Any] | None = None

    def _progress(self, event: SyncEvent) -> None:
        if event.event == "account_done":
            self.passes.set()

    async def next_pass(self, seconds: float = 10) -> None:
        """Wait for the end of the next account pass."""
        self.passes.clear()
        await asyncio.wait_for(self.passes.wait(), seconds)

    async def __aenter__(self) -> RunningEngine:
        self._task = asyncio.create_task(self.service.sync(
            self.agent, once=False, stop=self.stop, progress=self._progress))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop.set()
        if self._task is not None:
            await asyncio.wait_for(self._task, 10)
