"""What `config apply` decides to change, against a store read by hand: pure logic, with a
recording stand-in for the Service (the real one is driven in tests/cli)."""

from __future__ import annotations

from typing import Any

from engine.models import (
    AccessEntry,
    AccountAccess,
    AccountSettings,
    Agent,
    BlockEntry,
    SmtpConfig,
)
from tui.config_file.apply import Applier, shown, smtp_differences, stored_setting
from tui.config_file.current import Current
from tui.config_file.schema import SmtpDecl, read_config

ANN = Agent(id=1, name="ann", os_user=None, display_name="Ann", email="ann@acme.example",
            role="admin", active=True)


def settings(name: str, **given: Any) -> AccountSettings:
    values: dict[str, Any] = dict(
        id=7, name=name, display_name=name, email=f"{name}@acme.example", kind="shared",
        owner_agent_id=None, imap_host="imap.acme.example", imap_port=None,
        imap_security=None, imap_username=f"{name}@acme.example", verify_cert=True,
        ca_file=None, password_command=None, check_every_minutes=5, import_mode="all",
        import_since=None, mark_read_on_import=False, write_read_status=True,
        sync_folders=("INBOX",), enabled=True, last_sync_at=None, last_error=None,
        last_error_at=None, auth_failed=False, has_password=True)
    values.update(given)
    return AccountSettings(**values)


def smtp(**given: Any) -> SmtpConfig:
    values: dict[str, Any] = dict(
        account_id=7, host="smtp.acme.example", port=587, security="starttls", auth=True,
        username=None, password_command=None, ca_file=None, verify_cert=True,
        use_system=False, reply_to="", server_saves_sent=False, has_password=True)
    values.update(given)
    return SmtpConfig(**values)


def current(*accounts: AccountSettings, **given: Any) -> Current:
    values: dict[str, Any] = dict(
        agent=ANN, agents={"ann": ANN}, managed={a.name: a for a in accounts},
        visible=frozenset(a.name for a in accounts), smtp={}, access={}, blocks=(),
        signatures=(), rules=(), modes={}, templates=frozenset(), imap_defaults=None,
        system_smtp=None, addresses=frozenset())
    values.update(given)
    return Current(**values)


class Recorder:
    """Records every Service call made; reads answer from `folders`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args[1:], kwargs))  # args[0] is the agent
            return [] if name == "account_folders" else None

        return call


async def apply(text: str, store: Current, *, dry_run: bool = False, prune: bool = False
                ) -> tuple[list[str], Recorder]:
    declared, problems = read_config(text)
    assert problems == []
    said: list[str] = []
    recorder = Recorder()
    await Applier(recorder, store, declared, dry_run=dry_run, prune=prune,  # type: ignore[arg-type]
                  say=said.append, warn=said.append).run()
    return said, recorder


HELP = """\
[[accounts]]
name = "help"
email = "help@acme.example"
shared = true
imap_host = "imap.acme.example"
password_ref = "stored"
"""


async def test_the_same_settings_change_nothing() -> None:
    said, recorder = await apply(HELP + "check_every = 5\nenabled = true\n",
                                 current(settings("help")))
    assert said == []
    assert recorder.calls == []


async def test_changed_settings_make_one_change_call() -> None:
    said, recorder = await apply(
        HELP + "check_every = 10\ndisplay_name = 'Help'\nimport = 'since:2026-02-03'\n",
        current(settings("help")))
    assert said == ['account help: display_name "help" -> "Help"',
                    "account help: check_every 5 -> 10",
                    'account help: import "all" -> "since:2026-02-03"']
    ((name, args, _),) = recorder.calls
    assert name == "change_account"
    change = args[1]
    assert (change.check_every_minutes, change.display_name, change.import_mode,
            change.import_since, change.email) == (10, "Help", "since", "2026-02-03", None)


async def test_a_password_command_is_never_shown() -> None:
    said, recorder = await apply(
        HELP.replace('password_ref = "stored"', "password_command = 'pass show new'"),
        current(settings("help", password_command="pass show old")))
    assert said == ["account help: password_command changed"]
    assert recorder.calls[0][1][1].password_command == "pass show new"
    said, recorder = await apply(HELP, current(settings("help", password_command="cmd")))
    assert said == ["account help: password_command removed (the stored password is used)"]
    assert recorder.calls[0][1][1].password_command == ""


async def test_a_dry_run_calls_nothing_that_changes_the_store() -> None:
    text = HELP + "deny = ['a.example']\nshare = { roles = ['agent'] }\n" + """
