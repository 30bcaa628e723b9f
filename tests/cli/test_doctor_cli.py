"""`frontdesk doctor` as an admin runs it on a server: a healthy installation (an account
on the real Dovecot, sending through a real SMTP server, synced once) reports every check
ok and exits 0; then one thing is broken at a time, and each is found with its fix line
and exit status 1."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import ROOT
from tests.integration.sync_support import Item, mail
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer, free_port, start_smtp_server
from themes import DEFAULT_THEME

pytestmark = pytest.mark.integration
USER = "bob@example.com"
SMTP_PASSWORD = "smtp-secret-for-doctor"
STATUSES = {"ok", "warn", "fail", "skipped"}


def run(env: dict[str, str], *args: str, stdin: str = "",
        prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*prefix, sys.executable, "-m", "tui.cli", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120, input=stdin)


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FRONTDESK_DB", "FRONTDESK_CONFIG")}
    env["XDG_DATA_HOME"] = str(home / "data")
    env["XDG_CONFIG_HOME"] = str(home / "config")
    return env


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@dataclass
class Install:
    """A store (with its key file) and a config file, as an admin set them up."""

    db: Path
    config: Path
    env: dict[str, str]

    @property
    def key(self) -> Path:
        return self.db.with_name(self.db.name + ".key")

    def doctor(self, *extra: str, prefix: tuple[str, ...] = ()
               ) -> subprocess.CompletedProcess[str]:
        return run(self.env, "--db", str(self.db), "doctor", "--config", str(self.config),
                   *extra, prefix=prefix)

    def cli(self, *args: str, stdin: str = "") -> str:
        return ok(run(self.env, "--db", str(self.db), *args, stdin=stdin))

    def report(self, *extra: str) -> tuple[int, dict[str, Any]]:
        result = self.doctor("--json", *extra)
        assert result.stderr == "", result.stderr
        return result.returncode, json.loads(result.stdout)


def by_id(report: dict[str, Any], account: str = "") -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in report["checks"] if c["account"] == account}


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = start_smtp_server("starttls", users={USER: SMTP_PASSWORD})
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def template(dovecot: DovecotServer, smtp: SmtpServer) -> Iterator[Install]:
    """The healthy installation, built once; each test works on a copy."""
    dovecot.reset_user(USER)
    dovecot.append_messages(USER, [Item(mail(f"doctor {i}", to=USER)) for i in range(3)])
    home = Path(tempfile.mkdtemp(prefix="fd-doctor-"))
    try:
        install = Install(db=home / "store" / "frontdesk.db", config=home / "config.toml",
                          env=environment(home))
        install.config.write_text(f'theme = "{DEFAULT_THEME}"\n[options]\nthreads = true\n',
                                  encoding="utf-8")
        install.cli("account", "add", "bob", "--email", USER, "--imap-host", dovecot.host,
                    "--imap-port", str(dovecot.port), "--security", "starttls", "--ca-file",
                    str(dovecot.cafile), "--password-stdin", stdin=dovecot.users[USER] + "\n")
        install.cli("account", "smtp", "bob", "--host", smtp.host, "--port", str(smtp.port),
                    "--security", "starttls", "--ca-file", smtp.ca_file, "--username", USER,
                    "--password-stdin", stdin=SMTP_PASSWORD + "\n")
        install.cli("sync", "--once")
        yield install
    finally:
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def install(template: Install, tmp_path: Path) -> Install:
    """A private copy of the healthy installation (database, key file, config)."""
    home = tmp_path / "home"
    store = home / "store"
    store.mkdir(parents=True, mode=0o700)
    home.chmod(0o700)
    for source in (template.db, template.key):
        shutil.copy2(source, store / source.name)
    config = home / "config.toml"
    shutil.copy2(template.config, config)
    return Install(db=store / template.db.name, config=config, env=environment(home))


def test_a_healthy_installation_is_all_ok(install: Install, dovecot: DovecotServer) -> None:
    status, report = install.report()
    assert status == 0
    assert report["ok"] is True
    assert {c["status"] for c in report["checks"]} == {"ok"}, [
        c for c in report["checks"] if c["status"] != "ok"]
    general, bob = by_id(report), by_id(report, "bob")
    assert set(general) == {"config.file", "files.database", "files.directory",
                            "files.permissions", "files.key", "store.open", "store.integrity",
                            "store.foreign_keys", "store.migrations", "clock.skew"}
    assert set(bob) == {"account.login", "account.smtp", "account.sync", "account.jobs"}
    assert "holds a valid key (mode 0600" in general["files.key"]["detail"]
    assert f"as {USER}" in bob["account.login"]["detail"]
    assert "answered EHLO, logged in as" in bob["account.smtp"]["detail"]
    # The clock was compared with the time Dovecot gave a message, whose folder is gone.
    assert "arrival time" in general["clock.skew"]["detail"]
    with dovecot.connect(USER) as client:
        names = [name for _flags, _delim, name in client.list_folders()]
    assert not [n for n in names if "frontdesk-clock" in n]

    table = install.doctor()
    assert table.returncode == 0, table.stderr
    lines = table.stdout.strip().splitlines()
    assert lines[0].split() == ["STATUS", "CHECK", "ACCOUNT", "DETAIL"]
    assert all(line.startswith("ok ") for line in lines[1:-2])
    assert lines[-1].endswith("no problem found")


def test_the_json_report_has_a_stable_shape(install: Install) -> None:
    status, report = install.report("--offline")
    assert status == 0
    assert set(report) == {"ok", "counts", "checks"}
    assert set(report["counts"]) == STATUSES
    assert sum(report["counts"].values()) == len(report["checks"])
    for found in report["checks"]:
        assert set(found) == {"id", "status", "detail", "account"}
        assert found["status"] in STATUSES and found["detail"]
        assert "\n" not in found["detail"]
    keys = [(c["id"], c["account"]) for c in report["checks"]]
    assert len(keys) == len(set(keys))
    # Offline: nothing was asked of a server.
    bob = by_id(report, "bob")
    assert bob["account.login"]["status"] == "skipped"
    assert "--offline" in bob["account.login"]["detail"]
    assert "not contacted" in bob["account.smtp"]["detail"]
    assert by_id(report)["clock.skew"]["status"] == "skipped"


def test_a_key_file_others_can_read_is_a_problem(install: Install) -> None:
    install.key.chmod(0o644)
    status, report = install.report("--offline")
    assert status == 1 and report["ok"] is False
    assert by_id(report)["files.key"] == {
        "id": "files.key", "status": "fail", "account": "",
        "detail": f"key file {install.key} is mode 0644; run chmod 600 {install.key}"}
    table = install.doctor("--offline")
    assert table.returncode == 1
    assert any(line.split()[:2] == ["problem", "files.key"]
               for line in table.stdout.splitlines())
    assert "fix the problems above" in table.stdout


def test_a_database_others_can_read_is_a_problem(install: Install) -> None:
    install.db.chmod(0o644)
    status, report = install.report("--offline")
    assert status == 1
    found = by_id(report)["files.permissions"]
    assert found["status"] == "fail"
    # Opening the store made SQLite's -wal and -shm files with the database's mode.
    db = install.db
    assert found["detail"] == (
        f"{db} and its -wal, -shm files (mode 0644) are readable by every user; "
        f"run chmod 600 {db} {db}-wal {db}-shm")


@pytest.mark.parametrize("table", ["messages", "accounts", "jobs"])
def test_damaged_pages_are_found_by_the_integrity_check(install: Install, table: str) -> None:
    with sqlite3.connect(install.db) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
                            ).fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with open(install.db, "r+b") as raw:
        raw.seek((root - 1) * page_size)
        raw.write(b"\xde\xad\xbe\xef" * (page_size // 4))
    status, report = install.report("--offline")
    assert status == 1
    general = by_id(report)
    assert general["store.open"]["status"] == "ok"
    assert general["store.integrity"]["status"] == "fail"
    assert f"{install.db} is damaged" in general["store.integrity"]["detail"]
    assert ".recover" in general["store.integrity"]["detail"]


def test_a_database_that_does_not_open_is_reported(install: Install) -> None:
    with open(install.db, "r+b") as raw:
        raw.write(b"this is no database header at all" * 4)
    status, report = install.report()
    assert status == 1
    general = by_id(report)
    assert general["store.open"]["status"] == "fail"
    assert "not a usable frontdesk database" in general["store.open"]["detail"]
    assert "backup" in general["store.open"]["detail"]
    assert general["store.integrity"]["status"] == "skipped"
    assert general["files.key"]["status"] == "ok"  # the file checks still ran
    assert general["accounts.configured"]["status"] == "skipped"


def test_an_unwritable_database_directory_is_a_problem(install: Install) -> None:
    directory = install.db.parent
    if os.geteuid() != 0:
        directory.chmod(0o500)
        try:
            status, report = install.report("--offline")
        finally:
            directory.chmod(0o700)
        fix = f"run chmod 700 {directory}"
    else:
        # Root writes whatever the mode bits say: make the directory a read-only mount,
        # in a mount namespace of this command's own.
        if shutil.which("unshare") is None:
            pytest.skip("root ignores permission bits and unshare(1) is not installed")
        mount_ro = ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" '
                    '&& shift && exec "$@"')
        result = install.doctor("--json", "--offline", prefix=(
            "unshare", "--mount", "sh", "-c", mount_ro, "sh", str(directory)))
        if not result.stdout.startswith("{"):
            pytest.skip(f"cannot make a read-only mount here as root: {result.stderr.strip()}")
        status, report = result.returncode, json.loads(result.stdout)
        fix = "read-only"
    assert status == 1
    found = by_id(report)["files.directory"]
    assert found["status"] == "fail"
    assert f"directory {directory} is not writable" in found["detail"]
    assert fix in found["detail"]


def test_a_wrong_password_is_a_problem_with_its_fix(install: Install) -> None:
    install.cli("account", "password", "bob", "--password-stdin", stdin="not-the-password\n")
    status, report = install.report("--account", "bob")
    assert status == 1
    login = by_id(report, "bob")["account.login"]
    assert login["status"] == "fail"
    assert "refused the password" in login["detail"]
    assert "frontdesk account password bob --password-stdin" in login["detail"]
    assert "not-the-password" not in json.dumps(report)


def test_a_server_that_is_down_is_a_problem(install: Install) -> None:
    install.cli("account", "add", "gone", "--email", USER, "--imap-host", "127.0.0.1",
                "--imap-port", str(free_port()), "--security", "none", "--password-stdin",
                stdin="whatever\n")
    status, report = install.report("--account", "gone")
    assert status == 1
    gone = by_id(report, "gone")
    assert gone["account.login"]["status"] == "fail"
    assert "refused the connection" in gone["account.login"]["detail"]
    assert "that the server runs" in gone["account.login"]["detail"]
    assert gone["account.sync"]["status"] == "warn"  # never synced
    assert gone["account.smtp"]["status"] == "warn"  # nowhere to send from
    assert not by_id(report, "bob")  # --account limits the account checks


def test_a_bad_config_file_is_a_problem(install: Install) -> None:
    install.config.write_text('theme = "frontdesk-dark"\n[options\n', encoding="utf-8")
    status, report = install.report("--offline")
    assert status == 1
    config = by_id(report)["config.file"]
    assert config["status"] == "fail"
    assert str(install.config) in config["detail"] and "not valid TOML" in config["detail"]
    install.config.write_text('theme = "no-such-theme"\n', encoding="utf-8")
    status, report = install.report("--offline")
    assert status == 1 and "unknown theme" in by_id(report)["config.file"]["detail"]


def test_a_missing_database_is_reported_and_not_created(install: Install) -> None:
    missing = install.db.with_name("elsewhere.db")
    result = run(install.env, "--db", str(missing), "doctor", "--json")
    assert result.returncode == 1
    found = by_id(json.loads(result.stdout))["files.database"]
    assert found["status"] == "fail" and f"no database at {missing}" in found["detail"]
    assert not missing.exists()


def test_pending_migrations_are_reported_and_not_applied(install: Install) -> None:
    with sqlite3.connect(install.db) as conn:
        last = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        conn.execute("DELETE FROM schema_migrations WHERE version = ?", (last,))
    conn.close()
    status, report = install.report()
    assert status == 0  # a warning: any command that opens the store applies them
    general = by_id(report)
    assert general["store.migrations"]["status"] == "warn"
    assert f"{last:04d}_" in general["store.migrations"]["detail"]
    assert general["accounts.configured"]["status"] == "skipped"
    with sqlite3.connect(install.db) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations WHERE version = ?",
                            (last,)).fetchone()[0] == 0
    conn.close()


def test_an_unknown_account_is_one_line(install: Install) -> None:
    result = install.doctor("--account", "nope")
    assert result.returncode == 1
    assert result.stderr.strip().startswith("frontdesk: no account named 'nope'")
    assert "Traceback" not in result.stderr
