"""Where parsing and compression run: a worker thread for small work, a pool of
processes for a large first sync (parsing is CPU-bound and Python holds one core)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

T = TypeVar("T")

# Below this many messages a process pool costs more to start than it saves.
POOL_THRESHOLD = 1500


class CpuPool:
    """Runs pure CPU functions off the event loop."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or min(2, os.cpu_count() or 1)
        self._executor: ProcessPoolExecutor | None = None

    def expect(self, messages: int) -> None:
        """Announce work to come; start the process pool when it is worth it."""
        if self._executor is None and messages >= POOL_THRESHOLD and self.processes > 1:
            # forkserver: the engine runs threads (SQLite, IMAP), which fork would copy
            # mid-flight; the server imports the parser once and forks clean children.
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["engine.ingest"])
            self._executor = ProcessPoolExecutor(self.processes, mp_context=context)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """fn(*args) in a pool process when the pool runs, else in a worker thread. A pool
        that breaks (a worker killed, say by the OOM killer) is dropped and the work done
        in a thread: slower, never lost."""
        if self._executor is not None:
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    self._executor, fn, *args
                )
            except BrokenProcessPool:
                broken, self._executor = self._executor, None
                self.processes = 1  # do not start another
                if broken is not None:  # several tasks may see the same broken pool
                    broken.shutdown(wait=False, cancel_futures=True)
        return await asyncio.to_thread(fn, *args)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
