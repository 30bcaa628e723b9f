"""`frontdesk config check|apply|export`: the whole setup in config.toml, checked with
every problem on its own line, applied through the Service (twice changes nothing),
and exported without a secret so that export -> check -> apply is a no-op."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.cli import test_access_cli as team
from tests.cli.test_access_cli import Cli
from tests.servers.dovecot import DovecotServer

# The team store of the access tests: ann (admin), bob and carol.
db = team.db
cli = team.cli

HOST = "imap.acme.example"


def run_config(cli: Cli, who: str, action: str, path: Path, *extra: str
               ) -> subprocess.CompletedProcess[str]:
    return cli(who, "config", action, "--config", str(path), *extra)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def newest_audit_row(cli: Cli) -> int:
    rows = json.loads(cli.ok("ann", "audit", "--json", "--limit", "1"))
    return int(rows[0]["id"]) if rows else 0


def accounts(cli: Cli, who: str = "ann") -> dict[str, dict[str, object]]:
    return {a["name"]: a for a in cli.json(who, "account", "list")}


def secret_file(tmp_path: Path, name: str, secret: str) -> Path:
    path = tmp_path / name
    path.write_text(secret, encoding="utf-8")
    path.chmod(0o600)
    return path


GOOD = f"""\
theme = "frontdesk-light"

[options]
threads = true

[keymap]
"list.down" = "x,down"

[[accounts]]
name = "help"
email = "help@acme.example"
shared = true
imap_host = "{HOST}"
password_command = "echo never-run"
check_every = 9
deny = ["spam.example"]
share = {{ agents = ["ann", "bob"] }}

[modes]
help = "case"

[[rules]]
account = "help"
name = "thanks"
kind = "respond"
body = "Thanks, {{{{ customer.name }}}}."
"""


def test_check_accepts_a_good_file_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    before = newest_audit_row(cli)
    out = ok(run_config(cli, "ann", "check", path))
    assert out == f"{path}: ok, 1 account, 1 rule\n"
    assert accounts(cli) == {}
    assert newest_audit_row(cli) == before


BAD_VALUES = [
    ("themes = 'x'\n", 1, 'unknown key "themes" at the top level; did you mean "theme"?'),
    ('theme = "frontdesk-drak"\n', 1,
     'unknown theme "frontdesk-drak"; did you mean "frontdesk-dark"?'),
    ('[keymap]\n"list.dwn" = "j"\n', 2,
     '[keymap]: unknown binding id "list.dwn"; did you mean list.down?'),
    ("[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\npassword_command = 'x'\n"
     "imap_hots = 'h'\n", 5,
     'unknown key "imap_hots" in [[accounts]] "a"; did you mean "imap_host"?'),
    ("[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\npassword_command = 'x'\n"
     "imap_host = 'h'\nimap_port = 70000\n", 6,
     '[[accounts]] "a": imap_port 70000: must be 1 to 65535'),
    ("[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\npassword_command = 'x'\n"
     "imap_host = 'h'\nsecurity = 'tls'\n", 6,
     "[[accounts]] \"a\": security 'tls': choose ssl, starttls or none"),
    ("[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\npassword_command = 'x'\n"
     "imap_host = 'h'\nimport = 'yesterday'\n", 6,
     "import 'yesterday': choose all, unread, new-only or since:YYYY-MM-DD"),
    ("[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\npassword_command = 'x'\n"
     "imap_host = 'h'\nroles = { Outbox = 'sentt' }\n", 6,
     'role "sentt" of folder "Outbox" in [[accounts]] "a" is not a role; did you mean '
     '"sent"?'),
    ("[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\nimap_host = 'h'\n"
     "password = 'hunter2'\n", 5,
     'a password in clear ("password") in [[accounts]] "a" is refused; remove it and give '
     'password_command'),
    ("[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\nimap_host = 'h'\n"
     "shared = true\npassword_command = 'x'\nshare = { agents = ['bobby'] }\n", 7,
     'unknown agent "bobby" in share of "a"; did you mean "bob"?'),
    ("[[rules]]\naccount = 'nowhere'\nname = 'r'\nkind = 'filter'\nactions = ['flag']\n", 2,
     'account "nowhere" of [[rules]] "nowhere/r" is neither declared in [[accounts]] nor '
     "one you configure; declare it, or fix the name"),
]


@pytest.mark.parametrize(("text", "line", "says"), BAD_VALUES,
                         ids=[f"line{n}-{i}" for i, (_, n, _) in enumerate(BAD_VALUES)])
def test_check_names_each_bad_value_with_its_line(cli: Cli, tmp_path: Path, text: str,
                                                  line: int, says: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    result = run_config(cli, "ann", "check", path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    *problems, summary = result.stderr.strip().splitlines()
    assert all(re.match(rf"{re.escape(str(path))}:\d+: ", p) for p in problems), problems
    assert any(p.startswith(f"{path}:{line}: ") and says in p for p in problems), problems
    assert summary == f"{path}: {len(problems)} problem{'' if len(problems) == 1 else 's'}"
    assert "hunter2" not in result.stderr


def test_check_reports_every_problem_of_a_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("""\
theme = "solarized"
colour = "blue"

