"""Pack files: the raw bytes of mail fetched in bulk, kept beside the database.

A sync's body pass writes each batch's compressed messages into one new file, written
once and never appended to, then commits rows that point into it (message_raw.pack,
pack_offset, pack_length) and lists the file in raw_packs. In the database the same bytes
were written twice, to the WAL and again at each checkpoint, by the one thread that
writes the store.

What can be left behind, and who removes it (sweep: the engine at the end of `sync
--once` and every 15 minutes while it runs; `account remove` at once):
- a file no committed transaction listed (the engine was killed between writing it and
  committing): the engine, holding the store's lock, once the file is ORPHAN_AGE_S old;
- a listed pack no row points into any more (its messages were deleted, its account
  removed): whoever sweeps next;
- the bytes of deleted messages inside a pack that is still used: the engine rewrites a
  pack once a quarter of it is dead, as SQLite reuses the pages of deleted rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from storage.errors import StoreError

if TYPE_CHECKING:
    from storage.db import Db, Store

SUFFIX = ".pack"
# A batch smaller than this stays in the database: a pack file per message of a daemon's
# IDLE pass would leave thousands of small files.
PACK_MIN_BYTES = 1 << 20
# A pack is rewritten without its dead bytes once they are this share of it.
DEAD_SHARE = 0.25
# A file no transaction listed is left alone this long: its batch may still be on its way.
ORPHAN_AGE_S = 600.0


class RawMissingError(StoreError):
    """A row points into a pack file that is gone or too short."""


def write(packs: Path, blobs: Sequence[bytes]) -> tuple[str, list[tuple[int, int]]]:
    """Write `blobs` into a new pack file, synced to disk; return its name and each blob's
    (offset, length). Blocking: run it in a thread."""
    packs.mkdir(mode=0o700, exist_ok=True)
    name = secrets.token_hex(12) + SUFFIX
    spans: list[tuple[int, int]] = []
    fd = os.open(packs / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        offset = 0
        for blob in blobs:
            view = memoryview(blob)
            while view:
                view = view[os.write(fd, view):]
            spans.append((offset, len(blob)))
            offset += len(blob)
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(packs / name)
        raise
    os.close(fd)
    _sync_directory(packs)
    return name, spans


def _sync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read(packs: Path, name: str, offset: int, length: int) -> bytes:
    try:
        fd = os.open(packs / name, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise RawMissingError(f"pack file {name} is missing from {packs}") from None
    try:
        data = os.pread(fd, length, offset)
    finally:
        os.close(fd)
    if len(data) != length:
        raise RawMissingError(f"pack file {name} in {packs} is shorter than its rows say")
    return data


# The columns of message_raw (as `r`) that stored() takes, in its order.
COLUMNS = "r.compression, r.data, r.pack, r.pack_offset, r.pack_length"


async def stored(db: Db, message_id: int, codec: str, data: bytes, pack: str | None,
                 offset: int | None, length: int | None) -> tuple[str, bytes]:
    """(codec, stored bytes) of a message_raw row read as COLUMNS, from its pack file when
    it has one; storage.raw_codec.decompress gives the original. A pack rewritten between
    reading the row and reading the file is followed."""
    if pack is None:
        return codec, bytes(data)
    try:
        return codec, await asyncio.to_thread(_read, db.packs, pack, offset or 0, length or 0)
    except RawMissingError:
        row = await db.fetchone(
            "SELECT pack, pack_offset, pack_length FROM message_raw WHERE message_id = ?",
            (message_id,))
        if row is None or row[0] is None or row[0] == pack:
            raise
        return codec, await asyncio.to_thread(_read, db.packs, row[0], row[1], row[2])


# -- sweeping ----------------------------------------------------------------------------

async def _live(db: Db) -> dict[str, tuple[int, int]]:
    """Each listed pack: (its size, the bytes rows still point to)."""
    rows = await db.fetchall(
        """SELECT p.name, p.size, coalesce(sum(r.pack_length), 0)
             FROM raw_packs AS p LEFT JOIN message_raw AS r ON r.pack = p.name
            GROUP BY p.name""")
    return {r[0]: (int(r[1]), int(r[2])) for r in rows}


async def sweep(store: Store, *, engine: bool) -> int:
    """Remove pack files nothing points into; return how many. With `engine` (the caller
    holds the store's lock, so no other process writes packs), also remove files no
    transaction listed, once old enough that no batch of its own can still be on its way,
    and rewrite packs a quarter dead."""
    packs = store.packs
    if not await asyncio.to_thread(packs.is_dir):
        return 0
    live = await _live(store.reader)
    removed = 0
    dead = [name for name, (_, used) in live.items() if used == 0]
    if dead:
        async with store.transaction() as db:
            await db.executemany("DELETE FROM raw_packs WHERE name = ? AND NOT EXISTS "
                                 "(SELECT 1 FROM message_raw WHERE pack = ?)",
                                 [(n, n) for n in dead])
        removed += await asyncio.to_thread(_unlink, packs, dead)
    if engine:
        removed += await asyncio.to_thread(_remove_unlisted, packs, set(live))
        for name, (size, used) in live.items():
            if used and size and (size - used) / size >= DEAD_SHARE:
                await _rewrite(store, packs, name)
                removed += 1
    return removed


def _unlink(packs: Path, names: Sequence[str]) -> int:
    count = 0
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(packs / name)
            count += 1
    return count


def _remove_unlisted(packs: Path, listed: set[str]) -> int:
    now = time.time()
    stale = []
    for entry in os.scandir(packs):
        if entry.name.endswith(SUFFIX) and entry.name not in listed:
            with contextlib.suppress(FileNotFoundError):
                if now - entry.stat().st_mtime >= ORPHAN_AGE_S:
                    stale.append(entry.name)
    return _unlink(packs, stale)


async def _rewrite(store: Store, packs: Path, name: str) -> None:
    """Copy a pack's live bytes into a new pack, point its rows there, drop the old file."""
    rows = await store.reader.fetchall(
        "SELECT message_id, pack_offset, pack_length FROM message_raw WHERE pack = ? "
        "ORDER BY pack_offset", (name,))
    if not rows:
        return
    blobs = await asyncio.to_thread(
        lambda: [_read(packs, name, r[1], r[2]) for r in rows])
    new, spans = await asyncio.to_thread(write, packs, blobs)
    async with store.transaction() as db:
        await register(db, new, sum(length for _, length in spans))
        await db.executemany(
            "UPDATE message_raw SET pack = ?, pack_offset = ?, pack_length = ? "
            "WHERE message_id = ? AND pack = ? AND pack_offset = ?",
            [(new, off, length, r[0], name, r[1])
             for r, (off, length) in zip(rows, spans, strict=True)])
        emptied = await db.execute("DELETE FROM raw_packs WHERE name = ? AND NOT EXISTS "
                                   "(SELECT 1 FROM message_raw WHERE pack = ?)", (name, name))
    if emptied:
        await asyncio.to_thread(_unlink, packs, [name])


async def register(db: Db, name: str, size: int) -> None:
    """List a pack file, in the transaction whose rows point into it."""
    await db.execute("INSERT OR IGNORE INTO raw_packs (name, size) VALUES (?, ?)",
                     (name, size))
