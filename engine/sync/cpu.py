"""Where parsing and compression run: a worker thread for small work, a pool of
processes for a large first sync (parsing is CPU-bound and Python holds one core)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from engine.sync.shared_bytes import SharedSlots

T = TypeVar("T")
K = TypeVar("K")

# Below this many messages a process pool costs more to start than it saves.
POOL_THRESHOLD = 1500


def _leave_with_parent(parent: int) -> None:
    """In each worker: exit when the engine is gone. A killed engine (SIGKILL, OOM) cannot
    tell its workers, and their task queue never reports end-of-file (every worker holds
    its write end too), so without this they would wait forever."""
    from engine import ingest  # noqa: F401 - import the parser now, not on the first batch

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="frontdesk-parent-watch", daemon=True).start()


_preforked: ProcessPoolExecutor | None = None
# Made by prefork before the fork, so its workers share it; see shared_bytes.
_shared: SharedSlots | None = None


def prefork(processes: int | None = None) -> bool:
    """Start the parse workers now, by fork, if this process has no thread but its main
    one yet (forking a threaded process can copy a lock mid-use). Forked workers start in
    milliseconds with every module already imported, where spawned ones start a new
    interpreter each. The next CpuPool takes them. Returns whether workers were started."""
    global _preforked, _shared
    count = processes or min(2, os.cpu_count() or 1)
    if (_preforked is not None or count < 2 or threading.active_count() > 1
            or "fork" not in multiprocessing.get_all_start_methods()):
        return False
    from engine import ingest  # noqa: F401 - imported once, here, for every worker

    _shared = SharedSlots()
    executor = ProcessPoolExecutor(
        count, mp_context=multiprocessing.get_context("fork"),
        initializer=_leave_with_parent, initargs=(os.getpid(),),
    )
    # The first submit forks every worker, before the executor starts its own thread.
    executor.submit(int).result()
    _preforked = executor
    return True


def _take_preforked() -> tuple[ProcessPoolExecutor | None, SharedSlots | None]:
    global _preforked
    executor, _preforked = _preforked, None
    return executor, _shared if executor is not None else None


def _with_shared(fn: Callable[[list[tuple[K, bytes]]], T], keys: Sequence[K],
                 spans: Sequence[tuple[int, int]]) -> T:
    """fn over (key, bytes) pairs whose bytes wait in the mapping the workers share."""
    assert _shared is not None
    return fn([(key, _shared.read(start, length))
               for key, (start, length) in zip(keys, spans, strict=True)])


class CpuPool:
    """Runs pure CPU functions off the event loop."""

    def __init__(self, processes: int | None = None) -> None:
        self.processes = processes or min(2, os.cpu_count() or 1)
        self._executor, self._shared = _take_preforked()

    def expect(self, messages: int) -> None:
        """Announce work to come; start the process pool when it is worth it."""
        if self._executor is None and messages >= POOL_THRESHOLD and self.processes > 1:
            # spawn: the engine runs threads (SQLite, IMAP), which fork would copy
            # mid-flight. Workers are direct children that leave when the engine does.
            context = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=context, initializer=_leave_with_parent,
                initargs=(os.getpid(),),
            )

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

    async def run_pairs(self, fn: Callable[[list[tuple[K, bytes]]], T],
                        pairs: Sequence[tuple[K, bytes]]) -> T:
        """fn(pairs), as run does; the bytes reach forked workers through the memory
        they share with this process when a slot is free, else through the pipe."""
        shared = self._shared if self._executor is not None else None
        chunks = [data for _, data in pairs]
        slot = shared.take(sum(map(len, chunks))) if shared is not None else None
        if shared is None or slot is None:
            return await self.run(fn, list(pairs))
        try:
            spans = await asyncio.to_thread(shared.write, slot, chunks)
            return await self.run(_with_shared, fn, [key for key, _ in pairs], spans)
        finally:
            shared.release(slot)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
