"""Overlap fetching the next batch with handling the current one."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

B = TypeVar("B")
R = TypeVar("R")


async def overlapped(
    batches: Iterable[B],
    fetch: Callable[[B], Awaitable[R]],
    handle: Callable[[B, R], Coroutine[Any, Any, None]],
) -> None:
    """fetch(batch n+1) runs while handle(batch n) parses and stores. Batches are handled
    in order, one at a time, so state saved by each handle only moves forward."""
    pending: asyncio.Task[None] | None = None
    try:
        for batch in batches:
            result = await fetch(batch)
            if pending is not None:
                await pending
            pending = asyncio.create_task(handle(batch, result))
        if pending is not None:
            await pending
            pending = None
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