[keymap]
"main.flag" = "j"

[[accounts]]
name = "help"
email = "help@acme.example"
shared = true
imap_hots = "imap.acme.example"
imap_port = "993"
password = "s3cr3t-pw"
share = { agents = ["nobody"], roles = ["boss"] }

[[accounts]]
name = "desk"
email = "ann@acme.example"
imap_host = "imap.acme.example"
password_command = "echo x"
security = "tls"
import = "someday"
roles = { Sent = "outbox" }

[modes]
help = "ticket"

[[rules]]
account = "hepl"
name = "r"
kind = "filter"
actions = ["shred"]
""", encoding="utf-8")
    result = run_config(cli, "ann", "check", path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    where = [int(re.match(rf"{re.escape(str(path))}:(\d+): ", x).group(1))  # type: ignore[union-attr]
             for x in lines[:-1]]
    assert where == sorted(where)
    expected = [
        (1, "unknown theme"), (2, 'unknown key "colour"'), (5, '"j" is bound to both'),
        (11, 'did you mean "imap_host"?'),
        (12, 'imap_port in [[accounts]] "help" must be a whole number, not a string'),
        (13, 'a password in clear ("password")'), (14, 'role "boss" in share of "help"'),
        (14, 'unknown agent "nobody" in share of "help"'), (21, "security 'tls'"),
        (22, "import 'someday'"), (23, 'role "outbox" of folder "Sent"'),
        (26, 'the processing mode "ticket"'), (32, "not 'shred'"),
    ]
    for line, needle in expected:
        assert any(x.startswith(f"{path}:{line}: ") and needle in x for x in lines), (
            line, needle, lines)
    assert lines[-1] == f"{path}: {len(lines) - 1} problems"
    assert "s3cr3t-pw" not in result.stderr


def test_a_toml_error_is_one_line_with_its_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "frontdesk-dark"\n[[accounts]\n', encoding="utf-8")
    result = run_config(cli, "ann", "check", path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"{path}:2: not valid TOML")


def test_a_missing_file_says_how_to_start_one(cli: Cli, tmp_path: Path) -> None:
    result = run_config(cli, "ann", "check", tmp_path / "none.toml")
    assert result.returncode == 1
    assert "no such file" in result.stderr and "config export --output" in result.stderr


def dovecot_config(dovecot: DovecotServer, tmp_path: Path, *, check_every: int = 5,
                   extra: str = "") -> str:
    support = secret_file(tmp_path, "support.pw", dovecot.users["support@example.com"])
    alice = secret_file(tmp_path, "alice.pw", dovecot.users["alice@example.com"])
    return f"""\
[[accounts]]
name = "support"
email = "support@example.com"
display_name = "Support"
shared = true
imap_host = "{dovecot.host}"
imap_port = {dovecot.ssl_port}
security = "ssl"
ca_file = "{dovecot.cafile}"
password_command = "cat {support}"
folders = ["INBOX", "Sent"]
roles = {{ Archive = "archive", Junk = "none" }}
check_every = {check_every}
deny = ["spam.example", "pest@example.org"]
signature = "-- \\nThe support team"
share = {{ agents = ["ann", "bob"] }}

