""""Sync now" across processes: any console marks a request in the store; the engine that
runs (in a console or `frontdesk sync`) sees the mark change and syncs at once."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time

from storage import Db, Store, meta

REQUEST_KEY = "sync.requested"
# How often a running engine looks for a new request.
POLL_SECONDS = 1.0


async def request_sync(store: Store) -> None:
    """Mark a request."""
    async with store.transaction() as db:
        await mark_request(db)


async def mark_request(db: Db) -> None:
    """Mark a request inside a transaction (e.g. the one that queued a job for the
    server, so the engine carries it out now). A new value each time, so two requests in
    one second both count."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + " " + secrets.token_hex(4)
    await meta.put(db, REQUEST_KEY, stamp)


async def watch_requests(
    store: Store, wake: asyncio.Event, stop: asyncio.Event, *, every: float = POLL_SECONDS
) -> None:
    """Set `wake` whenever a new request is marked, until `stop` is set."""
    last = await meta.get(store.reader, REQUEST_KEY)
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        current = await meta.get(store.reader, REQUEST_KEY)
        if current != last:
            last = current
            wake.set()
