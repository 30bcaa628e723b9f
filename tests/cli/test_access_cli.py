"""`frontdesk account add|grant|revoke|share|access|list` and `frontdesk imap defaults`
as separate processes: who may do what, and refusals as one line with exit status 1."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from engine.service import LocalService
from storage import agents
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import make_gateway

HOST = "imap.acme.example"


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    """ann (admin), bob and carol (agents), each with an own email; the tests' OS user
    is a gateway, so --agent names who acts."""
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        async with service.store.transaction() as conn:
            for name, role in (("ann", "admin"), ("bob", "agent"), ("carol", "agent")):
                await agents.insert(conn, name=name, os_user=None, role=role,
                                    email=f"{name}@acme.example")
        await make_gateway(service.store)
    finally:
        await service.close()
    return path


class Cli:
    def __init__(self, run: Run, db: Path) -> None:
        self.run, self.db = run, db

    def __call__(self, who: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return self.run("--db", str(self.db), "--agent", who, *args, stdin=stdin)

    def ok(self, who: str, *args: str, stdin: str = "") -> str:
        result = self(who, *args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def json(self, who: str, *args: str) -> Any:
        return json.loads(self.ok(who, *args, "--json"))

    def add(self, who: str, name: str, email: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return self(who, "account", "add", name, "--email", email, "--password-stdin",
                    *extra, stdin="pw\n")


@pytest.fixture
def cli(frontdesk_in: Run, db: Path) -> Cli:
    return Cli(frontdesk_in, db)


def listed(cli: Cli, who: str) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in cli.json(who, "account", "list")}


def test_an_owner_grants_and_revokes_its_personal_account(cli: Cli) -> None:
    assert cli.add("bob", "bob-mail", "bob@acme.example", "--imap-host", HOST).returncode == 0
    assert listed(cli, "carol") == {}

    out = cli.ok("bob", "account", "grant", "bob-mail", "--to", "carol")
    assert out.startswith("carol may now read bob-mail\n")
    seen = listed(cli, "carol")["bob-mail"]
    assert (seen["kind"], seen["owner"], seen["access"]) == ("personal", "bob", "read")
    assert listed(cli, "bob")["bob-mail"]["access"] == "owner"

    cli.ok("bob", "account", "grant", "bob-mail", "--to", "carol", "--act")
    assert listed(cli, "carol")["bob-mail"]["access"] == "act"
    access = cli.json("carol", "account", "access", "bob-mail")
    assert [(e["who"], e["kind"], e["access"], e["granted_by"]) for e in access["entries"]] \
        == [("bob", "owner", "owner", None), ("carol", "agent", "act", "bob")]
    table = cli.ok("carol", "account", "list").splitlines()
    assert table[0].split()[:5] == ["NAME", "KIND", "OWNER", "ACCESS", "EMAIL"]
    assert table[1].split()[:4] == ["bob-mail", "personal", "bob", "act"]

    assert_one_line_error(cli("carol", "account", "grant", "bob-mail", "--to", "ann"),
                          "account 'bob-mail' belongs to another agent; ask its owner")
    assert "carol's grant on bob-mail is withdrawn" in cli.ok(
        "bob", "account", "revoke", "bob-mail", "--from", "carol")
    assert listed(cli, "carol") == {}
    assert_one_line_error(cli("bob", "account", "revoke", "bob-mail", "--from", "carol"),
                          "carol has no grant on bob-mail")


def test_a_hidden_account_fails_exactly_like_a_missing_one(cli: Cli) -> None:
    cli.add("bob", "bob-mail", "bob@acme.example", "--imap-host", HOST)
    for action in (("access",), ("grant", "--to", "carol"), ("revoke", "--from", "bob"),
                   ("share", "--roles", "agent"), ("remove",), ("test",)):
        hidden = cli("carol", "account", action[0], "bob-mail", *action[1:])
        missing = cli("carol", "account", action[0], "nope-mail", *action[1:])
        assert_one_line_error(hidden, "no account named 'bob-mail'")
        assert_one_line_error(missing, "no account named 'nope-mail'")
        assert hidden.stderr.replace("bob-mail", "?") == missing.stderr.replace("nope-mail", "?")


def test_agents_add_personal_accounts_only_for_their_addresses(cli: Cli) -> None:
    assert_one_line_error(cli.add("bob", "ceo", "ceo@acme.example", "--imap-host", HOST),
                          "ceo@acme.example is not one of your addresses",
                          "frontdesk agent address add bob ceo@acme.example")
    assert_one_line_error(
        cli.add("bob", "desk", "desk@acme.example", "--imap-host", HOST, "--shared"),
        "only an admin can add a shared account")
    assert listed(cli, "bob") == {}
    # An admin may add any address.
    out = cli.add("ann", "ceo", "ceo@acme.example", "--imap-host", HOST).stdout
    assert out.startswith(f"account ceo added (ceo@acme.example on {HOST}:993)")


def test_a_shared_account_is_labelled_shared_and_managed_by_admins(cli: Cli) -> None:
    out = cli.add("ann", "support", "support@acme.example", "--imap-host", HOST, "--shared",
                  "--label", "Support desk").stdout
    assert out.startswith("shared account support added")
    made = listed(cli, "ann")["support"]
    assert (made["kind"], made["owner"], made["access"], made["display_name"]) == \
        ("shared", None, "act", "Support desk")

    shown = cli.ok("ann", "account", "share", "support", "--agents", "bob",
                   "--roles", "agent", "--read-only").splitlines()
    assert shown[0] == "support (shared, support@acme.example)"
    assert [line.split()[:3] for line in shown[2:]] == \
        [["bob", "agent", "read"], ["agent", "role", "read"]]
    assert listed(cli, "carol")["support"]["access"] == "read"  # through the role
    assert "support" not in listed(cli, "ann")  # the list was set, ann is off it...
    cli.ok("ann", "account", "share", "support", "--agents", "bob,ann", "--roles", "")
    assert listed(cli, "bob")["support"]["access"] == "act"  # ...and back on it
    assert "support" not in listed(cli, "carol")

    assert_one_line_error(cli("bob", "account", "share", "support", "--roles", "agent"),
                          "only an admin can change the shared account 'support'")
    assert_one_line_error(cli("ann", "account", "share", "support"),
                          "give --agents, --roles or both")
    assert_one_line_error(cli("ann", "account", "share", "support", "--agents", "zed"),
                          "no agent named 'zed'")


def test_imap_defaults_are_set_by_admins_and_fill_what_accounts_leave_out(
    cli: Cli, tmp_path: Path
) -> None:
    assert cli.ok("bob", "imap", "defaults").strip() == \
        "no IMAP defaults: every account names its own server"
    assert_one_line_error(cli.add("bob", "bob-mail", "bob@acme.example"),
                          "no IMAP server: give --imap-host",
                          "frontdesk imap defaults --host HOST")
    assert_one_line_error(cli("bob", "imap", "defaults", "--host", HOST),
                          "only an admin can set the IMAP defaults")

    pem = tmp_path / "ca.pem"
    pem.write_text("-----BEGIN CERTIFICATE-----\n")
    set_out = cli.ok("ann", "imap", "defaults", "--host", HOST, "--port", "1143",
                     "--security", "starttls", "--ca-file", str(pem), "--check-every", "9")
    assert f"host:        {HOST}" in set_out and "set by:      ann" in set_out
    shown = cli.json("bob", "imap", "defaults")
    assert (shown["host"], shown["port"], shown["security"], shown["check_every_minutes"]) \
        == (HOST, 1143, "starttls", 9)

    out = cli.add("bob", "bob-mail", "bob@acme.example").stdout
    assert out.startswith(f"account bob-mail added (bob@acme.example on {HOST}:1143 "
                          "(defaults))")
    mine = listed(cli, "bob")["bob-mail"]
    assert (mine["imap_host"], mine["imap_port"], mine["imap_security"], mine["ca_file"],
            mine["check_every_minutes"]) == (HOST, 1143, "starttls", str(pem), 9)

    cli.ok("ann", "imap", "defaults", "--port", "2143")
    assert listed(cli, "bob")["bob-mail"]["imap_port"] == 2143  # follows the defaults
    cli.ok("ann", "imap", "defaults", "--clear")
    assert cli.json("ann", "imap", "defaults")["host"] is None
    assert listed(cli, "bob")["bob-mail"]["imap_host"] is None

    assert_one_line_error(cli("ann", "imap", "defaults", "--ca-file", str(tmp_path / "x")),
                          "no such file")
    bad = cli("ann", "imap", "defaults", "--security", "tls")
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_grant_and_revoke_need_an_agent(cli: Cli) -> None:
    for args in (("grant", "x"), ("revoke", "x")):
        result = cli("bob", "account", *args)
        assert result.returncode == 2 and "required" in result.stderr
