"""Rules on arrival against the real Dovecot and a real SMTP server (aiosmtpd): what
arrives is matched, answered, moved, flagged or converted; loops and old mail are left
alone, and every decision can be read back ("Why?")."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

import engine.sync.account as sync_account
from engine.errors import InvalidInputError
from engine.models import Agent, OutOfOfficeSpec, Rule, RuleCondition, SmtpChange
from engine.service import LocalService
from tests.integration.sync_support import Item, mail, open_service, spec_for
from tests.servers import smtp as smtp_servers
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import Received, SmtpServer

pytestmark = pytest.mark.integration
BOB = "bob@example.com"
SUPPORT = "support@example.com"
CARLA = "carla@customer.example"

smtp_server_factory = smtp_servers.smtp_server_factory


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(BOB)
    dovecot.reset_user(SUPPORT)
    return dovecot


@pytest.fixture
def smtp(smtp_server_factory: Any) -> SmtpServer:
    return smtp_server_factory("none")


def message(subject: str, *, sender: str = CARLA, to: str = BOB, body: str = "Hello.",
            return_path: str | None = None, headers: Sequence[tuple[str, str]] = (),
            cc: str = "", attachment: bool = False) -> bytes:
    """Mail as a delivering MTA leaves it: Return-Path first (the sender, by default)."""
    msg = EmailMessage()
    msg["Return-Path"] = f"<{sender if return_path is None else return_path}>"
    msg["From"] = sender
    msg["To"] = to
    if cc:
        msg["Cc"] = cc
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="customer.example")
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    if attachment:
        msg.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                           filename="invoice.pdf")
    return bytes(msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


async def mailbox(server: DovecotServer, smtp: SmtpServer, tmp: Path, *, user: str = BOB,
                  name: str = "bob", old: Sequence[bytes] = ()
                  ) -> tuple[LocalService, Agent]:
    """A store with `user`'s mailbox (and `old` mail in it, imported by the first sync),
    sending through `smtp`."""
    if old:
        server.append_messages(user, [Item(raw) for raw in old])
    await asyncio.to_thread(tmp.mkdir, parents=True, exist_ok=True)
    service, agent = await open_service(tmp)
    await service.add_account(agent, spec_for(server, user, name=name,
                                              folders=("INBOX", "Sent", "Archive")),
                              server.users[user])
    await service.configure_smtp(agent, name, SmtpChange(
        host=smtp.host, port=smtp.port, security="none", no_auth=True))
    await synced(service, agent)
    return service, agent


async def synced(service: LocalService, agent: Agent) -> None:
    for result in await service.sync(agent):
        assert result.error is None, result.error


async def arrive(server: DovecotServer, service: LocalService, agent: Agent,
                 raws: Sequence[bytes], user: str = BOB) -> dict[str, int]:
    """Deliver mail to `user`'s INBOX now and sync; the store ids by subject."""
    server.append_messages(user, [Item(raw, when=datetime.now(UTC)) for raw in raws])
    await synced(service, agent)
    rows = await service.store.reader.fetchall("SELECT id, subject FROM messages")
    return {r["subject"]: r["id"] for r in rows}


def rule(name: str, *conditions: tuple[str, str, str], kind: str = "respond",
         account: str = "bob", header: str = "", **values: Any) -> Rule:
    made = tuple(RuleCondition(f, op, v, header if f == "header" else "")
                 for f, op, v in conditions)
    if kind == "respond":
        values.setdefault("body", "We got your mail about {{ message.subject }}.")
    return Rule(id=0, account_id=0, account=account, name=name, kind=kind, active=True,
                position=0, conditions=made, **values)


def parsed(got: Received) -> Any:
    return BytesParser(policy=policy.default).parsebytes(got.raw)


async def why(service: LocalService, agent: Agent, message_id: int) -> dict[str, Any]:
    return {o.name: o for o in await service.rule_outcomes(agent, message_id)}


