"""Read-only questions `frontdesk doctor` asks of a store: is the file sound, do its rows
point at rows that exist, which migrations it holds, whether it keeps encrypted secrets,
and what its job queue is waiting on. Nothing here writes.
"""

from __future__ import annotations

import contextlib
import functools
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ParamSpec, TypeVar
from urllib.parse import quote

import aiosqlite

from storage.db import BUSY_TIMEOUT_MS, Db, open_error, packs_directory
from storage.errors import StoreError, StoreUnavailableError

P = ParamSpec("P")
T = TypeVar("T")

# Rows of problems kept from one check: enough to say what is wrong, bounded for a huge store.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class DanglingRow:
    """A row whose foreign key names a parent row that does not exist."""

    table: str
    rowid: int | None
    parent: str


@dataclass(frozen=True)
class JobBacklog:
    """An account's server changes still to make, and those that failed for good."""

    pending: int
    failed: int
    oldest_pending: str | None  # created_at of the oldest pending or running job (UTC ISO)


@contextlib.asynccontextmanager
async def peek(path: Path) -> AsyncIterator[Db]:
    """A read-only connection to the existing store at `path` that changes nothing: no
    file is created, no pragma is written and no migration runs. Raises
    StoreUnavailableError or NotADatabaseError with a message fit to show as is."""
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreUnavailableError(
            f"cannot open database {path} ({exc}); check the permissions of the file and "
            "its directory (see files.*)") from exc
    try:
        try:
            await conn.execute_fetchall(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Reading the schema is the first thing that fails on a file that is not a
            # database (or whose first page is damaged).
            await conn.execute_fetchall("SELECT count(*) FROM sqlite_master")
        except sqlite3.DatabaseError as exc:
            raise open_error(
                path, exc,
                not_a_database="{path} is not a usable frontdesk database ({reason}); "
                "restore it from a backup, or move it aside and let frontdesk start a new "
                "one (mail syncs again; customers and cases live only in the database)",
                unavailable="cannot read database {path} ({reason}); check the "
                "permissions of the file and its directory (see files.*)",
            ) from exc
        yield Db(conn, packs_directory(path))
    finally:
        await conn.close()


def _store_errors(query: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """SQLite's errors (a damaged page read midway, say) as StoreError with its message."""

    @functools.wraps(query)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await query(*args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(str(exc) or type(exc).__name__) from exc

    return wrapper


@_store_errors
async def integrity_problems(db: Db, limit: int = MAX_PROBLEMS) -> list[str]:
    """What SQLite's integrity_check finds wrong ([] when the file is sound)."""
    try:
        rows = await db.fetchall(f"PRAGMA integrity_check({int(limit)})")
    except sqlite3.DatabaseError as exc:
        # Damage bad enough stops the check itself: that is its finding.
        return [str(exc)]
    found = [str(r[0]) for r in rows]
    return [] if found == ["ok"] else found


@_store_errors
async def dangling_rows(db: Db, limit: int = MAX_PROBLEMS) -> tuple[int, list[DanglingRow]]:
    """How many rows refer to a missing parent (foreign_key_check), and the first ones."""
    rows = await db.fetchall("PRAGMA foreign_key_check")
    first = [DanglingRow(table=str(r[0]), rowid=None if r[1] is None else int(r[1]),
                         parent=str(r[2]))
             for r in rows[:limit]]
    return len(rows), first


@_store_errors
async def applied_migrations(db: Db) -> set[int]:
    """The migration versions recorded in the store (empty for a database without any)."""
    exists = await db.scalar(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    if exists is None:
        return set()
    return {int(r[0]) for r in await db.fetchall("SELECT version FROM schema_migrations")}


@_store_errors
async def sealed_secrets(db: Db) -> int:
    """How many encrypted secrets (passwords, tokens, client secrets) the store holds:
    each needs the key file to be read."""
    value = await db.scalar(
        "SELECT (SELECT count(*) FROM account_secrets) + (SELECT count(*) FROM system_secrets)"
        " + (SELECT count(*) FROM oauth_client_secrets)")
    return int(value or 0)


@_store_errors
async def job_backlog(db: Db, account_id: int) -> JobBacklog:
    """The account's pending (and running) jobs with the oldest one's age, and its
    failed ones."""
    row = await db.fetchone(
        "SELECT sum(state IN ('pending', 'running')), sum(state = 'failed'), "
        "min(CASE WHEN state IN ('pending', 'running') THEN created_at END) "
        "FROM jobs WHERE account_id = ?",
        (account_id,),
    )
    if row is None:
        return JobBacklog(0, 0, None)
    return JobBacklog(pending=int(row[0] or 0), failed=int(row[1] or 0),
                      oldest_pending=row[2])