[accounts.smtp]
host = "smtp.acme.example"
port = 587
security = "starttls"
password_command = "cat {support}"
reply_to = "support@example.com"

[[accounts]]
name = "alice"
email = "alice@example.com"
shared = true
imap_host = "{dovecot.host}"
imap_port = {dovecot.port}
security = "starttls"
ca_file = "{dovecot.cafile}"
password_command = "cat {alice}"
share = {{ roles = ["agent"], read_only = true }}
{extra}
[modes]
support = "case"

[[rules]]
account = "support"
name = "flag-urgent"
kind = "filter"
actions = ["flag"]
conditions = [ {{ field = "subject", op = "contains", value = "urgent" }} ]
active = true
"""


def test_apply_creates_accounts_and_a_second_apply_changes_nothing(
        cli: Cli, dovecot: DovecotServer, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(dovecot_config(dovecot, tmp_path), encoding="utf-8")
    out = ok(run_config(cli, "ann", "apply", path))
    assert "account support: add (shared account support@example.com on 127.0.0.1)" in out
    assert "account alice: add (shared account alice@example.com on 127.0.0.1)" in out
    assert 'account support: role of "Junk" spam -> none' in out  # the server said \Junk
    assert "account support: deny + spam.example" in out
    assert 'account support: share agents ["ann"] -> ["ann", "bob"]' in out
    assert 'account alice: share roles [] -> ["agent"]' in out
    assert "account support: processing mode none -> case" in out
    assert "rule support/flag-urgent: add (filter, on)" in out
    assert out.endswith(f"{path}: {len(out.splitlines()) - 1} changes applied\n")

    found = accounts(cli)
    assert found["support"]["check_every_minutes"] == 5
    assert found["support"]["sync_folders"] == ["INBOX", "Sent"]
    folders = {f["name"]: f["role"] for f in cli.json("ann", "account", "folders", "support",
                                                       "--no-refresh")}
    assert (folders["Archive"], folders["Junk"]) == ("archive", None)
    access = cli.json("ann", "account", "access", "alice")
    assert {(e["who"], e["access"]) for e in access["entries"]} == {("ann", "act"),
                                                                  ("agent", "read")}
    assert set(accounts(cli, "bob")) == {"support", "alice"}
    blocked = {e["value"] for e in cli.json("ann", "block", "list")}
    assert blocked == {"spam.example", "pest@example.org"}

    before = newest_audit_row(cli)
    again = ok(run_config(cli, "ann", "apply", path))
    assert again == "nothing to change\n"
    assert newest_audit_row(cli) == before  # not one audit row

    cli.ok("ann", "sync", "--once", "--account", "support")  # the password command works

    # A changed value is applied and reported, and nothing else moves.
    path.write_text(dovecot_config(dovecot, tmp_path, check_every=10).replace(
        '"pest@example.org"', '"new@pest.example"'), encoding="utf-8")
    changed = ok(run_config(cli, "ann", "apply", path))
    assert changed.splitlines() == [
        "account support: check_every 5 -> 10",
        "account support: deny + new@pest.example",
        "account support: deny - pest@example.org",
        f"{path}: 3 changes applied",
    ]
    assert accounts(cli)["support"]["check_every_minutes"] == 10


def test_dry_run_prints_the_changes_and_makes_none(cli: Cli, dovecot: DovecotServer,
                                                   tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(dovecot_config(dovecot, tmp_path), encoding="utf-8")
    before = newest_audit_row(cli)
    out = ok(run_config(cli, "ann", "apply", path, "--dry-run"))
    assert "account support: add (shared account support@example.com on 127.0.0.1)" in out
    assert "rule support/flag-urgent: add (filter, on)" in out
    assert out.splitlines()[-1].startswith("dry run: ")
    assert out.splitlines()[-1].endswith(" changes; nothing was changed")
    assert accounts(cli) == {}
    assert newest_audit_row(cli) == before


def test_prune_removes_what_the_file_leaves_out(cli: Cli, tmp_path: Path) -> None:
    assert cli.add("ann", "old", "old@acme.example", "--imap-host", HOST,
                   "--shared").returncode == 0
    assert cli.add("ann", "keep", "keep@acme.example", "--imap-host", HOST,
                   "--shared").returncode == 0
    cli.ok("ann", "rules", "add", "stale", "--account", "keep", "--filter", "--flag")
    path = tmp_path / "config.toml"
    path.write_text(f"""\