async def test_first_import_answers_nothing_and_new_mail_is_answered_once(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    old = [message(f"Old question {n}") for n in range(3)]
    server.append_messages(BOB, [Item(raw) for raw in old])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(server, BOB, folders=("INBOX", "Sent")),
                                  server.users[BOB])
        await service.configure_smtp(agent, "bob", SmtpChange(
            host=smtp.host, port=smtp.port, security="none", no_auth=True))
        # On before the first sync: the years of mail it imports still trigger nothing.
        await service.save_rule(agent, rule("thanks"))
        await synced(service, agent)
        assert smtp.received == []
        ids = await arrive(server, service, agent, [])
        for n in range(3):
            assert await service.rule_outcomes(agent, ids[f"Old question {n}"]) == []

        ids = await arrive(server, service, agent, [message("Where is my order?")])
        [got] = smtp.received
        sent = parsed(got)
        assert got.recipients == (CARLA,) and got.sender == BOB
        assert sent["Auto-Submitted"] == "auto-replied"
        assert sent["X-Auto-Response-Suppress"] == "All"
        assert sent["Subject"] == "Re: Where is my order?"
        assert "We got your mail about Where is my order?." in sent.get_content()
        original = (await service.open_message(agent, ids["Where is my order?"]))
        question_id = dict(original.headers).get("Message-ID") or ""
        assert sent["In-Reply-To"] and sent["In-Reply-To"] in sent["References"]
        assert question_id in ("", sent["In-Reply-To"])
        outcome = (await why(service, agent, ids["Where is my order?"]))["thanks"]
        assert outcome.fired and outcome.outgoing_id is not None
        # Filed in Sent, on the server too, like any reply.
        await synced(service, agent)
        sent_rows = await service.store.reader.fetchall(
            "SELECT m.message_id FROM messages m JOIN folders f ON f.id = m.folder_id "
            "WHERE f.name = 'Sent'")
        assert [r[0] for r in sent_rows] == [sent["Message-ID"]]
        assert len(smtp.received) == 1
    finally:
        await service.close()


OPERATOR_CASES: list[tuple[str, tuple[str, str, str], set[str]]] = [
    ("from-contains", ("from", "contains", "vip.example"), {"A"}),
    ("from-not-contains", ("from", "not_contains", "vip.example"), {"B", "C", "D"}),
    ("subject-equals", ("subject", "equals", "refund please"), {"B"}),
    ("subject-starts", ("subject", "starts_with", "urgent"), {"A"}),
    ("subject-ends", ("subject", "ends_with", "order 42"), {"C"}),
    ("body-regex", ("body", "matches regex", r"order\s+#?\d{4}"), {"D"}),
    ("from-any-of", ("from", "is any of", "nobody@x.example, @shop.example"), {"C"}),
    ("to-contains", ("to", "contains", "support@"), {"B"}),
    ("cc-equals", ("cc", "equals", "boss@customer.example"), {"D"}),
    ("header", ("header", "equals", "1"), {"A"}),
    ("attachment", ("has_attachment", "equals", "yes"), {"C"}),
    ("account", ("account", "equals", BOB), {"A", "B", "C", "D"}),
]


