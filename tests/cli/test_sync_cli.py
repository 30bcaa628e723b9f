"""The headless commands as an admin would script them, against the real Dovecot."""

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.integration.sync_support import Item, mail
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration
USER = "bob@example.com"


@pytest.fixture
def bob(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    dovecot.append_messages(USER, [Item(mail(f"cli {i}", body=f"body {i}")) for i in range(4)])
    dovecot.append_messages(USER, [Item(mail("sent one"), folder="Sent")])
    return dovecot


def add_args(server: DovecotServer, db: Path, *extra: str) -> list[str]:
    return ["--db", str(db), "account", "add", "bob", "--email", USER, "--imap-host",
            server.host, "--imap-port", str(server.port), "--security", "starttls",
            "--ca-file", str(server.cafile), "--password-stdin", *extra]


def test_add_test_sync_list_show_status(frontdesk_in: Run, bob, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    added = frontdesk_in(*add_args(bob, db, "--folders", "INBOX,Sent", "--json"),
                         stdin=bob.users[USER] + "\n")
    assert added.returncode == 0, added.stderr
    account = json.loads(added.stdout)
    assert account["imap_port"] == bob.port and account["sync_folders"] == ["INBOX", "Sent"]
    assert bob.users[USER] not in added.stdout and account["has_password"] is True

    tested = frontdesk_in("--db", str(db), "account", "test", "bob", "--json")
    assert tested.returncode == 0, tested.stderr
    report = json.loads(tested.stdout)
    assert "IDLE" in report["capabilities"]
    roles = {f["name"]: f["role"] for f in report["folders"]}
    assert roles["Sent"] == "sent" and roles["INBOX"] == "inbox"

    synced = frontdesk_in("--db", str(db), "sync", "--once")
    assert synced.returncode == 0, synced.stderr

    listed = frontdesk_in("--db", str(db), "list", "--folder", "unified:inbox", "--json")
    rows = json.loads(listed.stdout)
    assert sorted(r["subject"] for r in rows) == [f"cli {i}" for i in range(4)]
    sent = json.loads(frontdesk_in("--db", str(db), "list", "--folder", "bob:Sent",
                                   "--json").stdout)
    assert [r["subject"] for r in sent] == ["sent one"]

    shown = frontdesk_in("--db", str(db), "show", str(rows[0]["id"]), "--json")
    view = json.loads(shown.stdout)
    assert view["subject"] == rows[0]["subject"] and view["text"].startswith("body")

    status = json.loads(frontdesk_in("--db", str(db), "status", "--json").stdout)
    assert status[0]["messages"] == 5 and status[0]["last_error"] is None

    folders = json.loads(frontdesk_in("--db", str(db), "account", "folders", "bob",
                                      "--json").stdout)
    assert {f["name"] for f in folders if f["sync_enabled"]} == {"INBOX", "Sent"}

    listed_accounts = json.loads(frontdesk_in("--db", str(db), "account", "list",
                                              "--json").stdout)
    assert [a["name"] for a in listed_accounts] == ["bob"]

    removed = frontdesk_in("--db", str(db), "account", "remove", "bob")
    assert removed.returncode == 0
    assert json.loads(frontdesk_in("--db", str(db), "account", "list", "--json").stdout) == []


def test_wrong_password_fails_in_one_line(frontdesk_in: Run, bob, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    assert frontdesk_in(*add_args(bob, db), stdin="wrong-password-xyz\n").returncode == 0
    tested = frontdesk_in("--db", str(db), "account", "test", "bob")
    assert_one_line_error(tested, "refused")
    assert "wrong-password-xyz" not in tested.stderr
    synced = frontdesk_in("--db", str(db), "sync", "--once")
    assert synced.returncode == 1
    assert "Traceback" not in synced.stderr and "refused" in synced.stderr
    status = frontdesk_in("--db", str(db), "status")
    assert "refused" in status.stdout


def test_bad_arguments_are_one_line_errors(frontdesk_in: Run, bob, tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    assert_one_line_error(
        frontdesk_in(*add_args(bob, db, "--import", "since:yesterday"), stdin="x\n"),
        "since:YYYY-MM-DD")
    assert_one_line_error(
        frontdesk_in(*add_args(bob, db, "--ca-file", "/nonexistent.pem"), stdin="x\n"),
        "no such file")
    assert_one_line_error(frontdesk_in(*add_args(bob, db), stdin=""), "password")
    assert_one_line_error(frontdesk_in("--db", str(db), "account", "test", "nope"), "nope")
    assert_one_line_error(frontdesk_in("--db", str(db), "list", "--folder", "weird"),
                          "unified:ROLE")
    assert_one_line_error(frontdesk_in("--db", str(db), "show", "999999"), "not found")
