import sqlite3
from pathlib import Path

from tests.cli.conftest import Run


def assert_one_line_error(result, *needles: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("frontdesk: ")
    for needle in needles:
        assert needle in lines[0]


def test_version(frontdesk: Run) -> None:
    result = frontdesk("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("frontdesk ")


def test_demo_seed_only_builds_and_reuses(frontdesk: Run, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    result = frontdesk("demo", "--db", str(db), "--messages", "150", "--seed-only")
    assert result.returncode == 0, result.stderr
    assert str(db) in result.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 150
    assert con.execute("SELECT count(*) FROM accounts").fetchone()[0] == 3
    assert con.execute("SELECT count(*) FROM accounts WHERE kind = 'shared'").fetchone()[0] == 1
    first_ids = con.execute("SELECT max(id) FROM messages").fetchone()[0]
    con.close()
    # Same spec: reused as is. Other spec: rebuilt.
    assert frontdesk("demo", "--db", str(db), "--messages", "150", "--seed-only").returncode == 0
    con = sqlite3.connect(db)
    assert con.execute("SELECT max(id) FROM messages").fetchone()[0] == first_ids
    con.close()
    assert frontdesk("demo", "--db", str(db), "--messages", "90", "--seed-only").returncode == 0
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*) FROM messages").fetchone()[0] == 90
    con.close()


def test_demo_default_path_is_not_the_real_store(frontdesk: Run, tmp_path: Path) -> None:
    result = frontdesk("demo", "--messages", "20", "--seed-only")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "frontdesk" / "demo.db").exists()
    assert not (tmp_path / "data" / "frontdesk" / "frontdesk.db").exists()


def test_demo_never_overwrites_a_real_store(frontdesk: Run, tmp_path: Path) -> None:
    db = tmp_path / "real.db"
    assert frontdesk("--db", str(db)).returncode == 1  # creates it; no terminal here
    before = db.read_bytes()
    result = frontdesk("demo", "--db", str(db), "--seed-only")
    assert_one_line_error(result, "not a demo store")
    assert db.read_bytes() == before


def test_not_a_database(frontdesk: Run, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"\x00garbage" * 1000)
    assert_one_line_error(frontdesk("--db", str(junk)), str(junk), "not a usable")


def test_newer_schema(frontdesk: Run, tmp_path: Path) -> None:
    db = tmp_path / "n.db"
    frontdesk("demo", "--db", str(db), "--messages", "5", "--seed-only")
    con = sqlite3.connect(db)
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (500, 'x')")
    con.commit()
    con.close()
    assert_one_line_error(frontdesk("--db", str(db)), "newer", "upgrade frontdesk")


def test_unwritable_path(frontdesk: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "plainfile"
    blocker.write_text("x")
    assert_one_line_error(frontdesk("--db", str(blocker / "x.db")), "cannot create")


def test_db_from_environment(frontdesk: Run, cli_env: dict[str, str], tmp_path: Path) -> None:
    junk = tmp_path / "env.db"
    junk.write_text("not sqlite" * 100)
    result = frontdesk(env={**cli_env, "FRONTDESK_DB": str(junk)})
    assert_one_line_error(result, str(junk))


def test_console_needs_a_terminal(frontdesk: Run, tmp_path: Path) -> None:
    assert_one_line_error(frontdesk("--db", str(tmp_path / "t.db")), "terminal")


def test_stranger_is_refused(frontdesk: Run, tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    frontdesk("demo", "--db", str(db), "--messages", "5", "--seed-only")
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "mallory"), "mallory")


def test_usage_errors_exit_2(frontdesk: Run) -> None:
    result = frontdesk("demo", "--messages", "0")
    assert result.returncode == 2
    assert "at least 1" in result.stderr
