"""Applying a mailbox's rules to a message: the processing mode, then the move filters,
then the auto-response rules, then out of office. Every decision is written down as an
outcome ("Why?"), fired or not and why.

Inbox mail that arrived after an account's first import is queued with its headers
(engine.ingest); once its body is stored, `apply_waiting` takes it off the queue and
applies the rules in one transaction: the outcomes, the conversion, the flag and move
jobs, the block and the queued responses commit together, or not at all and the message
stays queued. Mail older than a rule (or than the processing mode) never fires it unless
an admin runs the rules over stored mail on purpose (`explicit`).

`evaluate` with `live=False` is the dry run: the same decisions, nothing written.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from engine.accounts import on_imap_server
from engine.errors import InvalidInputError
from engine.ingest import iso_utc
from engine.jobs.queue import MoveSpec, enqueue_flags, enqueue_move
from engine.rules import respond
from engine.rules.conditions import Mailbox, describe, first_failing
from engine.rules.facts import Facts, read_facts
from engine.rules.loops import answer_to, refusal
from storage import Db, Store, agents, audit, deny, messages
from storage import folder_state as folder_sql
from storage import rules as rules_sql
from storage import settings as settings_sql
from storage.raw_codec import decompress
from storage.records import AccountSettings, Agent
from storage.rules import OutOfOffice, Rule, RuleOutcome, Target

BATCH = 100


@dataclass(frozen=True)
class Setup:
    """One mailbox's rules and what checking them needs, read once per batch."""

    account: AccountSettings
    mailbox: Mailbox
    addresses: frozenset[str]  # the mailbox's own addresses
    ours: frozenset[str]  # every address of the store
    mode: str
    mode_since: str | None
    filters: tuple[Rule, ...]
    responders: tuple[Rule, ...]
    ooo: OutOfOffice | None
    ooo_agent: Agent | None  # whose out of office it is, for its template

    @property
    def acts(self) -> bool:
        """Whether anything here can act on a message."""
        return bool(self.filters or self.responders or self.ooo or self.mode != "none")


@dataclass
class Decision:
    """What the rules did (or, in a dry run, would do) with one message."""

    message_id: int
    outcomes: list[tuple[int | None, RuleOutcome]] = field(default_factory=list)
    responses: list[respond.Response] = field(default_factory=list)
    blocked: bool = False

    def add(self, rule_id: int | None, source: str, name: str, *, matched: bool,
            fired: bool, detail: str, outgoing_id: int | None = None) -> None:
        self.outcomes.append((rule_id, RuleOutcome(
            message_id=self.message_id, source=source, name=name, matched=matched,
            fired=fired, detail=detail, outgoing_id=outgoing_id,
            at=iso_utc(datetime.now(UTC)))))


async def load_setup(db: Db, account_id: int, *, rules: Sequence[Rule] | None = None,
                     with_mode: bool = True, with_ooo: bool = True) -> Setup | None:
    """The mailbox's active rules (or `rules`, for a dry run) and the rest."""
    account = await settings_sql.by_id(db, account_id)
    if account is None:
        return None
    found = list(rules) if rules is not None else await rules_sql.of_accounts(
        db, (account_id,), active_only=True)
    mode, since = await rules_sql.processing_mode(db, account_id) if with_mode else ("none",
                                                                                       None)
    ooo, ooo_agent = (await _out_of_office(db, account)) if with_ooo else (None, None)
    own = {account.email.lower()}
    if account.imap_username and "@" in account.imap_username:
        own.add(account.imap_username.lower())
    return Setup(
        account=account, mailbox=Mailbox(account.name, account.email),
        addresses=frozenset(own), ours=await rules_sql.our_addresses(db), mode=mode,
        mode_since=since, filters=tuple(r for r in found if r.kind == "filter"),
        responders=tuple(r for r in found if r.kind == "respond"), ooo=ooo,
        ooo_agent=ooo_agent,
    )


async def _out_of_office(db: Db, account: AccountSettings,
                         ) -> tuple[OutOfOffice | None, Agent | None]:
    """The mailbox's own out of office, else its owner's (a personal mailbox)."""
    found = await rules_sql.out_of_office_for(db, account_id=account.id)
    if found is None and account.owner_agent_id is not None:
        found = await rules_sql.out_of_office_for(db, agent_id=account.owner_agent_id)
    if found is None or found.agent_id is None:
        return found, None
    return found, await agents.by_id(db, found.agent_id)


# -- the engine's side: queued inbox mail ---------------------------------------------------

async def apply_waiting(store: Store, account_id: int) -> int:
    """Apply the rules to the account's queued messages whose bodies are stored; return
    how many were taken off the queue."""
    done = 0
    while True:
        waiting = await rules_sql.waiting(store.reader, account_id, limit=BATCH)
        if not waiting:
            return done
        setup = await load_setup(store.reader, account_id)
        if setup is None or not setup.acts:
            async with store.transaction() as db:  # nothing to apply: no parse needed
                for item in waiting:
                    done += await rules_sql.take(db, item.message_id)
            continue
        facts = await asyncio.to_thread(_read_all, waiting)
        async with store.transaction() as db:
            setup = await load_setup(db, account_id)
            for item, fact in zip(waiting, facts, strict=True):
                if not await rules_sql.take(db, item.message_id):
                    continue  # another pass did it
                done += 1
                target = await rules_sql.target(db, item.message_id)
                if setup is None or target is None or target.deleted:
                    continue
                decision = await evaluate(db, setup, target, fact, now=now(), live=True)
                await rules_sql.record_outcomes(db, target.id, decision.outcomes)


async def apply_to(store: Store, account_id: int, message_ids: Sequence[int]) -> list[Decision]:
    """Apply the mailbox's active rules to stored messages an admin chose (mail older
    than the rules included); each message's outcomes replace what was recorded."""
    out: list[Decision] = []
    for message_id in message_ids:
        found = await rules_sql.raw_of(store.reader, message_id)
        if found is None:
            continue
        fact = await asyncio.to_thread(read_stored, found)
        async with store.transaction() as db:
            setup = await load_setup(db, account_id)
            target = await rules_sql.target(db, message_id)
            if setup is None or target is None or target.deleted:
                continue
            await rules_sql.take(db, message_id)
            decision = await evaluate(db, setup, target, fact, now=now(), live=True,
                                      explicit=True)
            await rules_sql.record_outcomes(db, target.id, decision.outcomes)
            out.append(decision)
    return out


def _read_all(waiting: Sequence[rules_sql.Waiting]) -> list[Facts]:
    return [read_stored((w.codec, w.data)) for w in waiting]


def read_stored(found: tuple[str, bytes]) -> Facts:
    """The facts of a stored message from its (codec, data). CPU work: run it in a thread."""
    return read_facts(decompress(*found))


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# -- deciding -----------------------------------------------------------------------------

async def evaluate(db: Db, setup: Setup, target: Target, facts: Facts, *, now: datetime,
                   live: bool, explicit: bool = False) -> Decision:
    """Decide, and (when `live`) do, what the mailbox's rules say about one message."""
    decision = Decision(target.id)
    await _mode(db, setup, target, decision, live=live, explicit=explicit)
    verdicts = [(rule, _verdict(rule, facts, setup, target, explicit=explicit))
                for rule in setup.filters]
    firing = [rule for rule, verdict in verdicts if verdict is None]
    # Every filter's flags first, while the message is still where the server has it;
    # then the move (the first one wins), then the block.
    done: dict[int, list[str]] = {rule.id: await _flags(db, setup, rule, target, live=live)
                                  for rule in firing}
    moved = False
    for rule in firing:
        if "move" in rule.actions:
            said, moved_now = await _move(db, setup, rule, target, live=live, moved=moved)
            moved = moved or moved_now
            done[rule.id].append(said)
        if "block" in rule.actions:
            done[rule.id].append(await _block(db, setup, rule, facts, live=live))
            decision.blocked = True
    for rule, verdict in verdicts:
        if verdict is None:
            decision.add(rule.id, "filter", rule.name, matched=True, fired=True,
                         detail=", ".join(done[rule.id]) or "nothing to do")
        else:
            decision.add(rule.id, "filter", rule.name, matched=verdict[0], fired=False,
                         detail=verdict[1])
    await _responses(db, setup, target, facts, decision, now=now, live=live,
                     explicit=explicit)
    return decision


def _verdict(rule: Rule, facts: Facts, setup: Setup, target: Target, *,
             explicit: bool) -> tuple[bool, str] | None:
    """None when the rule fires on the message; else (matched, why not)."""
    failing = first_failing(rule.conditions, facts, setup.mailbox)
    if failing is not None:
        return False, f"no match: {describe(failing)} does not hold"
    if not explicit and rule.enabled_at and target.arrived < rule.enabled_at:
        return True, ("matched, but the message arrived before the rule was switched on "
                      f"({rule.enabled_at})")
    return None


async def _mode(db: Db, setup: Setup, target: Target, decision: Decision, *, live: bool,
                explicit: bool) -> None:
    if setup.mode == "none":
        return
    name = f"processing mode: convert to {setup.mode}"
    if not explicit and setup.mode_since and target.arrived < setup.mode_since:
        decision.add(None, "mode", name, matched=False, fired=False,
                     detail=f"the message arrived before the mode was set ({setup.mode_since})")
        return
    if not await rules_sql.starts_thread(db, target.id, target.thread_id):
        decision.add(None, "mode", name, matched=False, fired=False,
                     detail=f"not the first message of its thread: it joins the thread's "
                     f"{setup.mode}, if it has one")
        return
    if not live:
        decision.add(None, "mode", name, matched=True, fired=True,
                     detail=f"convert the new thread to a {setup.mode}")
        return
    from engine.cases import convert_on_arrival

    made = await convert_on_arrival(db, setup.account.id, target.id, setup.mode)
    if made is None:
        return
    said = f"case {made.label}" if made.kind == "case" else f"lead {made.id} ({made.label})"
    decision.add(None, "mode", name, matched=True, fired=made.created,
                 detail=f"converted to {said}" if made.created else f"already {said}")


async def _flags(db: Db, setup: Setup, rule: Rule, target: Target, *,
                 live: bool) -> list[str]:
    """Mark read and flag (or, in a dry run, say so), in the store and on the server."""
    done: list[str] = []
    folder = await folder_sql.by_id(db, target.folder_id)
    for action in ("mark_read", "flag"):
        if action not in rule.actions:
            continue
        done.append("mark read" if action == "mark_read" else "flag")
        if not live:
            continue
        if action == "mark_read":
            await messages.set_seen(db, message_id=target.id, seen=True,
                                    account_ids=(target.account_id,))
        else:
            await messages.set_flagged(db, message_id=target.id, flagged=True,
                                       account_ids=(target.account_id,))
        writes = action == "flag" or setup.account.write_read_status
        if (_on_server(setup, target) and writes and folder is not None
                and target.uidvalidity is not None and target.uid is not None):
            await enqueue_flags(db, account_id=target.account_id, folder=folder.name,
                                uidvalidity=target.uidvalidity, uids=(target.uid,),
                                add=("\\Seen" if action == "mark_read" else "\\Flagged",),
                                remove=(), created_by=None)
    return done


def _on_server(setup: Setup, target: Target) -> bool:
    return on_imap_server(setup.account) and target.uid is not None


async def _move(db: Db, setup: Setup, rule: Rule, target: Target, *, live: bool,
                moved: bool) -> tuple[str, bool]:
    if moved:
        return f"not moved to {rule.folder}: an earlier filter moved it", False
    dest = next((f for f in await folder_sql.of_account(db, setup.account.id)
                 if f.name == rule.folder and f.present and f.selectable), None)
    if dest is None:
        return f"not moved: the mailbox has no folder {rule.folder!r}", False
    if dest.id == target.folder_id:
        return f"not moved: it is in {dest.name} already", False
    source = await folder_sql.by_id(db, target.folder_id)
    if live and source is not None:
        await messages.move_to_folder(db, message_id=target.id, folder_id=dest.id)
        if (_on_server(setup, target) and target.uidvalidity is not None
                and target.uid is not None):
            spec = MoveSpec(
                row=target.id, source=source.name, source_folder_id=source.id,
                uidvalidity=target.uidvalidity, uid=target.uid, dest=dest.name,
                dest_folder_id=dest.id, message_id=target.message_id)
            await enqueue_move(db, account_id=target.account_id, spec=spec, created_by=None)
    return f"move to {dest.name}", True


async def _block(db: Db, setup: Setup, rule: Rule, facts: Facts, *, live: bool) -> str:
    sender = facts.sender
    if not sender or "@" not in sender:
        return "not blocked: the message has no sender address"
    if sender in setup.ours or await deny.accounts_covered(db, kind="address", value=sender):
        return f"not blocked: {sender} is one of our own addresses"
    if not live:
        return f"block {sender}"
    if await deny.find(db, account_id=setup.account.id, kind="address", value=sender) is None:
        entry_id = await deny.insert(db, account_id=setup.account.id, kind="address",
                                     value=sender, created_by=None)
        hidden = await deny.hide_covered(db, account_id=setup.account.id, kind="address",
                                         value=sender)
        await audit.record(db, agent_id=None, action="block.add", target_kind="deny_list",
                           target_id=entry_id,
                           detail={"account_id": setup.account.id,
                                   "account": setup.account.name, "kind": "address",
                                   "value": sender, "hidden": hidden, "rule": rule.name})
    return f"block {sender}"


async def _responses(db: Db, setup: Setup, target: Target, facts: Facts, decision: Decision,
                     *, now: datetime, live: bool, explicit: bool) -> None:
    why_not = refusal(facts, mailbox=setup.addresses, ours=setup.ours)
    to = answer_to(facts)
    answered: str | None = None
    for rule in setup.responders:
        verdict = _verdict(rule, facts, setup, target, explicit=explicit)
        if verdict is not None:
            decision.add(rule.id, "respond", rule.name, matched=verdict[0], fired=False,
                         detail=verdict[1])
            continue
        reason = await _suppressed(db, decision, why_not, answered, to, now=now,
                                   rule_id=rule.id, period_days=rule.period_days)
        if reason is not None:
            decision.add(rule.id, "respond", rule.name, matched=True, fired=False,
                         detail=f"not answered: {reason}")
            continue
        sent = await _answer(db, setup, target, facts, decision, to, subject=rule.subject,
                             body=rule.body, html=rule.format == "html", now=now,
                             label=f"rule {rule.name}", rule_id=rule.id, ooo_id=None,
                             name=rule.name, source="respond", live=live,
                             agent=None)
        if sent:
            answered = f"rule {rule.name}"
    await _out_of_office_reply(db, setup, target, facts, decision, why_not, answered, to,
                               now=now, live=live, explicit=explicit)


async def _out_of_office_reply(db: Db, setup: Setup, target: Target, facts: Facts,
                               decision: Decision, why_not: str | None, answered: str | None,
                               to: str, *, now: datetime, live: bool, explicit: bool) -> None:
    ooo = setup.ooo
    if ooo is None:
        return
    name = f"out of office ({ooo.agent or ooo.account})"
    arrived = iso_utc(now) if explicit else target.arrived
    if not ooo.starts <= arrived < ooo.ends:
        decision.add(None, "ooo", name, matched=False, fired=False,
                     detail=f"the message arrived outside the absence ({ooo.starts[:10]} to "
                     f"{ooo.ends[:10]})")
        return
    reason = await _suppressed(db, decision, why_not, answered, to, now=now, ooo_id=ooo.id,
                               ooo_since=ooo.starts)
    if reason is not None:
        decision.add(None, "ooo", name, matched=True, fired=False,
                     detail=f"not answered: {reason}")
        return
    await _answer(db, setup, target, facts, decision, to, subject=ooo.subject, body=ooo.body,
                  html=ooo.format == "html", now=now, label="out of office", rule_id=None,
                  ooo_id=ooo.id, name=name, source="ooo", live=live, agent=setup.ooo_agent)


async def _suppressed(db: Db, decision: Decision, why_not: str | None, answered: str | None,
                      to: str, *, now: datetime, rule_id: int | None = None,
                      period_days: int = 4, ooo_id: int | None = None,
                      ooo_since: str | None = None) -> str | None:
    if decision.blocked:
        return "its sender was blocked by a filter"
    if why_not is not None:
        return why_not
    if answered is not None:
        return f"{answered} answered this message already"
    return await respond.limit_reached(db, to=to, now=now, rule_id=rule_id,
                                       period_days=period_days, ooo_id=ooo_id,
                                       ooo_since=ooo_since)


async def _answer(db: Db, setup: Setup, target: Target, facts: Facts, decision: Decision,
                  to: str, *, subject: str, body: str, html: bool, now: datetime, label: str,
                  rule_id: int | None, ooo_id: int | None, name: str, source: str,
                  live: bool, agent: Agent | None) -> bool:
    """Fill in and queue (or, in a dry run, only fill in) one response."""
    customer = await respond.customer_of(db, target)
    try:
        response = await respond.fill(subject=subject, body=body, html=html, agent=agent,
                                      account=setup.account, customer=customer,
                                      target=target, to=to, label=label)
        outgoing_id = None
        if live:
            outgoing_id = await respond.queue(db, setup.account, target, facts, response)
            await rules_sql.record_response(db, account_id=setup.account.id, rule_id=rule_id,
                                            ooo_id=ooo_id, recipient=to, message_id=target.id,
                                            outgoing_id=outgoing_id)
    except InvalidInputError as exc:  # TemplateError is one
        decision.add(rule_id, source, name, matched=True, fired=False,
                     detail=f"not answered: {exc}")
        return False
    decision.responses.append(response)
    decision.add(rule_id, source, name, matched=True, fired=True,
                 detail=f"answer {to}: {response.subject}", outgoing_id=outgoing_id)
    return True