async def test_each_operator_and_field_matches_what_it_says(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        for name, condition, _ in OPERATOR_CASES:
            await service.save_rule(agent, rule(name, condition, kind="filter",
                                                actions=("flag",), header="X-Priority"))
        ids = await arrive(server, service, agent, [
            message("Urgent: printer", sender="Ann <ann@vip.example>",
                    headers=[("X-Priority", "1")]),
            message("Refund please", to=f"{BOB}, {SUPPORT}"),
            message("About ORDER 42", sender="shop@shop.example", attachment=True),
            message("Status", body="Where is order #1234?", cc="boss@customer.example"),
        ])
        subjects = {"A": "Urgent: printer", "B": "Refund please", "C": "About ORDER 42",
                    "D": "Status"}
        for name, _, expected in OPERATOR_CASES:
            matched = {key for key, subject in subjects.items()
                       if (await why(service, agent, ids[subject]))[name].matched}
            assert matched == expected, name
        # A flag goes to the server: every message matched some rule.
        flagged = await server_flags(server, BOB, "INBOX")
        assert all("\\Flagged" in flags for flags in flagged.values()) and len(flagged) == 4
    finally:
        await service.close()


async def server_flags(server: DovecotServer, user: str, folder: str) -> dict[str, set[str]]:
    def read() -> dict[str, set[str]]:
        client = server.connect(user)
        try:
            client.select_folder(folder, readonly=True)
            found = client.fetch(client.search("ALL"), ["FLAGS", "ENVELOPE"])
            return {v[b"ENVELOPE"].subject.decode(): {f.decode() for f in v[b"FLAGS"]}
                    - {"\\Recent"} for v in found.values()}
        finally:
            client.logout()

    return await asyncio.to_thread(read)


async def test_conditions_are_anded_within_a_rule_and_ored_across_rules(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        both = ("subject", "contains", "invoice"), ("from", "ends_with", "@acme.example")
        await service.save_rule(agent, rule("both", *both, kind="filter", actions=("flag",)))
        await service.save_rule(agent, rule("either-1", both[0], kind="filter",
                                            actions=("mark_read",)))
        await service.save_rule(agent, rule("either-2", both[1], kind="filter",
                                            actions=("mark_read",)))
        ids = await arrive(server, service, agent, [
            message("Invoice 7", sender="ap@acme.example"),
            message("Invoice 8", sender="ap@other.example"),
            message("Hello", sender="hi@acme.example"),
            message("Hello again", sender="hi@other.example"),
        ])
        flags = await server_flags(server, BOB, "INBOX")
        assert {s for s, f in flags.items() if "\\Flagged" in f} == {"Invoice 7"}
        assert {s for s, f in flags.items() if "\\Seen" in f} == {
            "Invoice 7", "Invoice 8", "Hello"}
        outcome = (await why(service, agent, ids["Invoice 8"]))["both"]
        assert not outcome.matched and "from ends_with" not in outcome.detail
        assert "from ends with '@acme.example' does not hold" in outcome.detail
    finally:
        await service.close()


LOOP_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("auto-submitted", {"headers": [("Auto-Submitted", "auto-replied")]}, "Auto-Submitted"),
    ("auto-generated", {"headers": [("Auto-Submitted", "auto-generated")]}, "Auto-Submitted"),
    ("precedence-bulk", {"headers": [("Precedence", "bulk")]}, "Precedence: bulk"),
    ("precedence-list", {"headers": [("Precedence", "list")]}, "Precedence: list"),
    ("precedence-junk", {"headers": [("Precedence", "junk")]}, "Precedence: junk"),
    ("list-id", {"headers": [("List-Id", "<news.customer.example>")]}, "List-Id"),
    ("list-unsubscribe", {"headers": [("List-Unsubscribe", "<mailto:u@x.example>")]},
     "List-Unsubscribe"),
    ("x-loop", {"headers": [("X-Loop", "helpdesk@customer.example")]}, "X-Loop"),
    ("suppress", {"headers": [("X-Auto-Response-Suppress", "OOF, AutoReply")]},
     "X-Auto-Response-Suppress"),
    ("empty-return-path", {"return_path": ""}, "empty Return-Path"),
    ("mailer-daemon", {"sender": "MAILER-DAEMON@customer.example"}, "system address"),
    ("postmaster", {"sender": "postmaster@customer.example"}, "system address"),
    ("request", {"sender": "news-request@customer.example"}, "-request"),
    ("owner", {"sender": "owner-news@customer.example"}, "list owner"),
    ("ourselves", {"sender": SUPPORT}, "our own addresses"),
    ("not-addressed", {"to": "everyone@customer.example"}, "not addressed to this mailbox"),
]


async def test_every_loop_protection_case_suppresses_and_says_why(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        # support@ is one of the store's mailboxes: its mail is ours.
        await service.add_account(agent, spec_for(server, SUPPORT, name="support"),
                                  server.users[SUPPORT])
        await service.save_rule(agent, rule("thanks"))
        raws = []
        for n, (label, changes, _) in enumerate(LOOP_CASES):
            values = {"sender": f"person{n}@customer.example", **changes}
            raws.append(message(f"case {label}", **values))
        raws.append(message("case plain", sender="plain@customer.example"))
        ids = await arrive(server, service, agent, raws)
        assert [r.recipients for r in smtp.received] == [("plain@customer.example",)]
        for label, _, reason in LOOP_CASES:
            outcome = (await why(service, agent, ids[f"case {label}"]))["thanks"]
            assert outcome.matched and not outcome.fired, label
            assert outcome.detail.startswith("not answered: ") and reason in outcome.detail, (
                label, outcome.detail)
    finally:
        await service.close()


async def test_a_second_mail_from_the_same_sender_waits_for_the_period(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        await service.save_rule(agent, rule("thanks", period_days=4))
        await arrive(server, service, agent, [message("First")])
        ids = await arrive(server, service, agent, [message("Second"),
                                                    message("Other", sender="d@x.example")])
        assert [r.recipients for r in smtp.received] == [(CARLA,), ("d@x.example",)]
        detail = (await why(service, agent, ids["Second"]))["thanks"].detail
        assert "was answered by this rule" in detail and "4 days" in detail
    finally:
        await service.close()


class Relay:
    """The world between two frontdesk installations: what one sends lands in the other's
    INBOX, with the Return-Path an MTA adds."""

    def __init__(self, server: DovecotServer, smtp: SmtpServer) -> None:
        self.server, self.smtp, self.done = server, smtp, 0

    def deliver(self) -> int:
        fresh = self.smtp.received[self.done:]
        self.done = len(self.smtp.received)
        for got in fresh:
            for to in got.recipients:
                raw = f"Return-Path: <{got.sender}>\r\n".encode() + got.raw
                self.server.append_messages(to, [Item(raw, when=datetime.now(UTC))])
        return len(fresh)


async def test_two_mailboxes_answering_each_other_stop_after_one_exchange(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Two separate stores (two companies' helpdesks), each answering everything."""
    bob, bob_agent = await mailbox(server, smtp, tmp_path / "one")
    support, support_agent = await mailbox(server, smtp, tmp_path / "two", user=SUPPORT,
                                           name="support")
    relay = Relay(server, smtp)
    try:
        await bob.save_rule(bob_agent, rule("answer-all", account="bob"))
        await support.save_rule(support_agent, rule("answer-all", account="support"))
        # A person at support writes to bob by hand.
        server.append_messages(BOB, [Item(message("Hello bob", sender=SUPPORT),
                                          when=datetime.now(UTC))])
        for _ in range(4):
            await synced(bob, bob_agent)
            relay.deliver()
            await synced(support, support_agent)
            relay.deliver()
        assert [(r.sender, r.recipients) for r in smtp.received] == [(BOB, (SUPPORT,))]
        rows = await support.store.reader.fetchall("SELECT m.id FROM messages m JOIN folders f"
                                                   " ON f.id = m.folder_id WHERE f.role = "
                                                   "'inbox'")
        [answer] = [r["id"] for r in rows]
        detail = (await why(support, support_agent, answer))["answer-all"].detail
        assert "Auto-Submitted" in detail
    finally:
        await bob.close()
        await support.close()


async def test_out_of_office_answers_each_sender_once_per_absence(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        await service.set_out_of_office(agent, OutOfOfficeSpec(
            starts="2020-01-01", ends="2099-12-31", subject="Away: {{ message.subject }}",
            body="{{ agent.display_name or agent.name }} is away."))
        await arrive(server, service, agent, [message("One")])
        ids = await arrive(server, service, agent, [message("Two"),
                                                    message("Three", sender="d@x.example")])
        assert [(r.recipients, parsed(r)["Subject"]) for r in smtp.received] == [
            ((CARLA,), "Away: One"), (("d@x.example",), "Away: Three")]
        assert parsed(smtp.received[0])["Auto-Submitted"] == "auto-replied"
        [(name, outcome)] = (await why(service, agent, ids["Two"])).items()
        assert name.startswith("out of office") and not outcome.fired
        assert "once per absence" in outcome.detail
        # A new absence is a new period.
        await service.set_out_of_office(agent, OutOfOfficeSpec(
            starts="2020-01-01", ends="2099-12-30", body="Still away."))
        await arrive(server, service, agent, [message("Four")])
        assert [r.recipients for r in smtp.received][-1] == (CARLA,)
        assert len(smtp.received) == 3
        assert await service.clear_out_of_office(agent)
        await arrive(server, service, agent, [message("Five", sender="e@x.example")])
        assert len(smtp.received) == 3
    finally:
        await service.close()


async def test_a_move_filter_moves_the_message_on_the_server(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        await service.save_rule(agent, rule("newsletters", ("subject", "contains", "digest"),
                                            kind="filter", actions=("move", "mark_read"),
                                            folder="Archive"))
        ids = await arrive(server, service, agent, [message("Weekly digest"),
                                                    message("A question")])
        assert set(await server_flags(server, BOB, "INBOX")) == {"A question"}
        archived = await server_flags(server, BOB, "Archive")
        assert archived == {"Weekly digest": {"\\Seen"}}
        row = await service.store.reader.fetchone(
            "SELECT f.name, m.seen, m.uid FROM messages m JOIN folders f ON f.id = m.folder_id"
            " WHERE m.id = ?", (ids["Weekly digest"],))
        assert (row[0], row[1]) == ("Archive", 1) and row[2] is not None
        # Synced again: still one copy, in Archive.
        await synced(service, agent)
        count = await service.store.reader.scalar(
            "SELECT count(*) FROM messages WHERE subject = 'Weekly digest'")
        assert count == 1
    finally:
        await service.close()


async def test_processing_mode_converts_new_threads_and_replies_join_them(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        assert await service.set_processing_mode(agent, "bob", "case")
        first = message("Broken login")
        mid = BytesParser(policy=policy.default).parsebytes(first)["Message-ID"]
        ids = await arrive(server, service, agent, [first])
        [case] = await service.list_cases(agent, status=None)
        assert case.subject == "Broken login" and case.assignee_id is None
        reply = mail("Re: Broken login", sender=CARLA, to=BOB, body="Still broken.")
        reply = reply.replace(b"\r\n\r\n", f"\r\nIn-Reply-To: {mid}\r\nReferences: {mid}"
                              "\r\n\r\n".encode(), 1)
        ids = await arrive(server, service, agent, [reply])
        assert len(await service.list_cases(agent, status=None)) == 1
        outcomes = await service.rule_outcomes(agent, ids["Re: Broken login"])
        assert [o.fired for o in outcomes] == [False]
        assert "not the first message of its thread" in outcomes[0].detail
    finally:
        await service.close()


async def test_the_dry_run_matches_what_the_live_rule_then_does(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    old = [message("Refund for order 1", sender="a@x.example"),
           message("Refund again", sender="a@x.example"),
           message("Invoice", sender="b@x.example"),
           message("Refund, list", sender="c@x.example", headers=[("List-Id", "<l.x>")]),
           message("refund please", sender="d@x.example")]
    service, agent = await mailbox(server, smtp, tmp_path, old=old)
    try:
        spec = rule("refunds", ("subject", "contains", "refund"))
        spec = Rule(**{**spec.__dict__, "active": False})
        saved = await service.save_rule(agent, spec)
        tested = await service.test_rule(agent, saved, last=10)
        assert smtp.received == []
        assert await service.store.reader.scalar("SELECT count(*) FROM outgoing") == 0
        would = {t.subject for t in tested if t.fired}
        assert {t.subject for t in tested if t.matched} == {
            "Refund for order 1", "Refund again", "Refund, list", "refund please"}
        await service.set_rule_active(agent, saved.id, True)
        await service.run_rules(agent, "bob", last=10)
        await synced(service, agent)
        did = {parsed(r)["Subject"].removeprefix("Re: ") for r in smtp.received}
        # The dry run saw each message alone; live, a@x.example is answered once.
        assert did <= would and "Refund, list" not in would
        assert did == would - {"Refund again"} or did == would - {"Refund for order 1"}
        assert {t.response_to for t in tested if t.fired} == {
            to for r in smtp.received for to in r.recipients}
    finally:
        await service.close()


async def test_mail_text_is_never_run_as_a_template_and_python_internals_stay_shut(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        for body in ("{{ ''.__class__.__mro__[1].__subclasses__() }}",
                     "{{ message.__class__ }}", "{{ cycler.__init__.__globals__ }}",
                     "{% for x in range(10**9) %}x{% endfor %}"):
            with pytest.raises(InvalidInputError):
                await service.save_rule(agent, rule("evil", body=body))
        assert await service.list_rules(agent) == []
        await service.save_rule(agent, rule("echo", body="About: {{ message.subject }}"))
        await arrive(server, service, agent, [message("{{ 7*7 }} {% raw %}")])
        [got] = smtp.received
        assert "About: {{ 7*7 }} {% raw %}" in parsed(got).get_content()
    finally:
        await service.close()


async def test_queued_mail_survives_a_crash_before_its_rules_ran(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, agent = await mailbox(server, smtp, tmp_path)
    try:
        await service.save_rule(agent, rule("thanks"))

        async def crashed(store: Any, account_id: int) -> int:
            return 0  # the process died after the bodies were stored

        monkeypatch.setattr(sync_account, "apply_waiting", crashed)
        await arrive(server, service, agent, [message("Before the crash")])
        assert smtp.received == []
        monkeypatch.undo()
        await synced(service, agent)
        await synced(service, agent)
        assert [r.recipients for r in smtp.received] == [(CARLA,)]
    finally:
        await service.close()
