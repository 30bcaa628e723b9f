"""`frontdesk account add --protocol pop3` and friends, as an admin would script them,
against Dovecot's real POP3 service."""

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
def bob(dovecot_pop3: DovecotServer) -> DovecotServer:
    dovecot_pop3.append_messages(USER, [Item(mail(f"pop {i}")) for i in range(2)])
    return dovecot_pop3


def add_args(server: DovecotServer, db: Path, *extra: str, name: str = "bob") -> list[str]:
    return ["--db", str(db), "account", "add", name, "--protocol", "pop3", "--email", USER,
            "--host", server.host, "--port", str(server.pop3_ssl_port), "--security", "ssl",
            "--ca-file", str(server.cafile), "--password-stdin", *extra]


def test_add_test_list_folders_sync(frontdesk_in: Run, bob: DovecotServer,
                                    tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    added = frontdesk_in(*add_args(bob, db, "--delete-after-import"),
                         stdin=bob.users[USER] + "\n")
    assert added.returncode == 0, added.stderr
    assert f"POP3 account bob added ({USER} on {bob.host}:{bob.pop3_ssl_port})" in added.stdout
    assert bob.users[USER] not in added.stdout

    tested = frontdesk_in("--db", str(db), "account", "test", "bob")
    assert tested.returncode == 0, tested.stderr
    assert f"ok: logged in to {bob.host}:{bob.pop3_ssl_port} (ssl, POP3) as {USER}" \
        in tested.stdout
    assert "UIDL" in tested.stdout and "messages on the server: 2 (" in tested.stdout
    report = json.loads(frontdesk_in("--db", str(db), "account", "test", "bob",
                                     "--json").stdout)
    assert report["protocol"] == "pop3" and report["messages"] == 2
    assert "TOP" in report["capabilities"]

    [account] = json.loads(frontdesk_in("--db", str(db), "account", "list", "--json").stdout)
    assert (account["protocol"], account["delete_after_import"]) == ("pop3", True)
    assert account["sync_folders"] == ["INBOX"] and account["write_read_status"] is False
    table = frontdesk_in("--db", str(db), "account", "list").stdout.splitlines()
    assert "PROTOCOL" in table[0] and "pop3" in table[-1]
    assert f"{bob.host}:{bob.pop3_ssl_port}" in table[-1]

    folders = frontdesk_in("--db", str(db), "account", "folders", "bob")
    assert folders.returncode == 0
    assert "bob is a POP3 account: it has an inbox only" in folders.stdout
    assert_one_line_error(
        frontdesk_in("--db", str(db), "account", "folders", "bob", "--sync", "INBOX,Sent"),
        "inbox only")
    assert_one_line_error(
        frontdesk_in("--db", str(db), "account", "folders", "bob", "--role", "INBOX=sent"),
        "inbox only")

    synced = frontdesk_in("--db", str(db), "sync", "--once")
    assert synced.returncode == 0, synced.stderr
    listed = json.loads(frontdesk_in("--db", str(db), "list", "--folder", "bob:INBOX",
                                     "--json").stdout)
    assert sorted(r["subject"] for r in listed) == ["pop 0", "pop 1"]
    after = json.loads(frontdesk_in("--db", str(db), "account", "test", "bob",
                                    "--json").stdout)
    assert after["messages"] == 0  # deleted after import


def test_a_wrong_password_fails_in_one_line_and_status_shows_it(
    frontdesk_in: Run, bob: DovecotServer, tmp_path: Path
) -> None:
    db = tmp_path / "w.db"
    assert frontdesk_in(*add_args(bob, db), stdin="wrong-password-xyz\n").returncode == 0
    tested = frontdesk_in("--db", str(db), "account", "test", "bob")
    assert_one_line_error(tested, "refused the password")
    assert "wrong-password-xyz" not in tested.stderr
    synced = frontdesk_in("--db", str(db), "sync", "--once")
    assert synced.returncode == 1 and "Traceback" not in synced.stderr
    assert "refused the password" in synced.stderr
    status = frontdesk_in("--db", str(db), "status")
    assert "refused the password" in status.stdout


def test_what_pop3_cannot_do_is_refused_in_one_line(frontdesk_in: Run, tmp_path: Path,
                                                    dovecot_pop3: DovecotServer) -> None:
    db = tmp_path / "r.db"
    server = dovecot_pop3

    def refused(*extra: str, needle: str, protocol_args: list[str] | None = None) -> None:
        args = protocol_args if protocol_args is not None else add_args(server, db)
        assert_one_line_error(frontdesk_in(*args, *extra, stdin="pw\n"), needle)

    refused("--folders", "INBOX,Sent", needle="inbox only")
    refused("--mark-read-on-import", needle="--mark-read-on-import")
    refused("--no-write-read-status", needle="--no-write-read-status")
    refused("--import", "unread", needle="--import unread")
    refused("--sent-to", "nowhere", needle="--sent-to 'nowhere'")
    no_host = ["--db", str(db), "account", "add", "bob", "--protocol", "pop3", "--email",
               USER, "--password-stdin"]
    refused(needle="needs --host", protocol_args=no_host)
    oauth = [*no_host[:-1], "--host", server.host, "--oauth", "google"]
    refused(needle="--oauth is for IMAP accounts", protocol_args=oauth)
    imap = ["--db", str(db), "account", "add", "bob", "--email", USER, "--imap-host",
            server.host, "--password-stdin"]
    refused("--delete-after-import", needle="for POP3 accounts", protocol_args=imap)
    refused("--sent-to", "x", needle="for POP3 accounts", protocol_args=imap)
    assert json.loads(frontdesk_in("--db", str(db), "account", "list", "--json").stdout) == []

    # --sent-to names an IMAP account of the same owner, never a POP3 one.
    assert frontdesk_in(*add_args(server, db, name="pop-a"), stdin="pw\n").returncode == 0
    refused("--sent-to", "pop-a", needle="is a POP3 account",
            protocol_args=add_args(server, db, name="pop-b"))
    assert frontdesk_in("--db", str(db), "account", "add", "mine", "--email", USER,
                        "--imap-host", server.host, "--password-stdin",
                        stdin="pw\n").returncode == 0
    added = frontdesk_in(*add_args(server, db, "--sent-to", "mine", "--json", name="pop-c"),
                         stdin="pw\n")
    assert added.returncode == 0, added.stderr
    assert json.loads(added.stdout)["sent_account"] == "mine"
