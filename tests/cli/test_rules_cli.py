import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.ingest import Incoming, ingest
from engine.service import LocalService
from storage import access, folders
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import build_team, dated, make_gateway, make_mail


@dataclass
class Store:
    path: Path
    ids: dict[str, int]  # subject -> message id, in support's INBOX

    def args(self, agent: str, *rest: str) -> tuple[str, ...]:
        return ("--db", str(self.path), "--agent", agent, *rest)


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    """build_team's store; ann (admin) also works in support, which has an Archive folder
    and three messages in its INBOX."""
    path = tmp_path / "r.db"
    service = await LocalService.open(path)
    try:
        team = await build_team(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
        async with service.store.transaction() as db:
            await access.grant_agent(db, account_id=team.accounts["support"],
                                     agent_id=team.agents["ann"].id, can_act=True,
                                     granted_by=None)
            await folders.insert(db, account_id=team.accounts["support"], name="Archive",
                                 role="archive")
        ids = {}
        for n, (subject, sender) in enumerate((("refund please", "Jane <jane@example.org>"),
                                               ("hello", "x@example.net"),
                                               ("refund again", "pest@spam.example"))):
            [ids[subject]] = await ingest(
                service.store, account_id=team.accounts["support"],
                folder_id=team.inboxes["support"], items=[Incoming(make_mail(
                    subject, sender=sender, message_id=f"<{n}@x>", when=dated(n)))])
    finally:
        await service.close()
    return Store(path, ids)


def ok(result: Any) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return str(result.stdout)


def rules_json(frontdesk: Run, store: Store, *rest: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ok(frontdesk(*store.args(
        "ann", "rules", "list", "--json", *rest))))
    return found


def by_name(frontdesk: Run, store: Store) -> dict[str, dict[str, Any]]:
    return {f"{r['account']}/{r['name']}": r for r in rules_json(frontdesk, store)}


def add(frontdesk: Run, store: Store, *rest: str, agent: str = "ann") -> str:
    return ok(frontdesk(*store.args(agent, "rules", "add", *rest)))


def add_two(frontdesk: Run, store: Store) -> None:
    add(frontdesk, store, "thanks", "--account", "support", "--respond",
        "--if", "subject", "contains", "refund",
        "--body", "Hello {{ message.from_name }}, we got it.")
    add(frontdesk, store, "spam", "--account", "support", "--filter",
        "--if", "from", "any_of", "@spam.example", "--move", "Archive", "--mark-read",
        "--enable")


def test_add_list_show_edit_switch_remove(frontdesk: Run, store: Store) -> None:
    added = add(frontdesk, store, "thanks", "--account", "support", "--respond",
                "--if", "subject", "contains", "refund",
                "--body", "Hello {{ message.from_name }}, we got it.")
    assert added.startswith("added rule ") and "thanks to support (respond, disabled)" in added
    assert "enabled" in add(frontdesk, store, "spam", "--account", "support", "--filter",
                            "--if", "from", "any_of", "@spam.example", "--move", "Archive",
                            "--mark-read", "--enable")

    lines = ok(frontdesk(*store.args("ann", "rules", "list"))).splitlines()
    assert lines[0].split() == ["ID", "ACCOUNT", "NAME", "KIND", "ACTIVE", "CONDITIONS",
                                "ACTION"]
    assert len(lines) == 3
    assert "thanks" in lines[1] and "subject contains 'refund'" in lines[1]
    assert lines[1].rstrip().endswith("answer") and " no " in lines[1]
    assert "from is any of '@spam.example'" in lines[2] and " yes " in lines[2]
    assert lines[2].rstrip().endswith("move to Archive, mark read")

    rules = by_name(frontdesk, store)
    thanks, spam = rules["support/thanks"], rules["support/spam"]
    assert (thanks["kind"], thanks["active"], spam["active"]) == ("respond", False, True)
    assert spam["actions"] == ["move", "mark_read"] and spam["folder"] == "Archive"
    assert thanks["conditions"] == [{"field": "subject", "op": "contains",
                                     "value": "refund", "header": ""}]

    shown = ok(frontdesk(*store.args("bob", "rules", "show", "thanks")))
    assert f"rule {thanks['id']}: thanks" in shown
    assert "conditions:  subject contains 'refund'" in shown
    assert shown.rstrip().endswith("Hello {{ message.from_name }}, we got it.")

    # --if replaces every condition; what is not given stays.
    edited = ok(frontdesk(*store.args(
        "ann", "rules", "edit", "thanks", "--if-header", "X-Priority", "equals", "1",
        "--if", "to", "contains", "support", "--subject", "About {{ message.subject }}")))
    assert f"updated rule {thanks['id']} thanks of support (respond, disabled)" in edited
    after = by_name(frontdesk, store)["support/thanks"]
    assert after["conditions"] == [
        {"field": "header", "op": "equals", "value": "1", "header": "X-Priority"},
        {"field": "to", "op": "contains", "value": "support", "header": ""}]
    assert after["subject"] == "About {{ message.subject }}"
    assert after["body"] == thanks["body"] and after["period_days"] == 4
    shown = ok(frontdesk(*store.args("ann", "rules", "show", str(thanks["id"]))))
    assert "header X-Priority equals '1'" in shown and "and  to contains 'support'" in shown

    ok(frontdesk(*store.args("ann", "rules", "edit", "thanks", "--clear-conditions",
                             "--period-days", "9", "--html")))
    after = by_name(frontdesk, store)["support/thanks"]
    assert (after["conditions"], after["period_days"], after["format"]) == ([], 9, "html")

    # An action option replaces every action; a rename keeps the id.
    ok(frontdesk(*store.args("ann", "rules", "edit", "spam", "--flag", "--rename", "junk")))
    junk = by_name(frontdesk, store)["support/junk"]
    assert (junk["id"], junk["actions"], junk["folder"], junk["active"]) == (
        spam["id"], ["flag"], "", True)

    switched = ok(frontdesk(*store.args("ann", "rules", "enable", "thanks")))
    assert switched.startswith(f"enabled rule {thanks['id']} thanks of support")
    assert by_name(frontdesk, store)["support/thanks"]["active"] is True
    ok(frontdesk(*store.args("ann", "rules", "disable", str(thanks["id"]))))
    assert by_name(frontdesk, store)["support/thanks"]["active"] is False

    # Turning a response into a filter drops its text.
    ok(frontdesk(*store.args("ann", "rules", "edit", "thanks", "--filter", "--block")))
    turned = by_name(frontdesk, store)["support/thanks"]
    assert (turned["kind"], turned["actions"], turned["body"], turned["subject"]) == (
        "filter", ["block"], "", "")

    removed = ok(frontdesk(*store.args("ann", "rules", "remove", "junk")))
    assert removed == f"removed rule {spam['id']} junk of support\n"
    assert list(by_name(frontdesk, store)) == ["support/thanks"]


def test_body_from_stdin_and_save_as(frontdesk_in: Run, frontdesk: Run, store: Store) -> None:
    ok(frontdesk_in(*store.args("ann", "rules", "add", "thanks", "--account", "support",
                                "--respond", "--body-file", "-", "--save-as", "thanks.v1"),
                    stdin="Dear {{ customer.name }},\nthanks.\n"))
    rule = by_name(frontdesk, store)["support/thanks"]
    assert (rule["template"], rule["body"]) == ("thanks.v1", "Dear {{ customer.name }},\n"
                                                "thanks.\n")
    assert ok(frontdesk(*store.args("ann", "template", "show", "thanks.v1"))) == rule["body"]
    # Editing something else keeps the template.
    ok(frontdesk(*store.args("ann", "rules", "edit", "thanks", "--period-days", "2")))
    after = by_name(frontdesk, store)["support/thanks"]
    assert (after["template"], after["period_days"]) == ("thanks.v1", 2)


def test_rule_by_name_or_id(frontdesk: Run, store: Store) -> None:
    add(frontdesk, store, "thanks", "--account", "support", "--filter", "--flag")
    add(frontdesk, store, "thanks", "--account", "ann-mail", "--filter", "--mark-read")
    add(frontdesk, store, "2026", "--account", "support", "--filter", "--flag")
    rules = by_name(frontdesk, store)

    def show(*rest: str) -> Any:
        return frontdesk(*store.args("ann", "rules", "show", *rest))

    assert_one_line_error(show("thanks"), "several mailboxes (ann-mail, support)",
                          "--account")
    assert f"rule {rules['ann-mail/thanks']['id']}: thanks" in ok(
        show("thanks", "--account", "ann-mail"))
    assert "actions:     flag" in ok(show(str(rules["support/thanks"]["id"])))
    assert "rule 2026: " not in ok(show("2026")) and ": 2026" in ok(show("2026"))
    assert_one_line_error(show("999"), "rule 999 not found")
    assert_one_line_error(show("nope"), "no rule named 'nope'")
    assert_one_line_error(show("nope", "--account", "support"),
                          "no rule named 'nope' in the mailbox support")
    assert_one_line_error(show(str(rules["support/thanks"]["id"]), "--account", "ann-mail"),
                          "is in the mailbox support, not ann-mail")
    # The ambiguity refuses a change too: both rules stay.
    assert_one_line_error(frontdesk(*store.args("ann", "rules", "remove", "thanks")),
                          "several mailboxes")
    assert len(rules_json(frontdesk, store)) == 3
    # Bob may not see ann-mail: for him the name is support's alone.
    assert "mailbox:     support" in ok(frontdesk(*store.args("bob", "rules", "show",
                                                             "thanks")))


@pytest.mark.parametrize(("options", "needles"), [
    (("--filter", "--flag", "--if", "sender", "contains", "x"),
     ("unknown condition field 'sender'",)),
    (("--filter", "--flag", "--if", "subject", "resembles", "x"),
     ("unknown operator 'resembles'",)),
    (("--filter", "--flag", "--if", "subject", "regex", "(unclosed"),
     ("not a valid regex",)),
    (("--filter", "--flag", "--if", "header", "equals", "1"), ("header's name",)),
    (("--respond", "--template", "missing"), ("no template named 'missing'",)),
    (("--respond", "--body", "{{ oops"), ("rule r",)),
    (("--respond",), ("needs its text",)),
    (("--filter",), ("a filter needs an action",)),
    (("--filter", "--move", "Nowhere"), ("no folder 'Nowhere'",)),
    (("--respond", "--body", "hi", "--period-days", "0"), ("1 to 365 days",)),
    (("--respond", "--body", "hi", "--flag"), ("are for filters",)),
])
def test_bad_rules_are_one_line_errors(frontdesk: Run, store: Store,
                                       options: tuple[str, ...],
                                       needles: tuple[str, ...]) -> None:
    result = frontdesk(*store.args("ann", "rules", "add", "r", "--account", "support",
                                   *options))
    assert_one_line_error(result, *needles)
    assert rules_json(frontdesk, store) == []


def test_refusals(frontdesk: Run, store: Store) -> None:
    assert_one_line_error(frontdesk(*store.args(
        "bob", "rules", "add", "r", "--account", "support", "--filter", "--flag")),
        "only an admin")
    assert_one_line_error(frontdesk(*store.args(
        "carol", "rules", "add", "r", "--account", "sales", "--filter", "--flag")),
        "no account named 'sales'")
    add(frontdesk, store, "mine", "--account", "ann-mail", "--filter", "--flag")
    assert_one_line_error(frontdesk(*store.args("bob", "rules", "remove", "mine")),
                          "no rule named 'mine'")
    assert_one_line_error(frontdesk(*store.args("ann", "rules", "test")),
                          "test a saved RULE")
    assert len(rules_json(frontdesk, store)) == 1


def test_dry_run_lists_matches_and_what_would_fire(frontdesk: Run, store: Store) -> None:
    add_two(frontdesk, store)
    out = ok(frontdesk(*store.args("ann", "rules", "test", "thanks", "--show-response")))
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "DATE", "FROM", "SUBJECT", "MATCH", "WOULD", "FIRE",
                                "DETAIL"]
    rows = {int(line.split()[0]): line for line in lines[1:4]}
    assert set(rows) == set(store.ids.values())
    refund, hello = rows[store.ids["refund please"]], rows[store.ids["hello"]]
    assert "jane@example.org" in refund and " yes    yes " in refund
    assert "answer jane@example.org: Re: refund please" in refund
    assert " no     no " in hello and "no match: subject contains 'refund' does not hold" in hello
    assert "3 messages tested: 2 match, 2 would fire" in out
    assert (f"== message {store.ids['refund please']}: to jane@example.org, subject Re: "
            "refund please\nHello Jane, we got it.") in out

    # Nothing was written or sent by the dry run.
    why = frontdesk(*store.args("ann", "rules", "why", str(store.ids["refund please"])))
    assert ok(why) == "" and "have not acted" in why.stderr

    tested = json.loads(ok(frontdesk(*store.args("ann", "rules", "test", "spam", "--last",
                                                 "2", "--json"))))
    assert [(t["message_id"], t["matched"], t["fired"]) for t in tested] == [
        (store.ids["refund again"], True, True), (store.ids["hello"], False, False)]
    assert tested[0]["detail"] == "mark read, move to Archive"

    # A rule written only on the command line: nothing is saved.
    unsaved = json.loads(ok(frontdesk(*store.args(
        "bob", "rules", "test", "--account", "support", "--filter", "--flag",
        "--if", "subject", "equals", "hello", "--json"))))
    assert [t["message_id"] for t in unsaved if t["fired"]] == [store.ids["hello"]]
    assert len(rules_json(frontdesk, store)) == 2

    # A saved rule with edit options tested: the edit is tried, not saved.
    edited = json.loads(ok(frontdesk(*store.args(
        "ann", "rules", "test", "thanks", "--if", "subject", "contains", "hello", "--json"))))
    assert [t["message_id"] for t in edited if t["matched"]] == [store.ids["hello"]]
    assert by_name(frontdesk, store)["support/thanks"]["conditions"][0]["value"] == "refund"


