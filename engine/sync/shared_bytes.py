"""Message bytes handed to the parse workers through memory they share with the engine.

A first sync sends every body to a worker to be parsed. Through the pool's pipe each
batch is pickled, written, read and unpickled: four copies of every message and the
system calls between them, about a tenth of a first sync's CPU. Workers forked by
`prefork` inherit one anonymous shared mapping instead, cut into slots of one batch
each: the engine copies a batch in, the worker copies each message out. An anonymous
mapping is freed by the kernel with the last process holding it, so nothing is left
behind whatever kills the engine.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence

from engine.sync.batches import MAX_BATCH_BYTES

# Batches being parsed at once: the folders' pipelines each keep two in flight, and
# two folders overlap. A batch finding no free slot goes through the pipe.
SLOTS = 4


class SharedSlots:
    """Slots of one shared mapping. Slots are taken and released on the engine's event
    loop only; a taken slot is written by one thread, and read by workers."""

    def __init__(self, slots: int = SLOTS, slot_bytes: int = MAX_BATCH_BYTES) -> None:
        self.slot_bytes = slot_bytes
        self._map = mmap.mmap(-1, slots * slot_bytes)
        self._free = list(range(slots))

    def take(self, size: int) -> int | None:
        """A free slot for `size` bytes; None when none is free or they do not fit."""
        if not self._free or size > self.slot_bytes:
            return None
        return self._free.pop()

    def write(self, slot: int, chunks: Sequence[bytes]) -> list[tuple[int, int]]:
        """Copy the chunks into a taken slot (megabytes: off the event loop); return each
        chunk's (start, length) in the mapping."""
        start = slot * self.slot_bytes
        spans = []
        for chunk in chunks:
            end = start + len(chunk)
            self._map[start:end] = chunk
            spans.append((start, len(chunk)))
            start = end
        return spans

    def release(self, slot: int) -> None:
        """The slot's batch is parsed: the slot may take the next one."""
        self._free.append(slot)

    def read(self, start: int, length: int) -> bytes:
        return self._map[start : start + length]
