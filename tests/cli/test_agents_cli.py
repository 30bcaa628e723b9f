"""`frontdesk agent ...` and forced SSH commands, run as the real program: what admins
may do, what everyone else is refused (one line, exit 1, an audit row), and how a
gateway's key runs the command its client asked for."""

import json
import shlex
import sqlite3
from pathlib import Path

import pytest

from engine.identity import os_user
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.unit.test_agent_admin import ed25519_key, sshd_command

ME = os_user()
PROGRAM = "/opt/frontdesk/bin/frontdesk"


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def refusals(db: Path) -> list[dict]:
    """The audit rows of refusals, by rule or by access: who, what, why."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT a.name, l.detail FROM audit_log AS l LEFT JOIN agents AS a "
            "ON a.id = l.agent_id WHERE l.action IN ('agent.refused', 'access.refused') "
            "ORDER BY l.id").fetchall()
    found = []
    for name, detail in rows:
        data = json.loads(detail)
        found.append({"by": name, **data,
                      "what": data.get("attempted") or data.get("method")})
    return found


@pytest.fixture
def db(frontdesk: Run, tmp_path: Path) -> Path:
    """A store whose first agent (its admin) is the OS user running the tests, with
    alice (no OS user: she comes in through a gateway's key) and bob."""
    path = tmp_path / "desk.db"
    ok(frontdesk("--db", str(path), "agent", "add", "alice", "--no-os-user",
                 "--email", "alice@acme.example", "--display-name", "Alice A"))
    ok(frontdesk("--db", str(path), "agent", "add", "bob", "--os-user", "bob-login"))
    return path


def test_admin_manages_agents(frontdesk: Run, db: Path) -> None:
    def run(*args: str):
        return frontdesk("--db", str(db), "agent", *args)

    agents = {a["name"]: a for a in json.loads(ok(run("list", "--json")))}
    assert set(agents) == {ME, "alice", "bob"}
    assert (agents[ME]["role"], agents[ME]["os_user"]) == ("admin", ME)
    assert (agents["alice"]["os_user"], agents["alice"]["email"]) == (None, "alice@acme.example")
    assert agents["bob"]["os_user"] == "bob-login"

    assert ok(run("add", "carol")) == "agent carol added (agent, OS user carol)\n"
    assert_one_line_error(run("add", "alice"), "'alice' exists already")
    assert_one_line_error(run("add", "Carol Two"), "agent name")
    assert_one_line_error(run("add", "dan", "--os-user", "bob-login"), "'bob'")
    assert ok(run("set-role", "alice", "admin")) == "alice is an admin\n"
    assert ok(run("set-role", "alice", "agent")) == "alice is an agent\n"
    assert_one_line_error(run("remove", ME), "last active admin")
    assert_one_line_error(run("set-role", ME, "agent"), "last active admin")
    assert_one_line_error(run("remove", "nobody"), "no agent named 'nobody'")

    assert ok(run("address", "add", "alice", "Sales@acme.example")) == (
        "Sales@acme.example is assigned to alice\n")
    assert_one_line_error(run("address", "add", "bob", "sales@ACME.example"),
                          "assigned to agent 'alice'")
    [listed] = json.loads(ok(run("address", "list", "alice", "--json")))
    assert (listed["address"], listed["agent"], listed["assigned_by"]) == (
        "Sales@acme.example", "alice", ME)

    assert ok(run("remove", "alice")) == (
        "agent alice removed; its history stays; addresses taken back: Sales@acme.example\n")
    agents = {a["name"]: a for a in json.loads(ok(run("list", "--json")))}
    assert agents["alice"]["active"] is False and agents["bob"]["active"] is True
    assert json.loads(ok(run("address", "list", "--all", "--json"))) == []
    assert "brought back" in ok(run("add", "alice", "--no-os-user"))

    table = ok(run("list")).splitlines()
    assert table[0].split()[:3] == ["NAME", "ROLE", "OS"] and len(table) == 5
    assert ok(run("gateway", "list")).splitlines() == ["OS USER  ADDED BY  SINCE"]
    assert "is a gateway" in ok(run("gateway", "add", "helpdesk"))
    assert json.loads(ok(run("gateway", "list", "--json")))[0]["added_by"] == ME
    ok(run("gateway", "remove", "helpdesk"))
    assert_one_line_error(run("gateway", "remove", "helpdesk"), "not a gateway")
    assert [r["what"] for r in refusals(db)] == ["agent.add"] * 3 + [
        "agent.remove", "agent.role", "remove_agent", "agent.address.add", "remove_gateway"]


def test_agent_flag_needs_a_gateway_and_others_are_refused(frontdesk: Run, db: Path) -> None:
    as_alice = ("--db", str(db), "--agent", "alice")
    refused = frontdesk(*as_alice, "agent", "list")
    assert_one_line_error(refused, f"OS user {ME!r} may not act as agent 'alice'",
                          f"frontdesk agent gateway add {ME}")
    ok(frontdesk("--db", str(db), "agent", "gateway", "add", ME))
    names = [a["name"] for a in json.loads(ok(frontdesk(*as_alice, "agent", "list", "--json")))]
    assert names == sorted([ME, "alice", "bob"])
    for args in (("agent", "add", "eve"), ("agent", "remove", "bob"),
                 ("agent", "gateway", "add", "eve"), ("agent", "set-role", "alice", "admin"),
                 ("agent", "address", "add", "alice", "a@acme.example"),
                 ("agent", "address", "list", "bob")):
        assert_one_line_error(frontdesk(*as_alice, *args), "only an admin")
    listed = json.loads(ok(frontdesk("--db", str(db), "agent", "list", "--json")))
    assert "eve" not in {a["name"] for a in listed}
    rows = refusals(db)
    assert rows[0]["by"] == ME  # the OS user's own agent tried to pose as alice
    assert rows[0]["what"] == "login" and rows[0]["requested"] == "alice"
    assert [r["by"] for r in rows[1:]] == ["alice"] * 6


def test_authorized_keys_line(frontdesk: Run, db: Path, tmp_path: Path) -> None:
    key = tmp_path / "alice.pub"
    key.write_text(ed25519_key('alice@laptop" evil'), encoding="utf-8")
    out = ok(frontdesk("--db", str(db), "agent", "authorized-keys", "alice", "--key",
                       str(key), "--program", PROGRAM))
    assert out.count("\n") == 1
    command, (key_type, _, comment) = sshd_command(out.rstrip("\n"))
    assert shlex.split(command) == [PROGRAM, "--db", str(db), "--agent", "alice"]
    assert (key_type, comment) == ("ssh-ed25519", 'alice@laptop" evil')

    found = ok(frontdesk("--db", str(db), "agent", "authorized-keys", "alice", "--key",
                         str(key)))
    program = shlex.split(sshd_command(found.rstrip("\n"))[0])[0]
    assert Path(program).is_absolute() and Path(program).name == "frontdesk"
    assert Path(program).exists()

    key.write_text(ed25519_key() + ed25519_key("two"), encoding="utf-8")
    assert_one_line_error(frontdesk("--db", str(db), "agent", "authorized-keys", "alice",
                                    "--key", str(key)), "exactly one public key")
    assert_one_line_error(frontdesk("--db", str(db), "agent", "authorized-keys", "alice",
                                    "--key", str(tmp_path / "missing.pub")), "cannot read")


def test_forced_command_runs_what_the_client_asked(frontdesk: Run, db: Path,
                                                   cli_env: dict[str, str]) -> None:
    admin = ("--db", str(db))
    forced = ("--db", str(db), "--agent", "alice")

    def over_ssh(request: str):
        return frontdesk(*forced, env={**cli_env, "SSH_ORIGINAL_COMMAND": request})

    ok(frontdesk(*admin, "agent", "address", "add", "alice", "help@acme.example"))
    # Not a gateway yet: the key's forced command cannot name alice.
    assert_one_line_error(over_ssh("frontdesk agent list"), "may not act as agent 'alice'")
    ok(frontdesk(*admin, "agent", "gateway", "add", ME))

    [mine] = json.loads(ok(over_ssh("frontdesk agent address list --json")))
    assert (mine["agent"], mine["address"]) == ("alice", "help@acme.example")
    assert_one_line_error(over_ssh("frontdesk agent add eve"), "only an admin")

    for request, reason in (
        (f"frontdesk --agent {ME} agent add eve", "sets --agent and --db"),
        (f"frontdesk agent add eve --agent={ME}", "sets --agent and --db"),
        (f"frontdesk agent add eve --ag {ME}", "sets --agent and --db"),
        ("frontdesk agent list --db /tmp/other.db", "sets --agent and --db"),
        ("rm -rf /", "runs frontdesk only"),
        ("/bin/sh -c 'frontdesk agent list'", "runs frontdesk only"),
        ("frontdesk agent list 'unbalanced", "not valid"),
        ("frontdesk demo --seed-only", "demo"),
    ):
        assert_one_line_error(over_ssh(request), reason)
    names = [a["name"] for a in json.loads(ok(frontdesk(*admin, "agent", "list", "--json")))]
    assert "eve" not in names
    ssh_rows = [r for r in refusals(db) if r["what"].startswith("ssh command: ")]
    assert len(ssh_rows) == 8 and {r["by"] for r in ssh_rows} == {"alice"}
    assert ssh_rows[0]["attempted"] == f"ssh command: frontdesk --agent {ME} agent add eve"
    # No request: the forced command opens the console (which needs a terminal).
    assert_one_line_error(over_ssh("  "), "terminal")