def test_dry_run_of_a_rule_answering_with_a_template(frontdesk_in: Run, frontdesk: Run,
                                                     store: Store) -> None:
    ok(frontdesk_in(*store.args("ann", "template", "add", "sorry", "--stdin"),
                    stdin="Sorry, {{ message.from_name }}."))
    add(frontdesk, store, "t", "--account", "support", "--respond", "--template", "sorry",
        "--if", "from", "equals", "jane@example.org")
    tested = json.loads(ok(frontdesk(*store.args("ann", "rules", "test", "t", "--json"))))
    [fired] = [t for t in tested if t["fired"]]
    assert fired["response_text"] == "Sorry, Jane."


def test_run_needs_yes_and_why_shows_outcomes(frontdesk: Run, store: Store) -> None:
    add_two(frontdesk, store)
    ok(frontdesk(*store.args("ann", "rules", "enable", "thanks")))
    refused = frontdesk(*store.args("ann", "rules", "run", "--account", "support",
                                    "--last", "10"))
    assert_one_line_error(refused, "add --yes")
    assert ok(frontdesk(*store.args("ann", "rules", "why",
                                    str(store.ids["refund please"])))) == ""

    ran = frontdesk(*store.args("ann", "rules", "run", "--account", "support", "--last",
                                "10", "--yes"))
    out = ok(ran)
    lines = out.splitlines()
    assert lines[0].split() == ["MESSAGE", "NAME", "SOURCE", "MATCHED", "FIRED", "DETAIL"]
    [answered] = [line for line in lines if "answer jane@example.org" in line]
    assert answered.split()[:5] == [str(store.ids["refund please"]), "thanks", "respond",
                                    "yes", "yes"]
    assert "applied the active rules of support" in ran.stderr

    why = ok(frontdesk(*store.args("bob", "rules", "why", str(store.ids["refund please"]))))
    lines = why.splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "MATCHED", "FIRED", "DETAIL"]
    assert lines[1].split()[:4] == ["spam", "filter", "no", "no"]
    assert lines[2].split()[:4] == ["thanks", "respond", "yes", "yes"]
    assert "answer jane@example.org" in lines[2]
    outcomes = json.loads(ok(frontdesk(*store.args(
        "ann", "rules", "why", str(store.ids["refund again"]), "--json"))))
    assert [(o["name"], o["source"], o["fired"]) for o in outcomes] == [
        ("spam", "filter", True), ("thanks", "respond", True)]
    assert outcomes[0]["detail"] == "mark read, move to Archive"
    assert_one_line_error(frontdesk(*store.args("carol", "rules", "why", "4242")),
                          "message 4242 not found")
    assert_one_line_error(frontdesk(*store.args("bob", "rules", "run", "--account",
                                                "support", "--last", "5", "--yes")),
                          "only an admin")


