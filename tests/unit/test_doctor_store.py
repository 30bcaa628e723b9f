"""The doctor's checks of a database's contents and of an account's job queue, on real
SQLite files: sound, with rows pointing at rows that are gone, with a migration not yet
applied, and with server changes waiting on an engine that is not running."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from engine.doctor import store as store_doctor
from engine.doctor.accounts import jobs_check
from engine.doctor.run import preflight
from engine.service import LocalService
from storage import Store
from storage import health as health_sql
from storage import settings as settings_sql
from storage.migrate import latest_version


async def new_store(path: Path) -> None:
    service = await LocalService.open(path)
    await service.close()


async def contents(path: Path) -> dict[str, tuple[str, str]]:
    async with health_sql.peek(path) as db:
        found = [await store_doctor.integrity_check(db, path),
                 await store_doctor.foreign_key_check(db, path),
                 await store_doctor.migrations_check(db, path)]
    return {c.id: (c.status, c.detail) for c in found}


async def test_a_sound_store_passes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await new_store(path)
    assert await contents(path) == {
        "store.integrity": ("ok", "integrity_check found no damage"),
        "store.foreign_keys": ("ok", "every row refers to rows that exist"),
        "store.migrations": ("ok", f"schema version {latest_version()}, as this frontdesk "
                             "writes it"),
    }


async def test_rows_pointing_at_nothing_are_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await new_store(path)
    with sqlite3.connect(path) as conn:  # foreign keys are off in a bare connection
        conn.execute("INSERT INTO folders (id, account_id, name) VALUES (7, 999, 'INBOX')")
    conn.close()
    status, detail = (await contents(path))["store.foreign_keys"]
    assert status == "fail"
    assert detail.startswith("1 rows refer to rows that are gone (in folders; "
                             "e.g. folders row 7 -> accounts)")
    assert "PRAGMA foreign_key_check" in detail


async def test_a_newer_schema_fails_and_a_pending_one_warns(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await new_store(path)
    newest = latest_version()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, 'future')",
                     (newest + 1,))
    conn.close()
    status, detail = (await contents(path))["store.migrations"]
    assert status == "fail" and "upgrade frontdesk" in detail
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version >= ?", (newest,))
    conn.close()
    status, detail = (await contents(path))["store.migrations"]
    assert status == "warn" and detail.startswith("1 schema migrations not applied yet")
    # Opening such a store would migrate it: the preflight says not to.
    found = await preflight(path)
    assert not found.can_open
    skipped = {c.id: c.status for c in found.report.checks}
    assert skipped["accounts.configured"] == "skipped"
    assert skipped["store.integrity"] == "ok"  # examined without opening the store


async def test_a_store_fit_to_open_is_opened_by_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    await new_store(path)
    found = await preflight(path)
    assert found.can_open
    assert not (await preflight(tmp_path / "none.db")).can_open
    assert not (tmp_path / "none.db").exists()


async def test_waiting_and_failed_server_changes(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.db")
    try:
        async with store.transaction() as db:
            account_id = await db.insert(
                "INSERT INTO accounts (name, display_name, email, kind) "
                "VALUES ('support', 'Support', 'support@acme.example', 'shared')")
        account = await settings_sql.by_id(store.reader, account_id)
        assert account is not None
        later = datetime(2100, 1, 1, tzinfo=UTC)
        assert (await jobs_check(store, account)).detail == "no server change waiting or failed"
        async with store.transaction() as db:
            await db.execute("INSERT INTO jobs (account_id, kind, created_at) VALUES "
                             "(?, 'flags', '2026-01-01T00:00:00Z')", (account_id,))
        fresh = await jobs_check(store, account, now=datetime(2026, 1, 1, 0, 5, tzinfo=UTC))
        assert (fresh.status, fresh.detail) == ("ok", "1 server changes queued")
        stale = await jobs_check(store, account, now=later)
        assert stale.status == "warn"
        assert "waiting since 2026-01-01T00:00:00Z; is the engine running?" in stale.detail
        async with store.transaction() as db:
            await db.execute("UPDATE jobs SET state = 'failed'")
        failed = await jobs_check(store, account, now=later)
        assert failed.status == "warn" and "1 server changes" in failed.detail
        assert failed.account == "support"
    finally:
        await store.close()
