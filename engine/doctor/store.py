"""Doctor checks of the database's contents: it opens, SQLite finds its pages sound, no
row points at a row that is gone, and its schema is the one this frontdesk writes."""

from __future__ import annotations

import shlex
from pathlib import Path

from engine.doctor.report import FAIL, OK, WARN, DoctorCheck, check
from storage import Db, StoreError
from storage import health as health_sql
from storage.migrate import known_migrations, latest_version

OPEN = "store.open"
INTEGRITY = "store.integrity"
FOREIGN_KEYS = "store.foreign_keys"
MIGRATIONS = "store.migrations"
IDS = (OPEN, INTEGRITY, FOREIGN_KEYS, MIGRATIONS)


def opened(path: Path) -> DoctorCheck:
    """The store opened."""
    return check(OPEN, OK, f"{path} opens as a frontdesk database")


def not_opened(path: Path, error: Exception) -> DoctorCheck:
    """The store did not open; `error` says why and what to do."""
    return check(OPEN, FAIL, str(error) or f"cannot open {path}")


async def integrity_check(db: Db, path: Path) -> DoctorCheck:
    """SQLite's integrity_check: every page and index of the file is sound."""
    try:
        problems = await health_sql.integrity_problems(db)
    except StoreError as exc:
        problems = [str(exc)]
    if not problems:
        return check(INTEGRITY, OK, "integrity_check found no damage")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    quoted = shlex.quote(str(path))
    rescued = shlex.quote(f"{path}.recovered")
    return check(INTEGRITY, FAIL, f"{path} is damaged: {problems[0]}{more}; stop frontdesk, "
                 f"keep a copy, then restore a backup or rescue what is left with "
                 f"`sqlite3 {quoted} .recover | sqlite3 {rescued}`")


async def foreign_key_check(db: Db, path: Path) -> DoctorCheck:
    """No row refers to a row that no longer exists."""
    try:
        count, first = await health_sql.dangling_rows(db)
    except StoreError as exc:
        return check(FOREIGN_KEYS, FAIL, f"cannot check references in {path} ({exc}); see "
                     "store.integrity")
    if not count:
        return check(FOREIGN_KEYS, OK, "every row refers to rows that exist")
    tables = sorted({row.table for row in first})
    sample = first[0]
    return check(FOREIGN_KEYS, FAIL, f"{count} rows refer to rows that are gone (in "
                 f"{', '.join(tables)}; e.g. {sample.table} row {sample.rowid} -> "
                 f"{sample.parent}); keep a copy of the database and list them with "
                 f"`sqlite3 {shlex.quote(str(path))} 'PRAGMA foreign_key_check'`")


async def migrations_check(db: Db, path: Path) -> DoctorCheck:
    """The schema is the one this frontdesk writes: no migration pending, none newer."""
    try:
        applied = await health_sql.applied_migrations(db)
    except StoreError as exc:
        return check(MIGRATIONS, FAIL, f"cannot read the schema version of {path}: {exc}")
    latest = latest_version()
    if applied and max(applied) > latest:
        return check(MIGRATIONS, FAIL, f"{path} has schema version {max(applied)}, newer than "
                     f"this frontdesk understands ({latest}); upgrade frontdesk")
    pending = [m for m in known_migrations() if m.version not in applied]
    if not pending:
        return check(MIGRATIONS, OK, f"schema version {latest}, as this frontdesk writes it")
    names = ", ".join(f"{m.version:04d}_{m.name}" for m in pending[:3])
    more = f" and {len(pending) - 3} more" if len(pending) > 3 else ""
    return check(MIGRATIONS, WARN, f"{len(pending)} schema migrations not applied yet "
                 f"({names}{more}); any frontdesk command that opens the store applies them, "
                 "e.g. frontdesk status; then run frontdesk doctor again")


def pending(found: DoctorCheck) -> bool:
    """Whether a migrations check found migrations to apply (the store would change
    when opened)."""
    return found.id == MIGRATIONS and found.status == WARN