def test_processing_mode(frontdesk: Run, store: Store) -> None:
    def mode(*rest: str, agent: str = "ann") -> Any:
        return frontdesk(*store.args(agent, "rules", "mode", "support", *rest))

    assert ok(mode(agent="bob")) == "none\n"
    assert ok(mode("case")) == "processing mode of support: set to case\n"
    assert ok(mode("case")) == "processing mode of support: already case\n"
    assert ok(mode(agent="carol")) == "case\n"
    assert_one_line_error(mode("ticket"), "none, lead, case", "'ticket'")
    assert_one_line_error(mode("lead", agent="bob"), "only an admin")
    assert ok(mode()) == "case\n"


def test_export_import_round_trip(frontdesk_in: Run, frontdesk: Run, store: Store,
                                  tmp_path: Path) -> None:
    ok(frontdesk_in(*store.args("ann", "template", "add", "sorry", "--stdin"),
                    stdin="Sorry."))
    body = 'Dear "{{ message.from_name }}",\n\ta \\ backslash, café ✓\n\n'
    ok(frontdesk_in(*store.args(
        "ann", "rules", "add", "thanks", "--account", "support", "--respond",
        "--body-file", "-", "--html", "--subject", "Re: {{ message.subject }}",
        "--period-days", "7", "--if", "subject", "contains", 'say "hi"',
        "--if-header", "X-Priority", "equals", "1", "--enable"), stdin=body))
    add(frontdesk, store, "tpl", "--account", "support", "--respond", "--template", "sorry",
        "--if", "body", "any_of", "a,\nb")
    add(frontdesk, store, "spam", "--account", "support", "--filter", "--move", "Archive",
        "--block", "--if", "has_attachment", "equals", "no")
    add(frontdesk, store, "flag", "--account", "ann-mail", "--filter", "--flag")
    ok(frontdesk(*store.args("ann", "rules", "mode", "support", "case")))
    before = {k: {f: v for f, v in r.items() if f not in ("id", "enabled_at", "updated_at")}
              for k, r in by_name(frontdesk, store).items()}
    assert before["support/thanks"]["body"] == body

    exported = ok(frontdesk(*store.args("ann", "rules", "export")))
    data = tomllib.loads(exported)
    assert [m["account"] for m in data["mailbox"]] == ["ann-mail", "support"]
    assert data["mailbox"][1]["mode"] == "case"
    assert [r["name"] for r in data["mailbox"][1]["rule"]] == ["thanks", "tpl", "spam"]
    assert data["mailbox"][1]["rule"][0]["body"] == body
    assert data["mailbox"][1]["rule"][1]["template"] == "sorry"
    file = tmp_path / "rules.toml"
    file.write_text(exported, encoding="utf-8")

    same = ok(frontdesk(*store.args("ann", "rules", "import", str(file), "--check")))
    assert "0 to add, 0 to change, 4 unchanged; nothing was changed" in same

    for key in before:
        account, name = key.split("/")
        ok(frontdesk(*store.args("ann", "rules", "remove", name, "--account", account)))
    ok(frontdesk(*store.args("ann", "rules", "mode", "support", "none")))

    checked = ok(frontdesk(*store.args("ann", "rules", "import", str(file), "--check")))
    assert "would add rule support/thanks" in checked
    assert "would set the processing mode of support to case (now none)" in checked
    assert "4 to add, 0 to change, 0 unchanged" in checked
    assert rules_json(frontdesk, store) == []
    assert ok(frontdesk(*store.args("ann", "rules", "mode", "support"))) == "none\n"

    imported = ok(frontdesk(*store.args("ann", "rules", "import", str(file))))
    assert "4 added, 0 changed, 0 unchanged" in imported
    after = {k: {f: v for f, v in r.items() if f not in ("id", "enabled_at", "updated_at")}
             for k, r in by_name(frontdesk, store).items()}
    assert after == before
    assert ok(frontdesk(*store.args("ann", "rules", "export"))) == exported
    assert ok(frontdesk(*store.args("ann", "rules", "export", "--account", "ann-mail"))) == (
        "# frontdesk rules: load with `frontdesk rules import FILE`\n\n"
        '[[mailbox]]\naccount = "ann-mail"\nmode = "none"\n\n'
        '[[mailbox.rule]]\nname = "flag"\nkind = "filter"\nactive = false\n'
        'conditions = []\nactions = ["flag"]\n')


