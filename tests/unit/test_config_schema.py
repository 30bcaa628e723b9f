"""config.toml read without the store: what it declares, and every problem in it, each
with the path the locator turns into a line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.config import ConfigError, load_config
from tui.config_file.locator import Locator
from tui.config_file.problems import Problem, render
from tui.config_file.schema import POP3, read_config

GOOD = """\
theme = "frontdesk-light"

[options]
threads = true

[keymap]
"list.down" = ["x", "down"]

[imap_defaults]
host = "imap.acme.example"
check_every = 4

[smtp]
host = "relay.acme.example"
password_ref = "stored"

[[accounts]]
name = "support"
email = "support@acme.example"
display_name = "Support desk"
shared = true
imap_host = " imap.acme.example "
imap_port = 993
security = "ssl"
password_command = " pass show support "
folders = ["INBOX", " Sent ", ""]
roles = { Sent = "sent", Junk = "None", Spam = "SPAM" }
import = "since:2026-01-02"
check_every = 10
write_read_status = false
deny = ["Spam.Example", "pest@example.org", "spam.example"]
signature = "-- \\nSupport"
share = { agents = ["ann", "bob", "ann"], read_only = true }

[accounts.smtp]
host = "smtp.acme.example"
port = 587
auth = false
reply_to = "support@acme.example"

[[accounts]]
name = "desk"
email = "ann@acme.example"
oauth = "microsoft"
mirror_drafts = true
smtp = { system = true }

[modes]
support = "case"

[[rules]]
account = "support"
name = "thanks"
kind = "respond"
body = "Thanks."

