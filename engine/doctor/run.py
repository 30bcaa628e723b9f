"""Running the doctor's checks, in two steps so a store that cannot be opened is still
examined:

- `preflight(path)` needs no open store: a read-only look at the database (does it
  open, is its schema current). It says whether opening the store is safe and changes
  nothing; when not (no database, a damaged one, migrations to apply), its report, the
  file checks included, is the whole answer. When it is, the file checks are left to
  `diagnose` (or to `with_open_failure`, should opening fail after all).
- `diagnose(store, agent)` runs every check on an open store: files, the database's
  contents, each account the agent may configure, and the clock. Network checks run
  concurrently, each with a short timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.access import manageable_account, managed_accounts
from engine.doctor import accounts as account_doctor
from engine.doctor import files
from engine.doctor import store as store_doctor
from engine.doctor.clock import SKEW, clock_check
from engine.doctor.report import FAIL, SKIPPED, DoctorCheck, DoctorReport, check, report
from engine.errors import FrontdeskError
from engine.models import Agent
from storage import Db, Store, StoreError
from storage import health as health_sql
from storage.records import AccountSettings

# Seconds a network check may wait on a socket: enough for a slow server, short enough
# that a dead one does not hold the report.
NETWORK_TIMEOUT = 8.0


@dataclass(frozen=True)
class Preflight:
    """What can be found before the store is opened; `can_open`: opening it is safe and
    changes nothing (it exists, is sound enough to open, and needs no migration)."""

    report: DoctorReport
    can_open: bool


async def preflight(db_path: Path) -> Preflight:
    """The checks that need no open store (see the module docstring)."""
    if not await asyncio.to_thread(db_path.is_file):
        # No database, so no secret in it: a missing key file is as it should be.
        found = await asyncio.to_thread(files.file_checks, db_path, secrets=0)
        return Preflight(report(found, _skipped(store_doctor.IDS, f"no database at {db_path}"),
                                _rest_skipped("there is no database")), can_open=False)
    try:
        async with health_sql.peek(db_path) as db:
            migrations = await store_doctor.migrations_check(db, db_path)
            if migrations.status != FAIL and not store_doctor.pending(migrations):
                # Fit to open: the rest, files included, is examined on the opened store
                # (diagnose); should opening fail after all, see with_open_failure.
                return Preflight(report([store_doctor.opened(db_path), migrations]),
                                 can_open=True)
            secrets = await _secrets(db)
            contents = [await store_doctor.integrity_check(db, db_path),
                        await store_doctor.foreign_key_check(db, db_path)]
    except StoreError as exc:
        found = await asyncio.to_thread(files.file_checks, db_path, secrets=None)
        return Preflight(opening_failed(found, db_path, exc), can_open=False)
    found = await asyncio.to_thread(files.file_checks, db_path, secrets=secrets)
    why = ("the store needs migrating first (see store.migrations)"
           if store_doctor.pending(migrations) else "the store is newer than this frontdesk")
    return Preflight(report(found, [store_doctor.opened(db_path), *contents, migrations],
                            _rest_skipped(why)), can_open=False)


def opening_failed(found: Sequence[DoctorCheck], db_path: Path, error: Exception
                   ) -> DoctorReport:
    """The report when the store does not open: the file checks `found`, the failure,
    and the checks that needed the store, skipped."""
    others = [i for i in store_doctor.IDS if i != store_doctor.OPEN]
    return report(found, [store_doctor.not_opened(db_path, error)],
                  _skipped(others, "the store does not open (see store.open)"),
                  _rest_skipped("the store does not open"))


async def with_open_failure(db_path: Path, error: Exception) -> DoctorReport:
    """The report when the preflight found the store fit to open but opening it failed
    after all: the file checks, the failure, and the rest skipped."""
    secrets: int | None = None
    try:  # the preflight could read it: how many secrets need the key, as diagnose says
        async with health_sql.peek(db_path) as db:
            secrets = await _secrets(db)
    except StoreError:
        pass
    found = await asyncio.to_thread(files.file_checks, db_path, secrets=secrets)
    return opening_failed(found, db_path, error)


async def diagnose(store: Store, agent: Agent, *, account: str | None = None,
                   offline: bool = False, socket_timeout: float = NETWORK_TIMEOUT) -> DoctorReport:
    """Every check on an open store; the account checks cover the accounts the agent may
    configure (or only `account`, which the agent must be able to configure)."""
    unreadable: Exception | None = None
    try:
        if account is not None:
            targets = [await manageable_account(store, agent.id, account)]
        else:
            targets = await managed_accounts(store, agent.id)
    except FrontdeskError:
        raise  # an account the agent may not configure, or none of that name
    except Exception as exc:  # a damaged store: its checks say so, the rest still runs
        targets, unreadable = [], exc
    path = Path(store.path)
    secrets = await _secrets(store.reader)
    found, contents, accounts, clock = await asyncio.gather(
        asyncio.to_thread(files.file_checks, path, secrets=secrets),
        _contents(path),
        _accounts(store, targets, offline=offline, socket_timeout=socket_timeout),
        clock_check(store, targets, offline=offline, socket_timeout=socket_timeout),
    )
    if unreadable is not None:
        accounts = [check(account_doctor.NONE, FAIL, f"cannot read the accounts "
                          f"({unreadable}); see store.integrity")]
    return report(found, [store_doctor.opened(path)], contents, accounts, [clock])


async def _accounts(store: Store, targets: Sequence[AccountSettings], *, offline: bool,
                    socket_timeout: float) -> list[DoctorCheck]:
    """The checks of every account, the accounts checked concurrently."""
    if not targets:
        return [account_doctor.no_accounts()]
    groups = await asyncio.gather(*(account_doctor.account_checks(
        store, a, offline=offline, socket_timeout=socket_timeout) for a in targets))
    return [c for group in groups for c in group]


async def _contents(path: Path) -> list[DoctorCheck]:
    """The database's contents, read on a connection of their own: a long integrity
    check does not hold up the reads of the account checks."""
    try:
        async with health_sql.peek(path) as db:
            return [await store_doctor.integrity_check(db, path),
                    await store_doctor.foreign_key_check(db, path),
                    await store_doctor.migrations_check(db, path)]
    except StoreError as exc:
        return [check(store_doctor.INTEGRITY, FAIL, f"cannot read {path} to check it: {exc}"),
                *_skipped([store_doctor.FOREIGN_KEYS, store_doctor.MIGRATIONS],
                          "the database cannot be read (see store.integrity)")]


async def _secrets(db: Db) -> int | None:
    try:
        return await health_sql.sealed_secrets(db)
    except StoreError:
        return None  # an empty or damaged store: whether secrets need the key is unknown


def _skipped(ids: Sequence[str], why: str) -> list[DoctorCheck]:
    return [check(i, SKIPPED, why) for i in ids]


def _rest_skipped(why: str) -> list[DoctorCheck]:
    return _skipped([account_doctor.NONE, SKEW], f"not checked: {why}")
