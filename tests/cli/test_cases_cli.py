import json
from pathlib import Path

import pytest

from engine.ingest import Incoming, ingest
from engine.service import LocalService
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import build_team, dated, make_gateway, make_mail


@pytest.fixture
async def store(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """A support@ thread (Jane's question, bob's reply) and a secret in ann's mailbox."""
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        t = await build_team(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as each agent
        ids = {}
        for key, account, raw in (
            ("question", "support", make_mail(
                "Printer on fire", sender='"Doe, Jane" <jane@cust.example>',
                message_id="<q@x>", when=dated(1))),
            ("reply", "support", make_mail(
                "Re: Printer on fire", sender="Bob <support@acme.example>",
                message_id="<r@x>", in_reply_to="<q@x>", when=dated(2))),
            ("secret", "ann-mail", make_mail("Ann only", message_id="<s@x>", when=dated(3))),
        ):
            (ids[key],) = await ingest(service.store, account_id=t.accounts[account],
                                       folder_id=t.inboxes[account], items=[Incoming(raw)])
    finally:
        await service.close()
    return path, ids


def as_bob(frontdesk: Run, db: Path, *args: str):
    return frontdesk("--db", str(db), "--agent", "bob", *args)


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def test_convert_to_case_and_again(frontdesk: Run, store) -> None:
    db, ids = store
    reply = str(ids["reply"])
    assert ok(as_bob(frontdesk, db, "convert", reply, "case")) == (
        f"case C-000001 created from message {reply}\n")
    assert ok(as_bob(frontdesk, db, "convert", reply, "case")) == (
        f"message {reply}'s thread is already case C-000001\n")
    made = json.loads(ok(as_bob(frontdesk, db, "convert", str(ids["question"]), "case",
                                "--json")))
    assert made == {"kind": "case", "id": 1, "label": "C-000001", "created": False}


def test_convert_to_lead(frontdesk: Run, store) -> None:
    db, ids = store
    out = ok(as_bob(frontdesk, db, "convert", str(ids["reply"]), "lead"))
    assert out == f"lead 1 (Jane Doe) created from message {ids['reply']}\n"


def test_convert_refusals_are_one_line_errors(frontdesk: Run, store) -> None:
    db, ids = store
    assert_one_line_error(as_bob(frontdesk, db, "convert", str(ids["reply"]), "ticket"),
                          "choose lead or case")
    assert_one_line_error(as_bob(frontdesk, db, "convert", str(ids["secret"]), "case"),
                          f"message {ids['secret']} not found")


def test_case_list_show_close_reopen(frontdesk: Run, store) -> None:
    db, ids = store
    ok(as_bob(frontdesk, db, "convert", str(ids["reply"]), "case"))

    table = ok(as_bob(frontdesk, db, "case", "list")).splitlines()
    assert table[0].split() == ["NUMBER", "STATUS", "PRIORITY", "ASSIGNEE", "UPDATED",
                                "SUBJECT"]
    assert table[1].split()[:4] == ["C-000001", "open", "normal", "bob"]
    assert table[1].endswith("  Printer on fire")
    (listed,) = json.loads(ok(as_bob(frontdesk, db, "case", "list", "--json")))
    assert (listed["number"], listed["assignee"], listed["subject"]) == (
        "C-000001", "bob", "Printer on fire")
    assert listed["source_message_id"] == ids["question"]

    shown = ok(as_bob(frontdesk, db, "case", "show", "c-1"))
    assert "Case:" in shown and "C-000001" in shown
    assert f"From message: {ids['question']}" in shown
    assert "Threads:" in shown
    # The thread's messages follow, the first one and the reply.
    assert shown.count("Printer on fire") >= 3
    case = json.loads(ok(as_bob(frontdesk, db, "case", "show", "C-000001", "--json")))
    assert case["status"] == "open" and len(case["thread_ids"]) == 1
    assert [m["id"] for m in case["messages"]] == [ids["question"], ids["reply"]]

    assert ok(as_bob(frontdesk, db, "case", "close", "C-000001")) == "case C-000001 is closed\n"
    assert json.loads(ok(as_bob(frontdesk, db, "case", "list", "--status", "open",
                                "--json"))) == []
    closed = json.loads(ok(as_bob(frontdesk, db, "case", "list", "--status", "closed",
                                  "--json")))
    assert [c["number"] for c in closed] == ["C-000001"]
    assert ok(as_bob(frontdesk, db, "case", "reopen", "1")) == "case C-000001 is open\n"


def test_case_errors_are_one_line(frontdesk: Run, store) -> None:
    db, ids = store
    ok(as_bob(frontdesk, db, "convert", str(ids["reply"]), "case"))
    assert_one_line_error(as_bob(frontdesk, db, "case", "show", "banana"), "not a case")
    assert_one_line_error(as_bob(frontdesk, db, "case", "list", "--status", "done"),
                          "open, pending, closed")
    # ann cannot see support@, so bob's case does not exist for her.
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "ann", "case", "close",
                                    "C-000001"), "case C-000001 not found")