[[rules]]
account = "desk"
name = "flag"
kind = "filter"
actions = ["flag"]
active = true
conditions = [ { field = "Subject", op = "contains", value = "urgent" } ]
"""


def test_a_good_file_declares_everything() -> None:
    declared, problems = read_config(GOOD)
    assert problems == []
    support, desk = declared.accounts
    assert support.plain == {
        "display_name": "Support desk", "email": "support@acme.example",
        "imap_host": "imap.acme.example", "imap_port": 993, "security": "ssl",
        "password_command": "pass show support", "check_every": 10,
        "import": ("since", "2026-01-02"), "write_read_status": False,
    }
    assert support.folders == ("INBOX", "Sent")
    assert support.roles == {"Sent": "sent", "Junk": None, "Spam": "spam"}
    assert support.deny == ("spam.example", "pest@example.org")
    assert support.signature == "-- \nSupport"
    assert support.share is not None
    assert (support.share.agents, support.share.roles, support.share.read_only) == (
        ("ann", "bob"), None, True)
    assert support.smtp is not None
    assert (support.smtp.host, support.smtp.port, support.smtp.auth,
            support.smtp.reply_to) == ("smtp.acme.example", 587, False, "support@acme.example")
    spec = support.spec()
    assert (spec.name, spec.imap_host, spec.imap_port, spec.shared, spec.import_mode,
            spec.import_since, spec.folders, spec.check_every_minutes,
            spec.write_read_status, spec.password_command) == (
        "support", "imap.acme.example", 993, True, "since", "2026-01-02",
        ("INBOX", "Sent"), 10, False, "pass show support")
    assert (desk.oauth, desk.mirror_drafts, desk.smtp and desk.smtp.use_system) == (
        "microsoft", True, True)
    assert declared.imap_defaults is not None
    assert (declared.imap_defaults.host, declared.imap_defaults.check_every,
            declared.imap_defaults.port) == ("imap.acme.example", 4, None)
    assert declared.system_smtp is not None and declared.system_smtp.password_ref
    assert [(m.account, m.mode) for m in declared.modes] == [("support", "case")]
    rules = {(r.rule.account, r.rule.name): r for r in declared.rules}
    assert rules[("support", "thanks")].active is None  # not given: kept as it is
    flag = rules[("desk", "flag")]
    assert (flag.active, flag.rule.conditions[0].field) == (True, "subject")


def test_the_console_reads_a_file_that_declares_the_setup(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(GOOD, encoding="utf-8")
    config = load_config(path)
    assert (config.theme, config.options.threads, config.keymap) == (
        "frontdesk-light", True, {"list.down": "x,down"})
    path.write_text(GOOD + "\n[mailbox]\naccount = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r'unknown key "mailbox"; allowed: .*\[\[accounts'):
        load_config(path)


def problems_of(text: str) -> list[str]:
    return render(read_config(text)[1], "config.toml", Locator(text))


ACCOUNT = "[[accounts]]\nname = 'a'\nemail = 'a@acme.example'\nimap_host = 'h'\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("colour = 1\n", ['config.toml:1: unknown key "colour" at the top level; the keys are: '
                      "theme, options, keymap, imap_defaults, smtp, accounts, rules, modes"]),
    ("accounts = 3\n", ["config.toml:1: accounts at the top level must be a list of tables, "
                        "not a whole number; e.g. accounts = [[...]] tables"]),
    ("[options]\nhtml = 'yes'\n", ["config.toml:2: html in [options] must be true or "
                                   "false, not a string; e.g. html = true"]),
    ("[imap_defaults]\nhots = 'x'\n", ['config.toml:2: unknown key "hots" in '
                                       '[imap_defaults]; did you mean "host"?']),
    ("[imap_defaults]\nsecurity = 'tls'\n", [
        "config.toml:2: [imap_defaults]: security 'tls': choose ssl, starttls or none"]),
    ("[smtp]\nhost = 'h'\npassword_command = 'x'\nreply_to = 'x@y.z'\n", [
        'config.toml:4: unknown key "reply_to" in [smtp]; the keys are: host, port, '
        "security, username, password_command, password_ref, auth, ca_file, verify_cert"]),
    ("[smtp]\nhost = 'h'\n", [
        'config.toml:1: [smtp] says no SMTP password: give password_command = "CMD" (a '
        'command that prints it), password_ref = "stored" to keep the one stored, or '
        "auth = false"]),
    ("[smtp]\nhost = 'h'\nauth = false\npassword_command = 'x'\n", [
        "config.toml:4: [smtp] has auth = false: it takes no password_command; remove one "
        "of the two"]),
    ("[smtp]\nport = 25\nauth = false\n", [
        "config.toml:1: [smtp] needs host (the SMTP server); or, for an account, system = "
        "true to send through the system SMTP"]),
    (ACCOUNT + "password_command = 'x'\nsmtp = { system = true, host = 'h' }\n", [
        'config.toml:6: [accounts.smtp] of "a" sends through the system SMTP (system = '
        "true): host belong to the system SMTP, in [smtp]; remove them"]),
    (ACCOUNT + "password_command = 'x'\npassword_ref = 'stored'\n", [
        'config.toml:6: [[accounts]] "a" gives password_command and password_ref; keep one '
        "way to log in"]),
    (ACCOUNT, ['config.toml:1: [[accounts]] "a" says no password: give password_command = '
               '"CMD" (a command that prints it), password_ref = "stored" to keep the one '
               'stored, or oauth = "microsoft" or "google"']),
    (ACCOUNT + "password_command = ' '\n", [
        'config.toml:5: password_command in [[accounts]] "a" is empty; give a command that '
        "prints the password"]),
    (ACCOUNT + "password_command = 'x'\nfolders = [' ']\n", [
        'config.toml:6: [[accounts]] "a": folders needs at least one folder name']),
    (ACCOUNT + "password_command = 'x'\nca_file = '/no/such.pem'\n", [
        'config.toml:6: [[accounts]] "a": ca_file /no/such.pem: no such file']),
    (ACCOUNT + "password_command = 'x'\ncheck_every = 0\n", [
        'config.toml:6: [[accounts]] "a": the check interval must be at least 1 minute']),
    ("[[accounts]]\nname = 'a'\nemail = 'nobody'\nimap_host = 'h'\npassword_command = 'x'\n",
     ["config.toml:3: [[accounts]] \"a\": email 'nobody' is not an email address"]),
    (ACCOUNT + "password_command = 'x'\nshared = true\nmirror_drafts = true\n", [
        'config.toml:7: [[accounts]] "a" is shared: shared accounts never mirror drafts; '
        "remove mirror_drafts"]),
    (ACCOUNT + "password_command = 'x'\nshared = false\nshare = { agents = ['b'] }\n", [
        'config.toml:7: share in [[accounts]] "a": it is a personal account (shared = '
        "false); its owner grants access with `frontdesk account grant`"]),
    (ACCOUNT + "password_command = 'x'\nshared = true\nshare = { read_only = true }\n", [
        'config.toml:7: share of "a" names nobody; give agents, roles or both']),
    (ACCOUNT + "password_command = 'x'\nroles = { Junk = 'spam', Spam = 'spam' }\n", [
        'config.toml:6: [[accounts]] "a" gives the role spam to "Junk" and "Spam"; a role '
        "goes to one folder"]),
    (ACCOUNT + "password_command = 'x'\ndeny = ['no domain']\n", [
        "config.toml:6: deny of [[accounts]] \"a\": 'no domain' is not a domain: give one "
        "like example.com"]),
    (ACCOUNT + "password_command = 'x'\n" + ACCOUNT + "password_command = 'y'\n", [
        'config.toml:7: [[accounts]] "a" is declared twice; rename or remove one']),
    ("[[accounts]]\nemail = 'a@acme.example'\npassword_command = 'x'\n", [
        "config.toml:1: [[accounts]] #1 has no name; every account needs name and email"]),
    ("[modes]\na = 3\n", ['config.toml:2: the processing mode a whole number of "a" in '
                          "[modes] is not known; choose none, lead, case"]),
    ("[[rules]]\nname = 'r'\nkind = 'filter'\nactions = ['flag']\n", [
        "config.toml:1: [[rules]] #1 names no account; give account = NAME, the account the "
        "rule belongs to"]),
    ("[[rules]]\naccount = 'a'\nname = 'r'\nkind = 'filter'\nactions = ['flag']\n"
     "conditions = [{ field = 'subject', opp = 'contains' }]\n", [
         "config.toml:6: condition 1 of [[rules]] \"a/r\": unknown key 'opp'; did you mean "
         '"op"?',
         "config.toml:6: condition 1 of [[rules]] \"a/r\": missing key 'op'"]),
    ("[[rules]]\naccount = 'a'\nname = 'r'\nkind = 'respond'\nperiod_days = 0\nbody = 'x'\n",
     ["config.toml:5: [[rules]] \"a/r\": 'period_days' is 1 to 365"]),
    ("[[rules]]\naccount = 'a'\nname = 'r'\nkind = 'filter'\nactions = ['flag']\n" * 2, [
        'config.toml:8: [[rules]] "a/r" is in the file twice; rename or remove one']),
    ('[keymap]\n"list.down" = 5\n', [
        'config.toml:2: [keymap] "list.down" must be a string of keys, e.g. "j,down"']),
    ('[keymap]\n"list.down" = "ctrl+"\n"main.flag" = "j"\n', [
        'config.toml:2: [keymap]: "list.down" = "ctrl+" is not a key; use Textual key names '
        'such as "j", "G", "ctrl+d", "down", "enter", "dollar_sign" or "$"',
        'config.toml:3: [keymap]: "j" is bound to both main.flag and list.down; choose '
        "another key"]),
])
def test_problems_name_their_line_and_what_to_do(text: str, expected: list[str]) -> None:
    assert problems_of(text) == expected


@pytest.mark.parametrize("text", [
    "password = 'hunter2-secret'\n",
    "[smtp]\nhost = 'h'\nsmtp_password = 'hunter2-secret'\n",
    "[imap_defaults]\nsecret = 'hunter2-secret'\n",
    ACCOUNT + "imap_password = 'hunter2-secret'\n",
    ACCOUNT + "password_ref = 'hunter2-secret'\n",
    ACCOUNT + "password_command = 'x'\nsmtp = { host = 'h', pass = 'hunter2-secret' }\n",
    ACCOUNT + "password_command = 'x'\nshared = true\n"
    "share = { agents = ['a'], token = 'hunter2-secret' }\n",
])
def test_a_password_in_clear_is_refused_and_never_repeated(text: str) -> None:
    found = problems_of(text)
    assert found
    assert any("password_command" in line for line in found)
    assert not any("hunter2" in line for line in found)
    secret_line = next(n for n, line in enumerate(text.splitlines(), 1) if "hunter2" in line)
    assert any(line.startswith(f"config.toml:{secret_line}: ") for line in found)


def test_every_problem_of_a_file_is_reported_in_line_order() -> None:
    text = ("theme = 'nope'\n" + ACCOUNT + "imap_port = 0\nsecurity = 'x'\n"
            "import = 'x'\npassword = 'pw'\nroles = { Sent = 'sentt' }\n")
    lines = [int(line.split(":")[1]) for line in problems_of(text)]
    assert lines == [1, 6, 7, 8, 9, 10]


def test_a_toml_error_names_its_line() -> None:
    declared, problems = read_config('theme = "x"\n\n[[accounts]\n')
    assert declared.accounts == ()
    (problem,) = problems
    assert problem.line == 3
    assert problem.text.startswith("not valid TOML (")


def test_render_sorts_problems_and_keeps_one_line_each() -> None:
    text = "a = 1\n\n[t]\nb = 2\n"
    lines = render([Problem(("t", "b"), "second\nline"), Problem(("a",), "first"),
                    Problem((), "at the start", line=1)], "f.toml", Locator(text))
    assert lines == ["f.toml:1: first", "f.toml:1: at the start", "f.toml:4: second line"]


@pytest.mark.skipif(not POP3, reason="the engine has no POP3 accounts")
def test_pop3_accounts_name_their_server_with_pop3_keys() -> None:
    text = ("[[accounts]]\nname = 'p'\nemail = 'p@acme.example'\nprotocol = 'pop3'\n"
            "pop3_host = 'pop.acme.example'\npop3_port = 995\npassword_command = 'x'\n"
            "delete_after_import = true\n")
    declared, problems = read_config(text)
    assert problems == []
    spec = declared.accounts[0].spec()
    assert (spec.protocol, spec.imap_host, spec.imap_port, spec.delete_after_import) == (
        "pop3", "pop.acme.example", 995, True)
    wrong = problems_of(text.replace("pop3_host", "imap_host"))
    assert wrong[0].startswith("config.toml:5: imap_host in [[accounts]] \"p\": this is a "
                               "POP3 account; name its server with pop3_host")


def test_the_documented_example_is_a_valid_file() -> None:
    import tui.config_file

    doc = tui.config_file.__doc__ or ""
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    # The CA bundle it names is not on this machine.
    text = "\n".join(line for line in example.splitlines() if not line.startswith("ca_file"))
    declared, problems = read_config(text)
    assert problems == []
    assert [a.name for a in declared.accounts] == ["support"]
    assert declared.accounts[0].signature == "-- \nThe support team"
    assert [r.rule.name for r in declared.rules] == ["thanks"]