def test_import_updates_by_name_and_reads_stdin(frontdesk_in: Run, frontdesk: Run,
                                                store: Store) -> None:
    add_two(frontdesk, store)
    old = by_name(frontdesk, store)
    text = """
[[mailbox]]
account = "support"

[[mailbox.rule]]
name = "spam"
kind = "filter"
conditions = [ { field = "from", op = "ends_with", value = "@spam.example" } ]
actions = ["flag"]

[[mailbox.rule]]
name = "new"
kind = "respond"
body = "Thanks."
"""
    checked = ok(frontdesk_in(*store.args("ann", "rules", "import", "-", "--check"),
                              stdin=text))
    assert f"would change rule support/spam ({old['support/spam']['id']})" in checked
    assert "would add rule support/new" in checked
    assert by_name(frontdesk, store) == old

    done = ok(frontdesk_in(*store.args("ann", "rules", "import", "-"), stdin=text))
    assert f"changed rule {old['support/spam']['id']} support/spam" in done
    assert "standard input: 1 added, 1 changed, 0 unchanged" in done
    rules = by_name(frontdesk, store)
    spam = rules["support/spam"]
    assert (spam["id"], spam["actions"], spam["folder"], spam["active"]) == (
        old["support/spam"]["id"], ["flag"], "", True)  # active stays when not given
    assert spam["conditions"][0]["op"] == "ends_with"
    assert (rules["support/new"]["active"], rules["support/new"]["body"]) == (False,
                                                                            "Thanks.")
    assert rules["support/thanks"] == old["support/thanks"]  # not named: left alone


