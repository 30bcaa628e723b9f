"""`frontdesk reply|send|drafts|outbox` and the SMTP settings commands, on a store
without servers: what is queued, what is refused, and where secrets go."""

import json
from pathlib import Path

import pytest

from engine.ingest import Incoming, ingest
from engine.service import LocalService
from tests.cli.conftest import Run
from tests.cli.test_cli import assert_one_line_error
from tests.store_factory import build_team, dated, make_gateway, make_mail


@pytest.fixture
async def store(tmp_path: Path) -> tuple[Path, int]:
    """A question from Jane in support@ (which bob and carol may see)."""
    path = tmp_path / "s.db"
    service = await LocalService.open(path)
    try:
        t = await build_team(service.store)
        await make_gateway(service.store)  # the tests' OS user acts as bob, carol, ann
        (question,) = await ingest(
            service.store, account_id=t.accounts["support"], folder_id=t.inboxes["support"],
            items=[Incoming(make_mail("Printer on fire", sender='"Doe, Jane" <jane@cust.example>',
                                      message_id="<q@cust.example>", when=dated(1)))])
    finally:
        await service.close()
    return path, question


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def test_reply_queues_in_the_outbox_and_draft_saves(frontdesk: Run, store,
                                                    tmp_path: Path) -> None:
    db, question = store
    text = tmp_path / "reply.txt"
    text.write_text("On our way.\n", encoding="utf-8")
    out = ok(frontdesk("--db", str(db), "--agent", "bob", "reply", str(question),
                       "--body-file", str(text), "--json"))
    sent = json.loads(out)
    assert sent["state"] == "queued" and sent["account"] == "support"
    assert sent["to"] == ['"Doe, Jane" <jane@cust.example>']
    assert sent["subject"] == "Re: Printer on fire"
    assert sent["in_reply_to"] == "<q@cust.example>"
    assert sent["body"].startswith("On our way.\n")
    assert "> " in sent["body"]  # the quoted original follows
    [listed] = json.loads(ok(frontdesk("--db", str(db), "--agent", "bob", "outbox", "--json")))
    assert listed["id"] == sent["id"]
    # carol's outbox is her own
    assert json.loads(ok(frontdesk("--db", str(db), "--agent", "carol", "outbox",
                                   "--json"))) == []

    ok(frontdesk("--db", str(db), "--agent", "bob", "reply", str(question), "--body-file",
                 str(text), "--draft"))
    table = ok(frontdesk("--db", str(db), "--agent", "bob", "drafts")).splitlines()
    assert table[0].split()[:3] == ["ID", "FROM", "TO"] and "Re: Printer on fire" in table[1]


def test_send_needs_an_account_and_good_addresses(frontdesk: Run, store,
                                                  tmp_path: Path) -> None:
    db, _ = store
    text = tmp_path / "note.txt"
    text.write_text("Hello.\n", encoding="utf-8")
    base = ("--db", str(db), "--agent", "bob", "send", "--subject", "Hi", "--body-file",
            str(text))
    assert_one_line_error(frontdesk(*base, "--to", "jane@cust.example"),
                          "choose the account to send from (--from NAME)")
    assert_one_line_error(frontdesk(*base, "--to", "not an address", "--from", "support"),
                          "not an email address")
    assert_one_line_error(frontdesk(*base, "--to", "jane@cust.example", "--from", "ann-mail"),
                          "no account named 'ann-mail'")
    assert ok(frontdesk("--db", str(db), "--agent", "bob", "account", "main", "bob-mail")) == (
        "new mail goes out from bob-mail\n")
    sent = json.loads(ok(frontdesk(*base, "--to", "jane@cust.example", "--cc",
                                   "boss@cust.example", "--json")))
    assert (sent["account"], sent["to"], sent["cc"]) == (
        "bob-mail", ["jane@cust.example"], ["boss@cust.example"])
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "send", "--to",
                                    "jane@cust.example", "--subject", "x", "--body-file",
                                    str(tmp_path / "missing.txt")), "cannot read")


def test_smtp_settings_keep_the_password_encrypted(frontdesk_in: Run, frontdesk: Run,
                                                   store) -> None:
    db, _ = store
    secret = "hunter2-correct-horse"
    out = ok(frontdesk_in("--db", str(db), "--agent", "bob", "account", "smtp", "bob-mail",
                          "--host", "smtp.acme.example", "--password-stdin",
                          stdin=secret + "\n"))
    assert out.startswith("bob-mail sends through smtp.acme.example:587 (starttls, "
                          "stored password)")
    assert secret.encode() not in db.read_bytes()
    wal = db.with_name(db.name + "-wal")
    assert not wal.exists() or secret.encode() not in wal.read_bytes()
    config = json.loads(ok(frontdesk("--db", str(db), "--agent", "bob", "account", "smtp",
                                     "bob-mail", "--host", "smtp.acme.example", "--port",
                                     "465", "--security", "ssl", "--no-auth", "--json")))
    assert (config["port"], config["security"], config["auth"], config["has_password"]) == (
        465, "ssl", False, False)
    # another agent's personal mailbox, shared ones for admins, the system SMTP for admins
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "carol", "account", "smtp",
                                    "bob-mail", "--host", "h"), "no account named 'bob-mail'")
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "smtp", "system",
                                    "--host", "h", "--no-auth"), "only an admin")
    ok(frontdesk("--db", str(db), "--agent", "ann", "smtp", "system", "--host",
                 "relay.acme.example", "--no-auth"))
    assert ok(frontdesk("--db", str(db), "--agent", "ann", "account", "smtp", "ann-mail",
                        "--system")).startswith("ann-mail sends through the system SMTP")
    assert_one_line_error(frontdesk("--db", str(db), "--agent", "bob", "account", "smtp",
                                    "bob-mail"), "--host is needed")
    usage = frontdesk("--db", str(db), "--agent", "bob", "account", "smtp", "bob-mail",
                      "--host", "h", "--no-auth", "--password-command", "pass smtp")
    assert usage.returncode == 2 and "not allowed with" in usage.stderr