[[accounts]]
name = "keep"
email = "keep@acme.example"
shared = true
imap_host = "{HOST}"
password_ref = "stored"
""", encoding="utf-8")
    out = ok(run_config(cli, "ann", "apply", path))
    assert out.splitlines() == [
        "rule keep/stale: not in the config; left alone (--prune removes it)",
        "account old: not in the config; left alone (--prune removes it, and its mail, "
        "from the store)",
        "nothing to change",
    ]
    assert set(accounts(cli)) == {"old", "keep"}

    dry = ok(run_config(cli, "ann", "apply", path, "--prune", "--dry-run"))
    assert "account old: removed with its mail from the store" in dry
    assert set(accounts(cli)) == {"old", "keep"}

    out = ok(run_config(cli, "ann", "apply", path, "--prune"))
    assert out.splitlines() == [
        "rule keep/stale: removed (not in the config)",
        "account old: removed with its mail from the store (not in the config; the server "
        "is untouched)",
        f"{path}: 2 changes applied",
    ]
    assert set(accounts(cli)) == {"keep"}
    assert cli.json("ann", "rules", "list") == []


def test_an_unreachable_server_skips_the_folders_with_a_warning(cli: Cli,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("""\
[[accounts]]
name = "far"
email = "far@acme.example"
shared = true
imap_host = "127.0.0.1"
imap_port = 1
security = "none"
password_command = "echo pw"
roles = { Sent = "sent" }
check_every = 3
""", encoding="utf-8")
    result = run_config(cli, "ann", "apply", path)
    out = ok(result)
    assert "account far: add (shared account far@acme.example on 127.0.0.1)" in out
    assert result.stderr.startswith("warning: account far: cannot read its folders from "
                                    "the server")
    assert "its folders and roles are left as they are" in result.stderr
    assert accounts(cli)["far"]["check_every_minutes"] == 3


def test_what_cannot_be_applied_is_refused_before_anything_changes(
        cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"""\
[[accounts]]
name = "fine"
email = "fine@acme.example"
shared = true
imap_host = "{HOST}"
password_command = "echo pw"

[[accounts]]
name = "new"
email = "new@acme.example"
shared = true
imap_host = "{HOST}"
password_ref = "stored"
""", encoding="utf-8")
    result = run_config(cli, "ann", "apply", path)
    assert result.returncode == 1
    assert result.stdout == ""
    problems = result.stderr.strip().splitlines()
    assert problems[0].startswith(f"{path}:13: ")
    assert "has no stored password to keep" in problems[0]
    assert "password_command" in problems[0] and "frontdesk account add new" in problems[0]
    assert problems[-1] == f"{path}: 1 problem; nothing was applied"
    assert accounts(cli) == {}

    # An agent may not declare store-wide settings, nor shared accounts.
    path.write_text(f"""\
[imap_defaults]
host = "{HOST}"

