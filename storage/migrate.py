"""Schema migrations: numbered SQL files in storage/migrations, applied in order.

Each migration runs in its own `BEGIN IMMEDIATE` transaction together with the row that
records it, so a crash leaves either the whole migration or none of it. Two processes
opening a fresh store at once serialise on the lock and the second finds the work done.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from importlib import resources

import aiosqlite

from storage.errors import MigrationError, SchemaTooNewError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

_CREATE_RECORD_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
)
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


@cache
def known_migrations() -> tuple[Migration, ...]:
    """Every migration shipped with this code, in version order."""
    found: list[Migration] = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match is None:
            continue
        sql = entry.read_text(encoding="utf-8")
        found.append(Migration(int(match[1]), match[2], split_statements(sql)))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a version number: {versions}")
    return tuple(found)


def latest_version() -> int:
    """The schema version this code writes."""
    migrations = known_migrations()
    return migrations[-1].version if migrations else 0


def split_statements(sql: str) -> tuple[str, ...]:
    """Split a script into complete statements (trigger bodies included), so they can run
    one at a time inside our own transaction: sqlite3's executescript would COMMIT first."""
    statements: list[str] = []
    buffer: list[str] = []
    for line in sql.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer.append(line)
        candidate = "".join(buffer)
        if sqlite3.complete_statement(candidate):
            statements.append(candidate.strip())
            buffer.clear()
    rest = "".join(buffer).strip()
    if rest and not all(
        not ln.strip() or ln.lstrip().startswith("--") for ln in rest.splitlines()
    ):
        raise MigrationError(f"incomplete SQL statement at the end of a migration: {rest[:80]}")
    return tuple(statements)


async def applied_versions(conn: aiosqlite.Connection) -> set[int]:
    """Versions recorded in the store (empty for a new database)."""
    exists = await conn.execute_fetchall(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    )
    if not list(exists):
        return set()
    rows = await conn.execute_fetchall("SELECT version FROM schema_migrations")
    return {int(r[0]) for r in rows}


async def apply_migrations(conn: aiosqlite.Connection, label: str) -> list[int]:
    """Bring the schema up to date; return the versions applied (empty when current).

    Raises SchemaTooNewError before touching anything when the store is newer than
    this code.
    """
    known = known_migrations()
    newest = latest_version()
    done = await applied_versions(conn)
    if done and max(done) > newest:
        raise SchemaTooNewError(label, max(done), newest)
    pending = [m for m in known if m.version not in done]
    applied: list[int] = []
    for migration in pending:
        await conn.execute("BEGIN IMMEDIATE")
        try:
            await conn.execute(_CREATE_RECORD_TABLE)
            # Another process may have applied it while we waited for the lock.
            if migration.version in await applied_versions(conn):
                await conn.execute("ROLLBACK")
                continue
            for statement in migration.statements:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                (migration.version, migration.name),
            )
            await conn.execute(f"PRAGMA user_version = {int(migration.version)}")
            await conn.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                await conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise MigrationError(
                    f"migration {migration.version:04d}_{migration.name} failed on "
                    f"{label}: {exc}; the store was left unchanged"
                ) from exc
            raise
        applied.append(migration.version)
    return applied
