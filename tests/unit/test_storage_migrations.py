import sqlite3
from pathlib import Path

import pytest

from storage import NotADatabaseError, SchemaTooNewError, Store, StoreUnavailableError
from storage.migrate import known_migrations, latest_version, split_statements


async def test_fresh_store_gets_every_migration(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "a.db")
    try:
        rows = await store.reader.fetchall("SELECT version FROM schema_migrations")
        assert [r[0] for r in rows] == [m.version for m in known_migrations()]
        tables = {
            r[0] for r in await store.reader.fetchall(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            )
        }
        for needed in ("agents", "accounts", "folders", "messages", "threads", "customers",
                       "leads", "cases", "deny_list", "jobs", "audit_log", "message_fts"):
            assert needed in tables
        assert await store.reader.scalar("PRAGMA user_version") == latest_version()
    finally:
        await store.close()


async def test_reopening_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = await Store.open(path)
    first = await store.reader.fetchall("SELECT version, applied_at FROM schema_migrations")
    schema = await store.reader.fetchall("SELECT sql FROM sqlite_master ORDER BY name")
    await store.close()
    store = await Store.open(path)
    try:
        again = await store.reader.fetchall("SELECT version, applied_at FROM schema_migrations")
        assert [tuple(r) for r in again] == [tuple(r) for r in first]
        assert [tuple(r) for r in await store.reader.fetchall(
            "SELECT sql FROM sqlite_master ORDER BY name")] == [tuple(r) for r in schema]
    finally:
        await store.close()


async def test_newer_schema_is_refused_without_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    store = await Store.open(path)
    async with store.transaction() as db:
        await db.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future')")
    await store.close()
    with pytest.raises(SchemaTooNewError) as info:
        await Store.open(path)
    assert "9999" in str(info.value) and "upgrade frontdesk" in str(info.value)
    con = sqlite3.connect(path)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == 9999
    con.close()


async def test_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    content = b"this is not sqlite at all" * 100
    path.write_bytes(content)
    with pytest.raises(NotADatabaseError) as info:
        await Store.open(path)
    assert str(path) in str(info.value)
    assert path.read_bytes() == content  # left exactly as it was
    assert not (tmp_path / "junk.db-wal").exists()


async def test_path_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailableError) as info:
        await Store.open(blocker / "sub" / "a.db")
    assert "--db" in str(info.value)


async def test_store_files_are_private(tmp_path: Path) -> None:
    path = tmp_path / "new" / "a.db"
    store = await Store.open(path)
    await store.close()
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_split_statements_keeps_trigger_bodies_whole() -> None:
    sql = """
    -- comment
    CREATE TABLE a (x);
    CREATE TRIGGER t AFTER INSERT ON a BEGIN
        INSERT INTO a VALUES (1);
        INSERT INTO a VALUES (2);
    END;
    CREATE INDEX i ON a(x);
    """
    parts = split_statements(sql)
    assert len(parts) == 3
    assert parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")


async def test_failed_migration_leaves_store_unchanged(tmp_path: Path, monkeypatch) -> None:
    from storage import MigrationError, migrate

    original = migrate.known_migrations()
    good = [m.version for m in original]
    broken = migrate.Migration(good[-1] + 1, "broken",
                               ("CREATE TABLE extra (x)", "NOT SQL AT ALL"))
    monkeypatch.setattr(migrate, "known_migrations", lambda: (*original, broken))
    monkeypatch.setattr(migrate, "latest_version", lambda: broken.version)
    with pytest.raises(MigrationError):
        await Store.open(tmp_path / "a.db")
    con = sqlite3.connect(tmp_path / "a.db")
    assert [r[0] for r in con.execute("SELECT version FROM schema_migrations")] == good
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'extra'").fetchone()[0] == 0
    con.close()


async def test_new_store_uses_large_pages(tmp_path: Path) -> None:
    from storage.db import PAGE_SIZE

    store = await Store.open(tmp_path / "p.db")
    try:
        assert await store.reader.scalar("PRAGMA page_size") == PAGE_SIZE
        assert await store.reader.scalar("PRAGMA journal_mode") == "wal"
    finally:
        await store.close()
