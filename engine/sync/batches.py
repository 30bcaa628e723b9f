"""Pure helpers for cutting work into fetch batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

# Batch sizes change memory, not speed (measured: 60 -> 319 MB from 200 to 2,000 messages);
# bytes bound a batch of large mail, the count bounds a batch of small mail.
MAX_BATCH_MESSAGES = 500
MAX_BATCH_BYTES = 24 * 1024 * 1024
HEADER_BATCH = 1000


def uid_set(uids: Sequence[int]) -> str:
    """A compact IMAP sequence set ("1:5,9,12:14") for sorted, distinct UIDs. Servers
    reject very long lists; ranges keep every command short."""
    if not uids:
        raise ValueError("empty UID set")
    parts: list[str] = []
    start = prev = uids[0]
    for uid in uids[1:]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    parts.append(f"{start}:{prev}" if prev != start else str(start))
    return ",".join(parts)


def by_count(uids: Sequence[int], size: int) -> Iterator[list[int]]:
    """Consecutive slices of at most `size` UIDs."""
    for i in range(0, len(uids), size):
        yield list(uids[i : i + size])


def by_bytes(
    items: Iterable[tuple[T, int]],
    *,
    max_messages: int = MAX_BATCH_MESSAGES,
    max_bytes: int = MAX_BATCH_BYTES,
) -> Iterator[list[T]]:
    """Batches of items (UIDs, or anything else) from (item, size) pairs, in order, each
    under both limits (a single message larger than max_bytes is a batch of its own)."""
    batch: list[T] = []
    total = 0
    for uid, size in items:
        if batch and (len(batch) >= max_messages or total + size > max_bytes):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch
