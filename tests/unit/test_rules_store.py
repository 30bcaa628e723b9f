"""Rules on arrival against a real SQLite store: saving rules (what is refused), switching
them on and off, applying them to stored mail (the queue, auto-responses and their limits,
filters, processing modes), out of office, templates in use, and the dry run."""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine.errors import FrontdeskError, InvalidInputError, NotFoundError
from engine.ingest import (
    Incoming,
    ingest,
    prepare_batch,
    prepare_bodies,
    store_bodies,
    store_prepared,
)
from engine.models import Agent, OutOfOfficeSpec, Rule, RuleCondition
from engine.rules import respond
from engine.rules.run import apply_to, apply_waiting
from engine.service import LocalService
from storage import access, deny, folders
from storage import outgoing as outgoing_sql
from storage import rules as rules_sql
from tests.store_factory import Team, build_team, make_mail

VALIDITY = 7
JANE = "jane@example.org"
BOUNCES = "bounces+jane@mailer.example.org"


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def soon() -> datetime:
    """An arrival time after anything switched on during the test."""
    return now() + timedelta(minutes=1)


def letter(subject: str, *, sender: str = f"Jane <{JANE}>", to: str = "support@acme.example",
           return_path: str | None = None, message_id: str | None = None,
           in_reply_to: str | None = None, extra: tuple[str, ...] = ()) -> bytes:
    raw = make_mail(subject, sender=sender, to=to, message_id=message_id,
                    in_reply_to=in_reply_to)
    head = "".join(f"{h}\r\n" for h in extra)
    if return_path is not None:
        head = f"Return-Path: <{return_path}>\r\n" + head
    return head.encode() + raw


def rule(name: str, kind: str = "respond", *, account: str = "support", active: bool = True,
         conditions: tuple[RuleCondition, ...] = (), **fields: object) -> Rule:
    return Rule(id=0, account_id=0, account=account, name=name, kind=kind, active=active,
                position=0, conditions=conditions, **fields)  # type: ignore[arg-type]


def subject_has(text: str) -> tuple[RuleCondition, ...]:
    return (RuleCondition("subject", "contains", text),)


class World:
    """ann (admin, runs support), bob, carol; support has INBOX, Archive and Spam and an
    IMAP server (so filters queue server jobs); ann-mail is ann's personal mailbox."""

    def __init__(self, service: LocalService, team: Team, extra: dict[str, int]) -> None:
        self.service = service
        self.store = service.store
        self.team = team
        self.folders = extra
        self._uids = itertools.count(100)
        self._ids = itertools.count(1)

    @property
    def ann(self) -> Agent:
        return self.team.agents["ann"]

    @property
    def bob(self) -> Agent:
        return self.team.agents["bob"]

    def account(self, name: str = "support") -> int:
        return self.team.accounts[name]

    def message_id(self) -> str:
        return f"<m{next(self._ids)}@example.org>"

    async def arrive(self, raw: bytes, *, account: str = "support",
                     when: datetime | None = None, queue: bool = True,
                     headers_only: bool = False) -> int:
        """Store one inbox message as sync does: queued for the rules unless it came with
        the first import."""
        uid = next(self._uids)
        item = Incoming(raw=raw, uid=uid, uidvalidity=VALIDITY,
                        internal_date=when or soon(), headers_only=headers_only)
        prepared = await asyncio.to_thread(prepare_batch, [item])
        [found] = await store_prepared(
            self.store, account_id=self.account(account), folder_id=self.team.inboxes[account],
            prepared=prepared, rules_after_uid=0 if queue else uid)
        return found

    async def deliver(self, raw: bytes, *, account: str = "support",
                      when: datetime | None = None) -> int:
        """A message arrives and the engine applies the rules to it."""
        found = await self.arrive(raw, account=account, when=when)
        await apply_waiting(self.store, self.account(account))
        return found

    async def why(self, message_id: int) -> list[tuple[str, str, bool, bool, str]]:
        return [(o.source, o.name, o.matched, o.fired, o.detail)
                for o in await self.service.rule_outcomes(self.ann, message_id)]

    async def outgoing(self, account: str = "support") -> list[tuple[int, str]]:
        rows = await self.store.reader.fetchall(
            "SELECT id, state FROM outgoing WHERE account_id = ? ORDER BY id",
            (self.account(account),))
        return [(r[0], r[1]) for r in rows]

    async def sent(self, outgoing_id: int) -> email.message.EmailMessage:
        raw = await outgoing_sql.raw(self.store.reader, outgoing_id)
        assert raw is not None
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    async def jobs(self, account: str = "support") -> list[tuple[int, str, dict[str, object]]]:
        rows = await self.store.reader.fetchall(
            "SELECT id, kind, payload FROM jobs WHERE account_id = ? ORDER BY id",
            (self.account(account),))
        return [(r[0], r[1], json.loads(r[2])) for r in rows]

    async def row(self, sql: str, args: tuple[object, ...]) -> tuple[object, ...]:
        found = await self.store.reader.fetchone(sql, args)
        assert found is not None
        return tuple(found)

    async def count(self, table: str) -> int:
        return int(await self.store.reader.scalar(f"SELECT count(*) FROM {table}"))

    async def queued(self, account: str = "support") -> list[int]:
        rows = await self.store.reader.fetchall(
            "SELECT message_id FROM rule_queue WHERE account_id = ? ORDER BY message_id",
            (self.account(account),))
        return [r[0] for r in rows]


@pytest.fixture
async def world(tmp_path: Path):
    service = await LocalService.open(tmp_path / "t.db")
    team = await build_team(service.store)
    extra: dict[str, int] = {}
    async with service.store.transaction() as db:
        await access.grant_agent(db, account_id=team.accounts["support"],
                                 agent_id=team.agents["ann"].id, can_act=True, granted_by=None)
        for name in ("Archive", "Spam"):
            extra[name] = await folders.insert(db, account_id=team.accounts["support"],
                                               name=name, role=None)
        await db.execute("UPDATE accounts SET imap_host = 'imap.acme.example' WHERE id = ?",
                         (team.accounts["support"],))
    yield World(service, team, extra)
    await service.close()


# -- saving: what is refused --------------------------------------------------------------

REFUSALS = [
    (rule("f", "filter"), "a filter needs an action"),
    (rule("f", "filter", actions=("explode",)), "unknown filter action 'explode'"),
    (rule("f", "filter", actions=("move",)), "a move needs the folder to move to"),
    (rule("f", "filter", actions=("flag",), folder="Archive"),
     "only a move has one"),
    (rule("f", "filter", actions=("move",), folder="Nowhere"),
     "the mailbox support has no folder 'Nowhere'"),
    (rule("f", "filter", actions=("flag",), body="hello"), "a filter sends nothing"),
    (rule("r"), "an auto-response needs its text: give a body or a saved template"),
    (rule("r", body="   \n"), "an auto-response needs its text"),
    (rule("r", body="Hi", actions=("flag",)), "moving, flagging and blocking are for filters"),
    (rule("r", body="Hi", format="markdown"), "a response is plain or html"),
    (rule("r", body="Hi", period_days=0), "the period is 1 to 365 days"),
    (rule("r", body="Hi", period_days=366), "the period is 1 to 365 days"),
    (rule("", body="Hi"), "a rule needs a name"),
    (rule("bad\x1bname", body="Hi"), "a rule needs a name"),
    (rule("r", "forward", body="Hi"), "a rule is respond (an auto-response) or filter"),
    (rule("r", body="Hi", conditions=(RuleCondition("subject", "regex", "("),)),
     "not a valid regex"),
    (rule("r", body="{{ ''.__class__ }}"), "uses something templates may not reach"),
    (rule("r", body="{{ message.subject.__class__.__mro__ }}"),
     "uses something templates may not reach"),
    (rule("r", body="Hi {{ message.subject"), "rule r: line 1:"),
    (rule("r", body="Hi", subject="{{ ''.__class__ }}"), "rule r subject"),
]


@pytest.mark.parametrize(("spec", "needle"), REFUSALS,
                         ids=[f"{i}-{n[:30]}" for i, (_, n) in enumerate(REFUSALS)])
async def test_save_rule_refuses(world: World, spec: Rule, needle: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        await world.service.save_rule(world.ann, spec)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)
    assert await world.service.list_rules(world.ann) == []
    assert await world.count("rules") == 0


async def test_save_rule_refuses_an_unknown_template(world: World) -> None:
    with pytest.raises(NotFoundError, match="no template named 'nope'"):
        await world.service.save_rule(world.ann, rule("r", template="nope"))
    assert await world.count("rules") == 0


async def test_save_rule_refuses_a_duplicate_name_in_the_same_mailbox(world: World) -> None:
    svc = world.service
    first = await svc.save_rule(world.ann, rule("thanks", body="Thanks"))
    with pytest.raises(InvalidInputError,
                       match="the mailbox support has a rule named 'thanks' already"):
        await svc.save_rule(world.ann, rule("thanks", "filter", actions=("flag",)))
    # The same name in another mailbox is fine; so is saving the rule itself again.
    await svc.save_rule(world.ann, rule("thanks", account="ann-mail", body="Thanks"))
    again = await svc.save_rule(world.ann, replace(first, body="Thanks again"))
    assert (again.id, again.body) == (first.id, "Thanks again")
    assert sorted((r.account, r.name) for r in await svc.list_rules(world.ann)) == [
        ("ann-mail", "thanks"), ("support", "thanks")]


async def test_save_rule_stores_what_was_checked(world: World) -> None:
    saved = await world.service.save_rule(world.ann, rule(
        "  spam  ", "filter", actions=("Mark-Read", "move", "move"), folder=" Spam ",
        conditions=(RuleCondition("Subject", "does not contain", " invoice "),
                    RuleCondition("from", "is any of", "@spam.example, x@y.example"))))
    assert (saved.name, saved.actions, saved.folder) == ("spam", ("mark_read", "move"), "Spam")
    assert saved.conditions == (RuleCondition("subject", "not_contains", "invoice"),
                                RuleCondition("from", "any_of", "@spam.example, x@y.example"))
    assert (await world.service.rule(world.ann, saved.id)) == saved


@pytest.mark.parametrize("body", ["{{ x.__globals__ }}", "{{ message.__globals__ }}",
                                  "{{ x['__class__'] }}"])
async def test_reaching_for_a_missing_dunder_is_refused(world: World, body: str) -> None:
    with pytest.raises(InvalidInputError, match="uses something templates may not reach"):
        await world.service.save_rule(world.ann, rule("r", body=body))


async def test_a_broken_template_leaks_no_exception(world: World) -> None:
    # Whatever reaches for Python internals fails as a one-line refusal, never as a
    # traceback of another kind.
    for body in ("{{ ''.__class__.__mro__[1].__subclasses__() }}",
                 "{{ cycler.__init__.__globals__.os }}",
                 "{{ self.__dict__ }}",
                 "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
                 "{{ message.get.__self__ }}"):
        with pytest.raises(FrontdeskError) as info:
            await world.service.save_rule(world.ann, rule("r", body=body))
        assert isinstance(info.value, InvalidInputError), body
        assert "\n" not in str(info.value)
    assert await world.count("rules") == 0


# -- switching on and off -----------------------------------------------------------------

async def test_enable_sets_enabled_at_disable_clears_editing_keeps(world: World) -> None:
    svc, ann = world.service, world.ann
    off = await svc.save_rule(ann, rule("thanks", active=False, body="Thanks"))
    assert (off.active, off.enabled_at) == (False, None)

    on = await svc.set_rule_active(ann, off.id, True)
    assert on.active and on.enabled_at is not None
    assert abs(datetime.fromisoformat(on.enabled_at) - now()) < timedelta(minutes=1)

    disabled = await svc.set_rule_active(ann, off.id, False)
    assert (disabled.active, disabled.enabled_at) == (False, None)

    await svc.set_rule_active(ann, off.id, True)
    # Pretend it was switched on long ago: an edit of an active rule keeps that moment.
    async with world.store.transaction() as db:
        await db.execute("UPDATE rules SET enabled_at = '2020-01-02T03:04:05Z' WHERE id = ?",
                         (off.id,))
    edited = await svc.save_rule(ann, replace(on, body="Thank you", active=True,
                                              conditions=subject_has("order")))
    assert (edited.body, edited.enabled_at) == ("Thank you", "2020-01-02T03:04:05Z")
    assert edited.conditions == subject_has("order")
    # Switching it on again (already on) changes nothing either.
    again = await svc.set_rule_active(ann, off.id, True)
    assert again.enabled_at == "2020-01-02T03:04:05Z"
    # Saved off, then on again through an edit: a new moment.
    await svc.save_rule(ann, replace(edited, active=False))
    assert (await svc.rule(ann, off.id)).enabled_at is None
    back = await svc.save_rule(ann, replace(edited, active=True))
    assert back.enabled_at is not None and back.enabled_at > "2020-01-02T03:04:05Z"


async def test_a_new_active_rule_is_switched_on_now(world: World) -> None:
    saved = await world.service.save_rule(world.ann, rule("thanks", body="Thanks"))
    assert saved.active and saved.enabled_at is not None
    assert abs(datetime.fromisoformat(saved.enabled_at) - now()) < timedelta(minutes=1)


# -- the queue ----------------------------------------------------------------------------

async def test_first_import_is_not_queued(world: World) -> None:
    account, inbox = world.account(), world.team.inboxes["support"]
    items = [Incoming(raw=letter(f"n{uid}", message_id=world.message_id()), uid=uid,
                      uidvalidity=VALIDITY, internal_date=soon()) for uid in (3, 5, 6, 9)]
    prepared = await asyncio.to_thread(prepare_batch, items)
    ids = await store_prepared(world.store, account_id=account, folder_id=inbox,
                               prepared=prepared, rules_after_uid=5)
    assert len(ids) == 4
    assert await world.queued() == ids[2:]
    assert await rules_sql.queued_count(world.store.reader, account) == 2
    # Without a threshold (plain ingest) nothing is queued.
    await ingest(world.store, account_id=account, folder_id=inbox,
                 items=[Incoming(raw=letter("plain"), uid=50, uidvalidity=VALIDITY)])
    assert await world.queued() == ids[2:]

    await world.service.save_rule(world.ann, rule("thanks", body="Thanks"))
    assert await apply_waiting(world.store, account) == 2
    assert await world.queued() == []
    assert await world.why(ids[0]) == [] and await world.why(ids[1]) == []
    assert [o[:4] for o in await world.why(ids[2])] == [("respond", "thanks", True, True)]
    # The same sender, once per period: the second queued message is not answered.
    assert (await world.why(ids[3]))[0][3] is False
    assert await apply_waiting(world.store, account) == 0


async def test_mail_waits_for_its_body(world: World) -> None:
    raw = letter("Where is my order?", message_id=world.message_id())
    await world.service.save_rule(world.ann, rule("thanks", body="Thanks"))
    found = await world.arrive(raw, headers_only=True)
    assert await world.queued() == [found]
    assert await apply_waiting(world.store, world.account()) == 0  # no body yet
    assert await world.queued() == [found]
    await store_bodies(world.store, await prepare_bodies([(found, raw)]))
    assert await apply_waiting(world.store, world.account()) == 1
    assert [o[3] for o in await world.why(found)] == [True]


async def test_mail_older_than_the_rule_does_not_fire(world: World) -> None:
    svc = world.service
    saved = await svc.save_rule(world.ann, rule("thanks", body="Thanks",
                                                conditions=subject_has("order")))
    old = await world.deliver(letter("My order", message_id=world.message_id()),
                              when=now() - timedelta(hours=1))
    [(source, name, matched, fired, detail)] = await world.why(old)
    assert (source, name, matched, fired) == ("respond", "thanks", True, False)
    assert "arrived before the rule was switched on" in detail
    assert saved.enabled_at is not None and saved.enabled_at in detail
    assert await world.outgoing() == []

    # A message that does not match says which condition failed.
    other = await world.deliver(letter("Hello", message_id=world.message_id()))
    assert await world.why(other) == [
        ("respond", "thanks", False, False, "no match: subject contains 'order' does not hold")]

    # Run on purpose, the old message is answered.
    [decision] = await apply_to(world.store, world.account(), [old])
    assert [(o.fired, o.source) for _, o in decision.outcomes] == [(True, "respond")]
    assert [o[3] for o in await world.why(old)] == [True]
    assert len(await world.outgoing()) == 1


# -- auto-responses -----------------------------------------------------------------------

async def test_a_response_is_queued_once(world: World) -> None:
    svc = world.service
    saved = await svc.save_rule(world.ann, rule(
        "thanks", body="Dear {{ message.from_name }}, we got: {{ message.subject }}",
        conditions=subject_has("order")))
    original = world.message_id()
    found = await world.deliver(letter("Where is my order?", return_path=BOUNCES,
                                       message_id=original,
                                       extra=("References: <older@example.org>",)))
    [(outgoing_id, state)] = await world.outgoing()
    assert state == "queued"
    sent = await world.sent(outgoing_id)
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == original
    assert sent["References"].split() == ["<older@example.org>", original]
    assert sent["To"] == BOUNCES  # the Return-Path, not From
    assert "support@acme.example" in sent["From"]
    assert sent["Subject"] == "Re: Where is my order?"
    assert sent.get_content().strip() == "Dear Jane, we got: Where is my order?"
    [outcome] = await svc.rule_outcomes(world.ann, found)
    source, name, matched, fired, detail, out_id = (
        outcome.source, outcome.name, outcome.matched, outcome.fired, outcome.detail,
        outcome.outgoing_id)
    assert (source, name, matched, fired, out_id) == ("respond", "thanks", True, True,
                                                      outgoing_id)
    assert detail == f"answer {BOUNCES}: Re: Where is my order?"
    draft = await outgoing_sql.by_id(world.store.reader, outgoing_id)
    assert draft is not None and draft.to == (BOUNCES,) and draft.source_id == found
    assert [j[1] for j in await world.jobs()] == ["smtp.send"]
    assert await rules_sql.last_response(world.store.reader, recipient=BOUNCES,
                                         rule_id=saved.id, since="2000") is not None

    # The same sender again within the period: suppressed, with the reason.
    again = await world.deliver(letter("My order, again", return_path=BOUNCES,
                                       message_id=world.message_id()))
    [(_, _, matched, fired, detail)] = await world.why(again)
    assert (matched, fired) == (True, False)
    assert detail.startswith(f"not answered: {BOUNCES} was answered by this rule on ")
    assert "once every 4 days" in detail
    assert len(await world.outgoing()) == 1


async def test_the_response_subject_is_a_template_too(world: World) -> None:
    await world.service.save_rule(world.ann, rule(
        "thanks", body="<p>Hello <b>{{ message.from_name }}</b></p>", format="html",
        subject="Got it: {{ message.subject }}"))
    await world.deliver(letter("Order 7", message_id=world.message_id()))
    [(outgoing_id, _)] = await world.outgoing()
    sent = await world.sent(outgoing_id)
    assert sent["Subject"] == "Got it: Order 7"
    assert sent["To"] == JANE
    html = sent.get_body(("html",))
    plain = sent.get_body(("plain",))
    assert html is not None and "<b>Jane</b>" in html.get_content()
    assert plain is not None and "Hello Jane" in plain.get_content()


async def test_loop_protected_mail_is_not_answered(world: World) -> None:
    await world.service.save_rule(world.ann, rule("thanks", body="Thanks"))
    cases = {
        "Auto-Submitted": letter("Out of office", extra=("Auto-Submitted: auto-replied",),
                                 message_id=world.message_id()),
        "List-Id": letter("Digest", extra=("List-Id: <x.lists.example>",),
                          message_id=world.message_id()),
        "empty Return-Path": letter("Bounce", return_path="",
                                    message_id=world.message_id()),
        "not addressed to this mailbox": letter("Bcc", to="other@example.net",
                                                message_id=world.message_id()),
    }
    for needle, raw in cases.items():
        found = await world.deliver(raw)
        [(_, _, matched, fired, detail)] = await world.why(found)
        assert (matched, fired) == (True, False), needle
        assert detail.startswith("not answered: ") and needle in detail, detail
    assert await world.outgoing() == []
    assert await world.count("auto_responses") == 0


async def test_the_cap_per_sender_counts_every_rule(world: World) -> None:
    svc = world.service
    n = respond.CAP_PER_SENDER
    for i in range(n + 1):
        await svc.save_rule(world.ann, rule(f"r{i}", body=f"Answer {i}"))
    fired_by: list[str | None] = []
    for i in range(n + 1):
        found = await world.deliver(letter(f"Question {i}", message_id=world.message_id()))
        outcomes = await world.why(found)
        fired = [name for _, name, _, did, _ in outcomes if did]
        assert len(fired) <= 1
        fired_by.append(fired[0] if fired else None)
        if i == n:
            last = outcomes[-1]
            assert (last[1], last[3]) == (f"r{n}", False)
            assert f"{JANE} got {n} auto-responses in the last 24 hours" in last[4]
    # Each rule answers once (its period), until the cap stops the last.
    assert fired_by == [f"r{i}" for i in range(n)] + [None]
    assert len(await world.outgoing()) == n
    # Another sender is not affected.
    other = await world.deliver(letter("Hi", sender="Tom <tom@example.org>",
                                       message_id=world.message_id()))
    assert [o[1] for o in await world.why(other) if o[3]] == ["r0"]


async def test_the_cap_counts_across_mailboxes(world: World) -> None:
    svc = world.service
    async with world.store.transaction() as db:
        # Responses from another mailbox, to the same address written otherwise.
        await db.executemany(
            "INSERT INTO auto_responses (account_id, recipient) VALUES (?, ?)",
            [(world.account("sales"), JANE.upper())] * respond.CAP_PER_SENDER)
    await svc.save_rule(world.ann, rule("thanks", body="Thanks"))
    found = await world.deliver(letter("Question", message_id=world.message_id()))
    [(_, _, matched, fired, detail)] = await world.why(found)
    assert (matched, fired) == (True, False)
    assert "auto-responses in the last 24 hours" in detail
    assert await world.outgoing() == []


async def test_two_matching_rules_answer_once(world: World) -> None:
    svc = world.service
    await svc.save_rule(world.ann, rule("first", body="One"))
    await svc.save_rule(world.ann, rule("second", body="Two"))
    found = await world.deliver(letter("Help", message_id=world.message_id()))
    assert [(name, fired, detail.split(":")[0]) for _, name, _, fired, detail
            in await world.why(found)] == [("first", True, f"answer {JANE}"),
                                           ("second", False, "not answered")]
    assert (await world.why(found))[1][4] == (
        "not answered: rule first answered this message already")
    assert len(await world.outgoing()) == 1


async def test_a_response_that_fails_to_render_is_not_sent(world: World) -> None:
    # Renders with the sample data at save time; reaches for internals on this message.
    await world.service.save_rule(world.ann, rule(
        "boom", body="{% if message.subject == 'Boom' %}{{ ''.__class__ }}{% endif %}Hi"))
    await world.service.save_rule(world.ann, rule("fallback", body="Fallback"))
    found = await world.deliver(letter("Boom", message_id=world.message_id()))
    [boom, fallback] = await world.why(found)
    assert boom[:4] == ("respond", "boom", True, False)
    assert boom[4].startswith("not answered: rule boom: line 1: ")
    assert "uses something templates may not reach" in boom[4]
    # The failed rule answered nothing, so the next one does.
    assert fallback[1:4] == ("fallback", True, True)
    [(outgoing_id, _)] = await world.outgoing()
    assert (await world.sent(outgoing_id)).get_content().strip() == "Fallback"
    assert await world.count("auto_responses") == 1


# -- filters ------------------------------------------------------------------------------

async def test_a_blocking_filter_stops_auto_responses(world: World) -> None:
    svc = world.service
    await svc.save_rule(world.ann, rule("pests", "filter", actions=("block",),
                                        conditions=(RuleCondition("from", "any_of",
                                                                  "@example.org"),)))
    await svc.save_rule(world.ann, rule("thanks", body="Thanks"))
    found = await world.deliver(letter("Buy now", message_id=world.message_id()))
    assert await world.why(found) == [
        ("filter", "pests", True, True, f"block {JANE}"),
        ("respond", "thanks", True, False,
         "not answered: its sender was blocked by a filter"),
    ]
    assert await world.outgoing() == []
    entry = await deny.find(world.store.reader, account_id=world.account(), kind="address",
                            value=JANE)
    assert entry is not None
    assert JANE in {b.value for b in await svc.list_blocks(world.ann)}


async def test_a_filter_does_not_block_our_own_address(world: World) -> None:
    await world.service.save_rule(world.ann, rule("all", "filter", actions=("block",)))
    found = await world.deliver(letter("Internal", sender="Sales <sales@acme.example>",
                                       message_id=world.message_id()))
    [(_, _, _, fired, detail)] = await world.why(found)
    assert fired and detail == "not blocked: sales@acme.example is one of our own addresses"
    assert await deny.find(world.store.reader, account_id=world.account(), kind="address",
                           value="sales@acme.example") is None


async def test_mark_read_and_flag_change_the_message_and_queue_a_job(world: World) -> None:
    svc = world.service
    await svc.save_rule(world.ann, rule("vip", "filter", actions=("flag", "mark_read"),
                                        conditions=subject_has("urgent")))
    found = await world.deliver(letter("URGENT: help", message_id=world.message_id()))
    skipped = await world.deliver(letter("whenever", message_id=world.message_id()))
    row = await world.row(
        "SELECT seen, flagged, uid FROM messages WHERE id = ?", (found,))
    assert (row[0], row[1]) == (1, 1)
    untouched = await world.row(
        "SELECT seen, flagged FROM messages WHERE id = ?", (skipped,))
    assert tuple(untouched) == (0, 0)
    jobs = await world.jobs()
    assert [(kind, payload["folder"], payload["uids"], payload["add"])
            for _, kind, payload in jobs] == [
        ("imap.flags", "INBOX", [row[2]], ["\\Seen"]),
        ("imap.flags", "INBOX", [row[2]], ["\\Flagged"]),
    ]
    assert all(p["uidvalidity"] == VALIDITY for _, _, p in jobs)
    [(_, _, _, fired, detail)] = await world.why(found)
    assert fired and detail == "mark read, flag"


async def test_mark_read_stays_local_without_write_read_status(world: World) -> None:
    async with world.store.transaction() as db:
        await db.execute("UPDATE accounts SET write_read_status = 0 WHERE id = ?",
                         (world.account(),))
    await world.service.save_rule(world.ann, rule("read", "filter", actions=("mark_read",)))
    found = await world.deliver(letter("x", message_id=world.message_id()))
    assert await world.store.reader.scalar("SELECT seen FROM messages WHERE id = ?",
                                           (found,)) == 1
    assert await world.jobs() == []


async def test_move_moves_the_row_and_queues_a_move_job(world: World) -> None:
    svc = world.service
    await svc.save_rule(world.ann, rule("archive", "filter", actions=("move",),
                                        folder="Archive", conditions=subject_has("news")))
    await svc.save_rule(world.ann, rule("spam", "filter", actions=("move",), folder="Spam",
                                        conditions=subject_has("news")))
    raw_id = world.message_id()
    found = await world.deliver(letter("Weekly news", message_id=raw_id))
    before = await world.row(
        "SELECT folder_id, uid FROM messages WHERE id = ?", (found,))
    assert before[0] == world.folders["Archive"]
    assert before[1] is None  # no server key until the move job settles it
    [(_, kind, payload)] = await world.jobs()
    assert kind == "imap.move"
    assert (payload["row"], payload["source"], payload["dest"], payload["dest_folder_id"],
            payload["uidvalidity"], payload["message_id"]) == (
        found, "INBOX", "Archive", world.folders["Archive"], VALIDITY, raw_id)
    assert isinstance(payload["uid"], int)
    assert [(name, fired, detail) for _, name, _, fired, detail in await world.why(found)] == [
        ("archive", True, "move to Archive"),
        ("spam", True, "not moved to Spam: an earlier filter moved it"),
    ]


async def test_a_move_to_a_folder_gone_since_does_nothing(world: World) -> None:
    await world.service.save_rule(world.ann, rule("spam", "filter", actions=("move",),
                                                  folder="Spam"))
    async with world.store.transaction() as db:
        await db.execute("UPDATE folders SET present = 0 WHERE id = ?",
                         (world.folders["Spam"],))
    found = await world.deliver(letter("x", message_id=world.message_id()))
    [(_, _, _, _, detail)] = await world.why(found)
    assert detail == "not moved: the mailbox has no folder 'Spam'"
    assert await world.store.reader.scalar("SELECT folder_id FROM messages WHERE id = ?",
                                           (found,)) == world.team.inboxes["support"]
    assert await world.jobs() == []


async def test_a_flag_after_an_earlier_move_reaches_the_moved_message(world: World) -> None:
    svc = world.service
    await svc.save_rule(world.ann, rule("archive", "filter", actions=("move",),
                                        folder="Archive"))
    await svc.save_rule(world.ann, rule("star", "filter", actions=("flag",)))
    found = await world.deliver(letter("x", message_id=world.message_id()))
    assert await world.store.reader.scalar("SELECT flagged FROM messages WHERE id = ?",
                                           (found,)) == 1
    jobs = await world.jobs()
    [move] = [j for j in jobs if j[1] == "imap.move"]
    flags = [j for j in jobs if j[1] == "imap.flags"]
    assert flags
    # Jobs run in id order: a flag on the source folder must go before the move.
    assert all(j[0] < move[0] for j in flags if j[2]["folder"] == "INBOX")


# -- processing mode ----------------------------------------------------------------------

async def test_mode_case_converts_the_first_message_of_a_thread(world: World) -> None:
    svc = world.service
    assert await svc.set_processing_mode(world.ann, "support", "case") is True
    assert await svc.set_processing_mode(world.ann, "support", "case") is False
    assert await svc.processing_mode(world.ann, "support") == "case"
    first_id = world.message_id()
    first = await world.deliver(letter("Broken printer", message_id=first_id))
    [(source, name, matched, fired, detail)] = await world.why(first)
    assert (source, name, matched, fired) == ("mode", "processing mode: convert to case",
                                              True, True)
    assert detail.startswith("converted to case ")
    assert await world.count("cases") == 1

    reply = await world.deliver(letter("Re: Broken printer", message_id=world.message_id(),
                                       in_reply_to=first_id))
    thread_ids = await world.store.reader.fetchall(
        "SELECT DISTINCT thread_id FROM messages WHERE id IN (?, ?)", (first, reply))
    assert len(thread_ids) == 1
    [(_, _, matched, fired, detail)] = await world.why(reply)
    assert (matched, fired) == (False, False)
    assert "not the first message of its thread" in detail
    assert await world.count("cases") == 1

    other = await world.deliver(letter("Another topic", message_id=world.message_id()))
    assert (await world.why(other))[0][3] is True
    assert await world.count("cases") == 2
    assert len(await svc.list_cases(world.ann)) == 2


async def test_mode_set_after_a_message_arrived_leaves_it(world: World) -> None:
    svc = world.service
    early = await world.arrive(letter("Early", message_id=world.message_id()),
                               when=now() - timedelta(hours=1))
    await svc.set_processing_mode(world.ann, "support", "lead")
    await apply_waiting(world.store, world.account())
    [(source, _, matched, fired, detail)] = await world.why(early)
    assert (source, matched, fired) == ("mode", False, False)
    assert detail.startswith("the message arrived before the mode was set (")
    assert await world.count("leads") == 0 and await world.count("cases") == 0
    # Mode none: nothing is recorded about modes at all.
    await svc.set_processing_mode(world.ann, "support", "none")
    later = await world.deliver(letter("Later", message_id=world.message_id()))
    assert await world.why(later) == []


async def test_processing_mode_is_checked(world: World) -> None:
    with pytest.raises(InvalidInputError, match="the processing mode is one of none, lead, "
                                                "case, not 'ticket'"):
        await world.service.set_processing_mode(world.ann, "support", "ticket")


# -- out of office ------------------------------------------------------------------------

def period(start: timedelta, end: timedelta) -> tuple[str, str]:
    fmt = "%Y-%m-%dT%H:%M:%S"
    return (now() + start).strftime(fmt), (now() + end).strftime(fmt)


async def test_an_agents_out_of_office_answers_its_personal_mailbox(world: World) -> None:
    svc, ann = world.service, world.ann
    starts, ends = period(-timedelta(days=1), timedelta(days=10))
    saved = await svc.set_out_of_office(ann, OutOfOfficeSpec(
        starts=starts, ends=ends, subject="Away: {{ message.subject }}",
        body="{{ agent.name }} is away."))
    assert (saved.agent, saved.account, saved.starts) == ("ann", "", starts + "Z")
    assert [o.id for o in await svc.list_out_of_office(ann)] == [saved.id]

    to_ann = "ann-mail@acme.example"
    found = await world.deliver(letter("Meeting?", to=to_ann, message_id=world.message_id()),
                                account="ann-mail")
    [(source, name, matched, fired, detail)] = await world.why(found)
    assert (source, name, matched, fired) == ("ooo", "out of office (ann)", True, True)
    assert detail == f"answer {JANE}: Away: Meeting?"
    [(outgoing_id, state)] = await world.outgoing("ann-mail")
    sent = await world.sent(outgoing_id)
    assert state == "queued" and sent["Auto-Submitted"] == "auto-replied"
    assert sent.get_content().strip() == "ann is away."

    # Once per sender per absence.
    again = await world.deliver(letter("Meeting??", to=to_ann, message_id=world.message_id()),
                                account="ann-mail")
    [(_, _, matched, fired, detail)] = await world.why(again)
    assert (matched, fired) == (True, False)
    assert "was told on" in detail and "once per absence" in detail
    # Another sender is answered.
    tom = await world.deliver(letter("Hi", sender="tom@example.org", to=to_ann,
                                     message_id=world.message_id()), account="ann-mail")
    assert (await world.why(tom))[0][3] is True
    # Mail from before the absence is not.
    old = await world.deliver(letter("Old", sender="old@example.org", to=to_ann,
                                     message_id=world.message_id()),
                              account="ann-mail", when=now() - timedelta(days=5))
    [(_, _, matched, fired, detail)] = await world.why(old)
    assert (matched, fired) == (False, False)
    assert detail.startswith("the message arrived outside the absence (")
    assert len(await world.outgoing("ann-mail")) == 2

    # The agent's out of office is not the shared mailbox's.
    shared = await world.deliver(letter("Support?", sender="zed@example.org",
                                        message_id=world.message_id()))
    assert await world.why(shared) == []
    assert await world.outgoing("support") == []

    # Cleared: nothing more answers.
    assert await svc.clear_out_of_office(ann) is True
    assert await svc.clear_out_of_office(ann) is False
    assert await svc.list_out_of_office(ann) == []
    after = await world.deliver(letter("Back?", sender="new@example.org", to=to_ann,
                                       message_id=world.message_id()), account="ann-mail")
    assert await world.why(after) == []
    assert len(await world.outgoing("ann-mail")) == 2


async def test_a_mailbox_out_of_office(world: World) -> None:
    svc = world.service
    starts, ends = period(-timedelta(hours=1), timedelta(days=2))
    saved = await svc.set_out_of_office(world.ann, OutOfOfficeSpec(
        starts=starts, ends=ends, body="Closed for the holidays.", account="support"))
    assert (saved.agent, saved.account) == ("", "support")
    await svc.save_rule(world.ann, rule("thanks", body="Thanks",
                                        conditions=subject_has("order")))
    answered = await world.deliver(letter("My order", message_id=world.message_id()))
    # The rule answered: the out of office does not answer the same message again.
    assert [(s, f) for s, _, _, f, _ in await world.why(answered)] == [
        ("respond", True), ("ooo", False)]
    assert (await world.why(answered))[1][4] == (
        "not answered: rule thanks answered this message already")
    other = await world.deliver(letter("Question", sender="tom@example.org",
                                       message_id=world.message_id()))
    assert [(s, f) for s, _, _, f, _ in await world.why(other)] == [
        ("respond", False), ("ooo", True)]
    assert len(await world.outgoing()) == 2


@pytest.mark.parametrize(("spec", "needle"), [
    (OutOfOfficeSpec(starts="tomorrow", ends="2030-01-01", body="x"),
     "the start 'tomorrow' is not a date"),
    (OutOfOfficeSpec(starts="2030-01-01", ends="2030-13-01", body="x"),
     "the end '2030-13-01' is not a date"),
    (OutOfOfficeSpec(starts="2030-01-05", ends="2030-01-01", body="x"),
     "the out of office ends before it starts"),
    (OutOfOfficeSpec(starts="2030-01-05T10:00", ends="2030-01-05T09:00", body="x"),
     "ends before it starts"),
    (OutOfOfficeSpec(starts="2030-01-01", ends="2030-01-02"), "needs its text"),
    (OutOfOfficeSpec(starts="2030-01-01", ends="2030-01-02", body="x", template="t"),
     "needs its text"),
    (OutOfOfficeSpec(starts="2030-01-01", ends="2030-01-02", body="{{ ''.__class__ }}"),
     "uses something templates may not reach"),
])
async def test_out_of_office_is_checked(world: World, spec: OutOfOfficeSpec,
                                        needle: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        await world.service.set_out_of_office(world.ann, spec)
    assert needle in str(info.value) and "\n" not in str(info.value)
    assert await world.service.list_out_of_office(world.ann) == []


async def test_a_whole_day_out_of_office(world: World) -> None:
    saved = await world.service.set_out_of_office(world.ann, OutOfOfficeSpec(
        starts="2030-01-01", ends="2030-01-01", body="x"))
    assert (saved.starts, saved.ends) == ("2030-01-01T00:00:00Z", "2030-01-01T23:59:59Z")


# -- templates in use ---------------------------------------------------------------------

async def test_a_template_in_use_cannot_be_removed(world: World) -> None:
    svc = world.service
    await svc.add_template(world.ann, "thanks-text", "Thanks, {{ message.from_name }}")
    saved = await svc.save_rule(world.ann, rule("thanks", template="thanks-text"))
    assert (saved.template, saved.body) == ("thanks-text", "Thanks, {{ message.from_name }}")
    with pytest.raises(InvalidInputError) as info:
        await svc.remove_template(world.ann, "thanks-text")
    assert "answers mail for support/thanks" in str(info.value)
    assert (await svc.template(world.ann, "thanks-text")).name == "thanks-text"

    # The rule answers with the saved template's text.
    await world.deliver(letter("Q", message_id=world.message_id()))
    [(outgoing_id, _)] = await world.outgoing()
    assert (await world.sent(outgoing_id)).get_content().strip() == "Thanks, Jane"

    await svc.remove_rule(world.ann, saved.id)
    removed = await svc.remove_template(world.ann, "thanks-text")
    assert removed.name == "thanks-text"


async def test_a_template_used_by_an_out_of_office_cannot_be_removed(world: World) -> None:
    svc = world.service
    await svc.add_template(world.ann, "away", "Away")
    await svc.set_out_of_office(world.ann, OutOfOfficeSpec(
        starts="2030-01-01", ends="2030-01-02", template="away"))
    with pytest.raises(InvalidInputError, match="out of office of ann"):
        await svc.remove_template(world.ann, "away")


async def test_a_broken_subject_with_a_saved_template_is_refused(world: World) -> None:
    await world.service.add_template(world.ann, "tpl", "Thanks")
    with pytest.raises(InvalidInputError, match="uses something templates may not reach"):
        await world.service.save_rule(world.ann, rule("r", template="tpl",
                                                      subject="{{ ''.__class__ }}"))


async def test_save_as_saves_the_body_as_a_template(world: World) -> None:
    svc = world.service
    saved = await svc.save_rule(world.ann, rule("thanks", body="Saved text"),
                                save_as="saved-thanks")
    assert (saved.template, saved.body) == ("saved-thanks", "Saved text")
    assert (await svc.template(world.ann, "saved-thanks")).body == "Saved text"


async def test_a_refused_save_as_leaves_no_template(world: World) -> None:
    svc = world.service
    await svc.save_rule(world.ann, rule("thanks", body="First"))
    with pytest.raises(InvalidInputError, match="has a rule named 'thanks' already"):
        await svc.save_rule(world.ann, rule("thanks", body="Second"), save_as="orphan")
    assert [t.name for t in await svc.list_templates(world.ann)] == []


# -- the dry run --------------------------------------------------------------------------

async def _table_counts(world: World) -> dict[str, int]:
    return {t: await world.count(t) for t in ("outgoing", "rule_outcomes", "jobs",
                                              "auto_responses", "deny_list", "rules",
                                              "cases", "leads", "audit_log")}


async def test_test_rule_writes_nothing_and_foretells_the_live_run(world: World) -> None:
    svc = world.service
    ids = {}
    for key, raw in {
        "order": letter("Order 12", message_id=world.message_id(), return_path=BOUNCES),
        "other": letter("Hello there", sender="tom@example.org",
                        message_id=world.message_id()),
        "bot": letter("Order shipped", sender="noreply@shop.example",
                      message_id=world.message_id()),
        "list": letter("Order news", sender="ann@lists.example",
                       extra=("List-Id: <x.lists.example>",),
                       message_id=world.message_id()),
        "order2": letter("Order 13", sender="kim@example.org",
                         message_id=world.message_id()),
    }.items():
        ids[key] = await world.arrive(raw, queue=False, when=now() - timedelta(days=1))
    spec = rule("orders", body="About {{ message.subject }}", conditions=subject_has("order"))
    before = await _table_counts(world)
    tests = await svc.test_rule(world.ann, spec, last=10)
    assert await _table_counts(world) == before
    assert await svc.list_rules(world.ann) == []

    by_id = {t.message_id: t for t in tests}
    assert set(by_id) == set(ids.values())
    assert (by_id[ids["other"]].matched, by_id[ids["other"]].fired) == (False, False)
    order = by_id[ids["order"]]
    assert (order.matched, order.fired) == (True, True)
    assert (order.response_to, order.response_subject, order.response_text.strip()) == (
        BOUNCES, "Re: Order 12", "About Order 12")
    assert by_id[ids["bot"]].fired is False and "system address" in by_id[ids["bot"]].detail
    assert by_id[ids["list"]].fired is False and "list mail" in by_id[ids["list"]].detail
    assert by_id[ids["order2"]].fired is True

    # The live run over the same messages does what the dry run said.
    saved = await svc.save_rule(world.ann, spec)
    decisions = await apply_to(world.store, world.account(), list(ids.values()))
    assert len(decisions) == len(ids)
    for message_id in ids.values():
        [(source, name, matched, fired, detail)] = await world.why(message_id)
        dry = by_id[message_id]
        assert (source, name) == ("respond", saved.name)
        assert (matched, fired, detail) == (dry.matched, dry.fired, dry.detail), message_id
    assert len(await world.outgoing()) == 2


async def test_test_rule_of_a_filter_moves_nothing(world: World) -> None:
    svc = world.service
    found = await world.arrive(letter("Spam offer", message_id=world.message_id()),
                               queue=False)
    spec = rule("spam", "filter", actions=("mark_read", "move", "block"), folder="Spam")
    before = await _table_counts(world)
    [verdict] = await svc.test_rule(world.ann, spec, last=1)
    assert (verdict.message_id, verdict.matched, verdict.fired) == (found, True, True)
    assert verdict.detail == f"mark read, move to Spam, block {JANE}"
    assert await _table_counts(world) == before
    row = await world.row(
        "SELECT folder_id, seen FROM messages WHERE id = ?", (found,))
    assert tuple(row) == (world.team.inboxes["support"], 0)


async def test_test_rule_with_a_saved_template_shows_its_text(world: World) -> None:
    await world.service.add_template(world.ann, "tpl", "Template text {{ message.subject }}")
    await world.arrive(letter("Hello", message_id=world.message_id()), queue=False)
    [verdict] = await world.service.test_rule(world.ann, rule("r", template="tpl"), last=1)
    assert verdict.fired
    assert verdict.response_text.strip() == "Template text Hello"


@pytest.mark.parametrize("last", [0, 501])
async def test_test_rule_bounds(world: World, last: int) -> None:
    with pytest.raises(InvalidInputError, match="test against 1 to 500 messages"):
        await world.service.test_rule(world.ann, rule("r", body="x"), last=last)


async def test_run_rules_applies_to_old_mail_on_purpose(world: World) -> None:
    svc = world.service
    old = await world.arrive(letter("Order 1", message_id=world.message_id()), queue=False,
                             when=now() - timedelta(days=3))
    await svc.save_rule(world.ann, rule("orders", body="Thanks",
                                        conditions=subject_has("order")))
    outcomes = await svc.run_rules(world.ann, "support", last=5)
    assert [(o.source, o.name, o.fired) for o in outcomes] == [("respond", "orders", True)]
    assert [o[3] for o in await world.why(old)] == [True]
    assert len(await world.outgoing()) == 1
    # Run again: its outcome is replaced, and the period keeps it from a second answer.
    again = await svc.run_rules(world.ann, "support", last=5)
    assert [(o.fired, o.detail.split(" was ")[0]) for o in again] == [
        (False, f"not answered: {JANE}")]
    assert [o[3] for o in await world.why(old)] == [False]
    assert len(await world.outgoing()) == 1


async def test_run_rules_outcomes_name_their_message(world: World) -> None:
    first = await world.arrive(letter("Order 1", message_id=world.message_id()), queue=False)
    second = await world.arrive(letter("Order 2", sender="tom@example.org",
                                       message_id=world.message_id()), queue=False)
    await world.service.save_rule(world.ann, rule("orders", body="Thanks"))
    outcomes = await world.service.run_rules(world.ann, "support", last=5)
    assert sorted(o.message_id for o in outcomes) == sorted([first, second])
