"""Fetch, prepare and store batches at the same time.

Fetching runs in the IMAP connection's thread, preparing (parsing, compressing) in the
CPU pool, storing in the SQLite thread: all three overlap. Batches are stored in the order
they were fetched, one at a time, so state saved with each batch only moves forward.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

B = TypeVar("B")
R = TypeVar("R")
P = TypeVar("P")


async def pipelined(
    batches: Iterable[B],
    fetch: Callable[[B], Awaitable[R]],
    prepare: Callable[[B, R], Awaitable[P]],
    store: Callable[[B, P], Awaitable[None]],
    *,
    parallel: int = 2,
    fetched_all: Callable[[], None] | None = None,
) -> None:
    """Run fetch -> prepare -> store over `batches`. At most `parallel` + 1 batches are in
    flight, which bounds memory; an error anywhere stops the pipeline and is raised.
    `fetched_all` is called once the last batch is fetched, while the rest still runs."""
    in_flight: deque[asyncio.Task[None]] = deque()

    async def finish(previous: asyncio.Task[None] | None, batch: B,
                     prepared: asyncio.Task[P]) -> None:
        result = await prepared
        if previous is not None:
            await previous
        await store(batch, result)

    try:
        previous: asyncio.Task[None] | None = None
        for batch in batches:
            fetched = await fetch(batch)
            prepared = asyncio.ensure_future(prepare(batch, fetched))
            previous = asyncio.ensure_future(finish(previous, batch, prepared))
            in_flight.append(previous)
            while len(in_flight) > parallel:
                await in_flight.popleft()
        if fetched_all is not None:
            fetched_all()
        while in_flight:
            await in_flight.popleft()
    finally:
        for task in in_flight:
            task.cancel()
        for task in in_flight:
            with contextlib.suppress(BaseException):
                await task
