"""`frontdesk account set`: changing an account after it was added, with the checks of
`account add`, only by whoever configures it, audited; a fixed server lets sync run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli import test_access_cli as team
from tests.cli.test_access_cli import HOST, Cli
from tests.cli.test_cli import assert_one_line_error
from tests.servers.dovecot import DovecotServer

# The team store of the access tests: ann (admin), bob and carol.
db = team.db
cli = team.cli


def settings(cli: Cli, who: str, name: str) -> dict[str, object]:
    found = {a["name"]: a for a in cli.json(who, "account", "list")}
    return found[name]


def test_only_the_options_given_change(cli: Cli) -> None:
    assert cli.add("bob", "bob-mail", "bob@acme.example", "--imap-host", HOST).returncode == 0
    before = settings(cli, "bob", "bob-mail")
    out = cli.ok("bob", "account", "set", "bob-mail", "--label", "Bob's desk",
                 "--check-every", "9", "--no-write-read-status", "--security", "starttls")
    assert out == ("account bob-mail changed: display_name, security, "
                   "check_every_minutes, write_read_status\n")
    after = settings(cli, "bob", "bob-mail")
    assert (after["display_name"], after["check_every_minutes"], after["write_read_status"],
            after["imap_security"]) == ("Bob's desk", 9, False, "starttls")
    unchanged = {k: v for k, v in before.items()
                 if k not in ("display_name", "check_every_minutes", "write_read_status",
                              "imap_security")}
    assert {k: after[k] for k in unchanged} == unchanged

    cli.ok("bob", "account", "set", "bob-mail", "--import", "since:2026-01-02")
    after = settings(cli, "bob", "bob-mail")
    assert (after["import_mode"], after["import_since"]) == ("since", "2026-01-02")
    cli.ok("bob", "account", "set", "bob-mail", "--import", "new-only")
    after = settings(cli, "bob", "bob-mail")
    assert (after["import_mode"], after["import_since"]) == ("new-only", None)

    audit = json.loads(cli.ok("ann", "audit", "--json"))
    changes = [row["detail"]["changed"] for row in audit if row["action"] == "account.change"]
    assert changes[:2] == [["import_mode"], ["import_mode", "import_since"]]  # newest first
    assert len(changes) == 3


def test_bad_values_get_the_checks_of_account_add(cli: Cli, tmp_path: Path) -> None:
    assert cli.add("bob", "bob-mail", "bob@acme.example", "--imap-host", HOST).returncode == 0
    for args, says in (
        (("--imap-port", "70000"), "--imap-port 70000: must be 1 to 65535"),
        (("--imap-host", "two words"), "is not a host name"),
        (("--email", "nobody"), "is not an email address"),
        (("--check-every", "0"), "at least 1 minute"),
        (("--ca-file", str(tmp_path / "missing.pem")), "no such file"),
        (("--import", "someday"), "choose all, unread, new-only or since:YYYY-MM-DD"),
        (("--username", " "), "username cannot be empty"),
        ((), "nothing to change"),
    ):
        result = cli("bob", "account", "set", "bob-mail", *args)
        assert_one_line_error(result, says)
    assert settings(cli, "bob", "bob-mail")["imap_host"] == HOST

    assert cli("bob", "account", "add", "bob-cmd", "--email", "bob@acme.example",
               "--imap-host", HOST, "--password-command", "echo pw").returncode == 0
    assert_one_line_error(cli("bob", "account", "set", "bob-cmd", "--password-command", ""),
                          "no stored password")


def test_who_may_change_an_account(cli: Cli) -> None:
    assert cli.add("bob", "bob-mail", "bob@acme.example", "--imap-host", HOST).returncode == 0
    assert cli.add("ann", "help", "help@acme.example", "--imap-host", HOST,
                   "--shared").returncode == 0
    assert_one_line_error(cli("carol", "account", "set", "bob-mail", "--label", "x"),
                          "no account named 'bob-mail'")
    cli.ok("bob", "account", "grant", "bob-mail", "--to", "carol", "--act")
    assert_one_line_error(cli("carol", "account", "set", "bob-mail", "--label", "x"),
                          "belongs to another agent")
    assert_one_line_error(cli("bob", "account", "set", "bob-mail", "--email",
                              "ann@acme.example"), "is not one of your addresses")
    assert_one_line_error(cli("ann", "account", "set", "help", "--imap-host", ""),
                          "a shared account needs an IMAP host")
    cli.ok("ann", "account", "set", "help", "--label", "Help desk")
    assert settings(cli, "ann", "help")["display_name"] == "Help desk"


def test_fixing_the_server_lets_sync_run(cli: Cli, dovecot: DovecotServer) -> None:
    password = dovecot.users["alice@example.com"]
    with dovecot.client() as client:
        client.login("alice@example.com", password)
        client.append("INBOX", b"Subject: hi\r\n\r\nbody\r\n")
    assert cli.add("ann", "alice", "alice@example.com", "--imap-host", dovecot.host,
                   "--imap-port", "1", "--security", "starttls", "--ca-file",
                   str(dovecot.cafile)).returncode == 0
    assert cli("ann", "sync", "--once", "--account", "alice").returncode != 0
    cli.ok("ann", "account", "set", "alice", "--imap-port", str(dovecot.port),
           "--password-command", f"printf %s {password}")
    cli.ok("ann", "sync", "--once", "--account", "alice")
    listed = json.loads(cli.ok("ann", "list", "--folder", "alice:INBOX", "--json"))
    assert [m["subject"] for m in listed] == ["hi"]

    cli.ok("ann", "account", "set", "alice", "--no-enabled")
    assert settings(cli, "ann", "alice")["enabled"] is False


def test_a_password_that_cannot_be_stored_leaves_no_account(cli: Cli, db: Path) -> None:
    """The account and its password are stored together: with a key file others may read
    (refused), `account add` fails with the fix and adds nothing."""
    assert cli.add("bob", "bob-mail", "bob@acme.example", "--imap-host", HOST).returncode == 0
    key = db.with_name(db.name + ".key")
    key.chmod(0o644)
    result = cli.add("bob", "bob-other", "bob@acme.example", "--imap-host", HOST)
    assert_one_line_error(result, "chmod 600")
    key.chmod(0o600)
    assert {a["name"] for a in cli.json("bob", "account", "list")} == {"bob-mail"}