[[accounts]]
name = "new"
email = "new@acme.example"
shared = true
imap_host = "imap.acme.example"
password_command = "x"
"""
    said, recorder = await apply(text, current(settings("help")), dry_run=True)
    assert said == ["account help: deny + a.example",
                    'account help: share roles [] -> ["agent"]',
                    "account new: add (shared account new@acme.example on imap.acme.example)"]
    assert recorder.calls == []


async def test_deny_list_and_share_are_made_equal() -> None:
    store = current(
        settings("help"),
        blocks=(BlockEntry(id=3, account_id=7, account="help", kind="domain",
                           value="old.example", created_by=1, created_at=""),
                BlockEntry(id=4, account_id=7, account="help", kind="domain",
                           value="keep.example", created_by=1, created_at="")),
        access={"help": AccountAccess(
            account="help", kind="shared", label="help", email="help@acme.example",
            owner=None, entries=(AccessEntry("ann", "agent", "act"),
                                 AccessEntry("agent", "role", "act")))})
    said, recorder = await apply(
        HELP + "deny = ['keep.example', 'new@x.example']\n"
        "share = { agents = ['ann'], roles = ['agent'], read_only = true }\n", store)
    assert said == ["account help: deny + new@x.example", "account help: deny - old.example",
                    "account help: share read_only false -> true"]
    assert [(c[0], c[1]) for c in recorder.calls] == [
        ("block", ("address", "new@x.example")), ("unblock", (3,)), ("share_account", ("help",))]
    assert recorder.calls[2][2] == {"agent_names": ("ann",), "roles": ("agent",),
                                    "can_act": False}


async def test_what_the_file_leaves_out_is_listed_or_pruned() -> None:
    store = current(settings("help"), settings("old", id=8))
    said, recorder = await apply(HELP, store)
    assert said == ["account old: not in the config; left alone (--prune removes it, and "
                    "its mail, from the store)"]
    assert recorder.calls == []
    said, recorder = await apply(HELP, store, prune=True)
    assert recorder.calls == [("remove_account", ("old",), {})]


def test_smtp_differences_compare_what_configure_would_store() -> None:
    want = SmtpDecl(path=(), host="smtp.acme.example", password_ref=True)
    assert smtp_differences(want, smtp(), system=False) == []  # port 587 from starttls
    assert smtp_differences(want, None, system=True) == [("", None, None)]
    assert smtp_differences(want, smtp(host=None), system=False) == [("", None, None)]
    moved = SmtpDecl(path=(), host="smtp.acme.example", port=465, security="ssl",
                     password_command="pass show x")
    assert smtp_differences(moved, smtp(), system=False) == [
        ("port", 587, 465), ("security", "starttls", "ssl"),
        ("login", "stored password", "password_command")]
    other = SmtpDecl(path=(), host="smtp.acme.example", password_command="new")
    found = smtp_differences(other, smtp(password_command="old"), system=False)
    assert found == [("password_command", "old", "new")]
    system = SmtpDecl(path=(), use_system=True, reply_to="r@acme.example")
    assert smtp_differences(system, smtp(), system=False) == [
        ("system", False, True), ("reply_to", "", "r@acme.example")]


def test_values_are_shown_as_the_file_writes_them() -> None:
    assert [shown(v) for v in (None, True, 5, "a", ("INBOX", "Sent"))] == [
        "(none)", "true", "5", '"a"', '["INBOX", "Sent"]']


def test_settings_taken_from_the_defaults_are_not_the_accounts_own() -> None:
    account = settings("desk", kind="personal", imap_host="imap.acme.example",
                       imap_port=993, imap_security="ssl",
                       inherited=("imap_host", "imap_port", "imap_security"))
    assert [stored_setting(account, k) for k in ("imap_host", "imap_port", "security",
                                                 "check_every", "import")] == [
        None, None, None, 5, ("all", None)]


async def test_a_new_account_declared_off_is_added_then_switched_off() -> None:
    said, recorder = await apply(HELP.replace('password_ref = "stored"',
                                              "password_command = 'x'\nenabled = false"),
                                 current())
    assert said == ["account help: add (shared account help@acme.example on "
                    "imap.acme.example)", "account help: enabled true -> false"]
    assert [c[0] for c in recorder.calls] == ["add_account", "change_account"]
    spec = recorder.calls[0][1][0]
    assert (spec.name, spec.shared, spec.password_command) == ("help", True, "x")
    assert recorder.calls[0][1][1] is None  # no password given, ever