def test_case_pending_priority_and_assign(frontdesk: Run, store) -> None:
    db, ids = store
    ok(as_bob(frontdesk, db, "convert", str(ids["reply"]), "case"))
    assert ok(as_bob(frontdesk, db, "case", "pending", "C-1")) == "case C-000001 is pending\n"
    assert ok(as_bob(frontdesk, db, "case", "priority", "C-1", "urgent")) == (
        "case C-000001 has urgent priority\n")
    assert ok(as_bob(frontdesk, db, "case", "assign", "C-1", "carol")) == (
        "case C-000001 is carol's\n")
    (listed,) = json.loads(ok(as_bob(frontdesk, db, "case", "list", "--json")))
    assert (listed["status"], listed["priority"], listed["assignee"]) == (
        "pending", "urgent", "carol")
    # carol now holds it and sees it; ann cannot see support@'s mail, so she cannot have it
    carol = frontdesk("--db", str(db), "--agent", "carol", "case", "show", "C-1")
    assert carol.returncode == 0 and "Assignee:     carol" in carol.stdout
    assert_one_line_error(as_bob(frontdesk, db, "case", "assign", "C-1", "ann"),
                          "ann cannot see the mail of case C-000001",
                          "give them access to its mailbox first")
    assert_one_line_error(as_bob(frontdesk, db, "case", "assign", "C-1", "zed"),
                          "agent 'zed' not found")
    assert_one_line_error(as_bob(frontdesk, db, "case", "priority", "C-1", "asap"),
                          "low, normal, high, urgent")
    assert ok(as_bob(frontdesk, db, "case", "assign", "C-1", "--nobody")) == (
        "case C-000001 has no assignee\n")
    usage = as_bob(frontdesk, db, "case", "assign", "C-1")
    assert usage.returncode == 2 and "AGENT" in usage.stderr


def test_lead_list_and_status(frontdesk: Run, store) -> None:
    db, ids = store
    ok(as_bob(frontdesk, db, "convert", str(ids["reply"]), "lead"))
    table = ok(as_bob(frontdesk, db, "lead", "list")).splitlines()
    assert table[0].split() == ["ID", "STATUS", "CREATED", "NAME", "EMAIL", "COMPANY"]
    assert table[1].split()[:2] == ["1", "new"] and "jane@cust.example" in table[1]
    assert ok(as_bob(frontdesk, db, "lead", "status", "1", "qualified")) == (
        "lead 1 (Jane Doe) is qualified\n")
    (lead,) = json.loads(ok(as_bob(frontdesk, db, "lead", "list", "--json")))
    assert (lead["id"], lead["status"]) == (1, "qualified")
    assert json.loads(ok(as_bob(frontdesk, db, "lead", "list", "--status", "new",
                                "--json"))) == []
    assert_one_line_error(as_bob(frontdesk, db, "lead", "status", "1", "hot"),
                          "new, contacted, qualified, lost, won")
    # ann cannot see support@, so the lead does not exist for her
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "ann", "lead", "status", "1",
                                    "won"), "lead 1 not found")