RULE = '[[mailbox]]\naccount = "support"\n[[mailbox.rule]]\nname = "r"\n'


@pytest.mark.parametrize(("text", "needles"), [
    ("[[mailbox]\n", ("not valid TOML",)),
    ('version = 1\n', ("the top level", "unknown key 'version'")),
    ('[mailbox]\naccount = "support"\n', ("'mailbox' must be a list, not a table",)),
    ('[[mailbox]]\nmode = "case"\n', ("mailbox 1", "missing key 'account'")),
    ('[[mailbox]]\naccount = "support"\nmode = "ticket"\n', ("mailbox 1 (support)",
                                                            "'mode'")),
    (RULE + 'kind = "filter"\nactoins = ["flag"]\n', ("rule 1 (r)", "unknown key 'actoins'")),
    (RULE + 'kind = "respond"\nbody = "x"\nperiod_days = "4"\n',
     ("'period_days' must be a whole number, not a string",)),
    (RULE + 'kind = "filter"\nactions = ["flag"]\nactive = "yes"\n',
     ("'active' must be true or false",)),
    (RULE + 'kind = "forward"\n', ("'kind' is respond or filter",)),
    ('[[mailbox]]\naccount = "support"\n[[mailbox.rule]]\nkind = "filter"\n',
     ("rule 1", "missing key 'name'")),
    (RULE + 'kind = "filter"\nactions = ["flag"]\n'
     'conditions = [ { field = "subject", op = "like", value = "x" } ]\n',
     ("rule 1 (r), condition 1", "unknown operator 'like'")),
    (RULE + 'kind = "filter"\nactions = ["flag"]\n'
     'conditions = [ { field = "subject", op = "equals", valeu = "x" } ]\n',
     ("condition 1", "unknown key 'valeu'")),
    (RULE + 'kind = "filter"\nactions = ["shred"]\n', ("not 'shred'",)),
    (RULE + 'kind = "respond"\ntemplate = "missing"\n', ("no template named 'missing'",)),
    (RULE + 'kind = "respond"\nbody = "{{ oops"\n', ("rule 1 (r)",)),
    (RULE + 'kind = "filter"\nactions = ["flag"]\n[[mailbox.rule]]\nname = "r"\n'
     'kind = "filter"\nactions = ["flag"]\n', ("rule 2 (r)", "in the file already")),
    ('[[mailbox]]\naccount = "nowhere"\n', ("mailbox 1 (nowhere)",
                                             "no account named 'nowhere'")),
])
def test_bad_import_files(frontdesk: Run, store: Store, tmp_path: Path, text: str,
                          needles: tuple[str, ...]) -> None:
    file = tmp_path / "bad.toml"
    file.write_text(text, encoding="utf-8")
    for check in ((), ("--check",)):
        result = frontdesk(*store.args("ann", "rules", "import", str(file), *check))
        assert_one_line_error(result, f"frontdesk: {file}: ", *needles)
    assert rules_json(frontdesk, store) == []