[[accounts]]
name = "team"
email = "team@acme.example"
shared = true
imap_host = "{HOST}"
password_command = "echo pw"
""", encoding="utf-8")
    result = run_config(cli, "bob", "check", path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"{path}:1: [imap_defaults] is for admins")
    assert lines[1].startswith(f"{path}:7: ") and "only an admin can add a shared" in lines[1]


def test_export_check_apply_round_trip_without_a_secret(cli: Cli, tmp_path: Path) -> None:
    imap_pw, smtp_pw, system_pw = "imap-Secret-1", "smtp-Secret-2", "system-Secret-3"
    cli.ok("ann", "imap", "defaults", "--host", HOST, "--check-every", "4")
    cli.ok("ann", "smtp", "system", "--host", "relay.acme.example", "--password-stdin",
           stdin=f"{system_pw}\n")
    assert cli.add("ann", "help", "help@acme.example", "--imap-host", HOST, "--shared",
                   "--import", "since:2026-01-02").returncode == 0
    cli.ok("ann", "account", "password", "help", "--password-stdin", stdin=f"{imap_pw}\n")
    cli.ok("ann", "account", "smtp", "help", "--host", "smtp.acme.example",
           "--password-stdin", "--reply-to", "help@acme.example", stdin=f"{smtp_pw}\n")
    cli.ok("ann", "account", "share", "help", "--agents", "ann,carol", "--roles", "agent")
    cli.ok("ann", "block", "add", "spam.example", "--account", "help")
    cli.ok("ann", "signature", "set", "--company", "--account", "help", "--stdin",
           stdin="-- \nHelp desk\n")
    cli.ok("ann", "rules", "add", "thanks", "--account", "help", "--respond", "--body",
           "Thanks!", "--if", "subject", "contains", "order", "--enable")
    cli.ok("ann", "rules", "mode", "help", "lead")
    cli.ok("ann", "account", "add", "desk", "--email", "ann@acme.example",
           "--password-command", "cat /run/desk.pw", "--check-every", "8")
    config = tmp_path / "config.toml"
    config.write_text('theme = "frontdesk-light"\n[keymap]\n"app.sync_now" = "S"\n'
                      '"main.flag" = "$"\n', encoding="utf-8")

    exported = ok(run_config(cli, "ann", "export", config))
    for secret in (imap_pw, smtp_pw, system_pw):
        assert secret not in exported
    assert 'theme = "frontdesk-light"' in exported
    assert '"main.flag" = "dollar_sign"' in exported
    # help's IMAP and SMTP passwords, and the system SMTP's
    assert exported.splitlines().count('password_ref = "stored"') == 3
    assert 'password_command = "cat /run/desk.pw"' in exported
    assert 'import = "since:2026-01-02"' in exported
    assert 'share = { agents = ["ann", "carol"], roles = ["agent"], read_only = false }' in (
        exported)
    assert "[[rules]]" in exported and 'help = "lead"' in exported
    assert "imap_host" not in exported.split('name = "desk"')[1].split("[[")[0]  # defaults

    out = tmp_path / "exported.toml"
    written = ok(run_config(cli, "ann", "export", config, "--output", str(out)))
    assert written.startswith(f"wrote {out}: 2 accounts")
    assert out.read_text(encoding="utf-8") == exported
    assert out.stat().st_mode & 0o777 == 0o600

    assert ok(run_config(cli, "ann", "check", out)) == f"{out}: ok, 2 accounts, 1 rule\n"
    before = newest_audit_row(cli)
    assert ok(run_config(cli, "ann", "apply", out)) == "nothing to change\n"
    assert newest_audit_row(cli) == before

    # The console still opens on the exported file.
    from tui.config import load_config

    assert load_config(out).theme == "frontdesk-light"


def test_a_problem_of_shared_is_reported_once(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"""\
[[accounts]]
name = "help"
email = "help@acme.example"
shared = true
imap_host = "{HOST}"
password_command = "echo x"
mirror_drafts = true

[[accounts]]
name = "desk"
email = "ann@acme.example"
shared = false
imap_host = "{HOST}"
password_command = "echo x"
share = {{ agents = ["ann"] }}
""", encoding="utf-8")
    result = run_config(cli, "ann", "check", path)
    assert result.returncode == 1
    *problems, summary = result.stderr.strip().splitlines()
    assert [p for p in problems if "mirror" in p] == [
        f"{path}:7: [[accounts]] \"help\" is shared: shared accounts never mirror drafts; "
        "remove mirror_drafts"], problems
    assert [p.split(": ", 1)[0] for p in problems if "share in" in p] == [f"{path}:15"], (
        problems)
    assert summary == f"{path}: {len(problems)} problem{'' if len(problems) == 1 else 's'}"
