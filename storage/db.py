"""The SQLite store: connections, pragmas and transactions.

One writer connection and one reader connection per store. With WAL, readers see the
last committed state while a write is under way, so the console stays responsive during
a long sync batch. Writes are serialised by an asyncio lock and run as explicit
`BEGIN IMMEDIATE` transactions (the connection is in autocommit mode, so nothing is ever
committed implicitly); a failure or a cancellation rolls the transaction back.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import NotADatabaseError, StoreError, StoreUnavailableError
from storage.migrate import apply_migrations

Params = Sequence[Any] | dict[str, Any]

BUSY_TIMEOUT_MS = 5000
PAGE_SIZE = 16384

_PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    # NORMAL is durable across a killed process in WAL mode; only power loss can drop
    # the last commits, and a resync converges from the server's state.
    "PRAGMA synchronous = NORMAL",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA cache_size = -32768",
)


def packs_directory(db_path: Path) -> Path:
    """Where the pack files (storage.raw_packs) of the database at `db_path` live."""
    return db_path.with_name(db_path.name + ".packs")


class Db:
    """A handle for running SQL on one connection. Only storage/ modules use it."""

    def __init__(self, conn: aiosqlite.Connection, packs: Path) -> None:
        self._conn = conn
        self.packs = packs  # where the store's pack files are (storage.raw_packs)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return the number of rows it changed."""
        cur = await self._conn.execute(sql, params)
        try:
            return cur.rowcount
        finally:
            await cur.close()

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each parameter row."""
        await self._conn.executemany(sql, rows)

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run an INSERT; return the new row id."""
        cur = await self._conn.execute(sql, params)
        try:
            rowid = cur.lastrowid
        finally:
            await cur.close()
        if rowid is None:
            raise StoreError("insert returned no row id")
        return rowid

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        """Run a query; return every row."""
        rows = await self._conn.execute_fetchall(sql, params)
        return list(rows)  # type: ignore[arg-type]

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        """Run a query; return its first row or None."""
        cur = await self._conn.execute(sql, params)
        try:
            row: sqlite3.Row | None = await cur.fetchone()
        finally:
            await cur.close()
        return row

    def total_changes(self) -> int:
        """Rows changed on this connection since it opened (to count executemany effects)."""
        return int(self._conn.total_changes)

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        """Run a query; return the first column of its first row (None when empty)."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]


class Store:
    """An open frontdesk database."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection):
        self.path = path
        self._writer = writer
        self._reader = reader
        self._write_lock = asyncio.Lock()
        self.packs = packs = packs_directory(path)  # see storage.raw_packs
        self._read_db = Db(reader, packs)
        self._write_db = Db(writer, packs)

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, create: bool = True) -> Store:
        """Open (and, when `create`, create) the store at `path` and apply migrations.

        Raises StoreUnavailableError, NotADatabaseError or SchemaTooNewError with a
        message fit to show as is.
        """
        db_path = await asyncio.to_thread(_resolve_and_prepare, path, create)
        writer = reader = None
        try:
            writer = await _connect(db_path, readonly=False)
            await apply_migrations(writer, str(db_path))
            reader = await _connect(db_path, readonly=True)
        except BaseException:
            for conn in (reader, writer):
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            raise
        return cls(db_path, writer, reader)

    async def close(self) -> None:
        """Close both connections; safe to call twice."""
        for conn in (self._reader, self._writer):
            with contextlib.suppress(Exception):
                await conn.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def reader(self) -> Db:
        """The read-only handle: every statement sees the last committed state."""
        return self._read_db

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Db]:
        """A write transaction: committed on success, rolled back on any exception or
        cancellation. Transactions of one store run one at a time."""
        async with self._write_lock:
            try:
                await self._writer.execute("BEGIN IMMEDIATE")
                yield self._write_db
            except BaseException:
                await self._rollback_before_unlock()
                raise
            else:
                await self._writer.execute("COMMIT")

    async def _rollback_before_unlock(self) -> None:
        # The lock must not be released before ROLLBACK has run: a waiting transaction
        # would queue its BEGIN first. Cancelling the caller again must not cut this short.
        rollback = asyncio.ensure_future(self._rollback())
        while not rollback.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(rollback)

    async def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            await self._writer.execute("ROLLBACK")


def _resolve_and_prepare(path: str | os.PathLike[str], create: bool) -> Path:
    db_path = Path(path).expanduser()
    _prepare_file(db_path, create=create)
    return db_path


def _prepare_file(path: Path, *, create: bool) -> None:
    """Create the directory (0700) and file (0600) up front, so the database and its
    WAL files, which SQLite creates with the database's mode, are private."""
    if path.exists():
        if path.is_dir():
            raise StoreUnavailableError(f"{path} is a directory, not a database file")
        if not os.access(path, os.R_OK | os.W_OK):
            raise StoreUnavailableError(
                f"cannot read and write {path}: permission denied; "
                "fix its permissions or choose another path with --db"
            )
        return
    if not create:
        raise StoreUnavailableError(f"no database at {path}; run frontdesk once to create it")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Another process may have created it a moment ago: that is fine.
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise StoreUnavailableError(
            f"cannot create database {path}: {reason}; choose another path with --db"
        ) from exc


async def _connect(path: Path, *, readonly: bool) -> aiosqlite.Connection:
    try:
        conn = await aiosqlite.connect(str(path), isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreUnavailableError(f"cannot open database {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        # Read the schema before any pragma can write: a file that is not a database
        # fails here, untouched. Every cursor is drained: an unfinished SELECT would pin
        # an old read snapshot.
        await conn.execute_fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute_fetchall("SELECT count(*) FROM sqlite_master")
        for pragma in _PRAGMAS:
            await conn.execute_fetchall(pragma)
        if readonly:
            await conn.execute_fetchall("PRAGMA query_only = ON")
        else:
            # Only takes effect on a new, empty database (before WAL is switched on):
            # 16 KB pages write mail bodies and the search index ~15% faster than 4 KB.
            await conn.execute_fetchall(f"PRAGMA page_size = {PAGE_SIZE}")
            rows = list(await conn.execute_fetchall("PRAGMA journal_mode = WAL"))
            if not rows or str(rows[0][0]).lower() != "wal":
                raise StoreUnavailableError(
                    f"cannot switch {path} to WAL mode; is it on a network file system?"
                )
    except sqlite3.DatabaseError as exc:
        await conn.close()
        raise open_error(
            path, exc,
            not_a_database="{path} is not a usable frontdesk database ({reason}); "
            "move it aside or choose another path with --db",
            unavailable="cannot open database {path}: {reason}",
        ) from exc
    except BaseException:
        await conn.close()
        raise
    return conn


def open_error(path: Path, exc: sqlite3.DatabaseError, *, not_a_database: str,
               unavailable: str) -> StoreError:
    """The error for SQLite failing on the first read of the file at `path`:
    NotADatabaseError when the file is no usable database (not one, damaged, or
    encrypted), else StoreUnavailableError. Their messages are `not_a_database` and
    `unavailable`, with {path} and {reason} (SQLite's message) filled in."""
    reason = str(exc)
    if "not a database" in reason or "malformed" in reason or "encrypted" in reason:
        return NotADatabaseError(not_a_database.format(path=path, reason=reason))
    return StoreUnavailableError(unavailable.format(path=path, reason=reason))