@pytest.mark.parametrize("bad", [
    'kind = "respond"\ntemplate = "missing"\n',
    'kind = "filter"\nactions = ["flag"]\nconditions = [ { field = "to", op = "regex", '
    'value = "[" } ]\n',
])
def test_nothing_changes_before_the_whole_file_is_checked(
    frontdesk: Run, store: Store, tmp_path: Path, bad: str
) -> None:
    file = tmp_path / "half.toml"
    file.write_text('[[mailbox]]\naccount = "support"\nmode = "lead"\n'
                    '[[mailbox.rule]]\nname = "good"\nkind = "filter"\nactions = ["flag"]\n'
                    '[[mailbox.rule]]\nname = "bad"\n' + bad, encoding="utf-8")
    assert_one_line_error(frontdesk(*store.args("ann", "rules", "import", str(file))),
                          "mailbox 1 (support), rule 2 (bad)")
    assert rules_json(frontdesk, store) == []
    assert ok(frontdesk(*store.args("ann", "rules", "mode", "support"))) == "none\n"


def test_import_of_a_missing_file(frontdesk: Run, store: Store, tmp_path: Path) -> None:
    assert_one_line_error(frontdesk(*store.args("ann", "rules", "import",
                                                str(tmp_path / "none.toml"))),
                          "cannot read", "none.toml")


def test_usage(frontdesk: Run, store: Store) -> None:
    result = frontdesk("rules", "--help")
    assert result.returncode == 0
    for action in ("list", "show", "add", "edit", "test", "run", "why", "mode", "import",
                   "export"):
        assert action in result.stdout
    result = frontdesk(*store.args("ann", "rules", "add", "r", "--account", "support"))
    assert result.returncode == 2 and "--respond" in result.stderr
    result = frontdesk(*store.args("ann", "rules", "add", "r", "--account", "support",
                                   "--filter", "--if", "subject", "contains"))
    assert result.returncode == 2 and "expected 3 arguments" in result.stderr
