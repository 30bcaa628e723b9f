"""Rules as people manage them: list, add, edit, switch on and off, remove, test (dry
run), run over stored mail on purpose, "Why?", processing modes and out of office.

Whoever may see a mailbox may read its rules and what they did; whoever configures it
(its owner, or an admin for a shared one) may change them. An agent sets its own out of
office; a mailbox's is set by whoever configures the mailbox. Every change is audited.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from engine.access import manageable_account, managed_accounts, visible_accounts
from engine.errors import InvalidInputError, NotFoundError
from engine.ingest import iso_utc
from engine.rules import run
from engine.rules.conditions import check_condition
from engine.templates import add_template, check_renders
from storage import Db, Store, accounts, agents, audit
from storage import folder_state as folder_sql
from storage import rules as rules_sql
from storage import templates as templates_sql
from storage.rules import OutOfOffice, Rule, RuleOutcome

if TYPE_CHECKING:
    from engine.models import Agent, OutOfOfficeSpec, RuleTest

KINDS = ("respond", "filter")
ACTIONS = ("move", "mark_read", "flag", "block")
MODES = ("none", "lead", "case")
MAX_NAME = 64
MAX_TEST = 500
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,64}")


# -- reading ---------------------------------------------------------------------------------

async def list_rules(store: Store, agent: Agent, account: str | None) -> list[Rule]:
    """The rules of the mailboxes the agent may see or configure (of `account` only,
    when named)."""
    readable = await _readable(store, agent)
    if account is not None:
        readable = frozenset({await _visible_id(store, readable, account)})
    return await rules_sql.of_accounts(store.reader, readable)


async def _readable(store: Store, agent: Agent) -> frozenset[int]:
    """The mailboxes whose rules the agent may read: those it sees, and those it
    configures (an admin, every shared one, listed on it or not)."""
    managed = {a.id for a in await managed_accounts(store, agent.id)}
    return await visible_accounts(store, agent.id) | managed


async def rule(store: Store, agent: Agent, rule_id: int) -> Rule:
    visible = await _readable(store, agent)
    found = await rules_sql.by_id(store.reader, rule_id)
    if found is None or found.account_id not in visible:
        raise NotFoundError(f"rule {rule_id} not found; see `frontdesk rules list`")
    return found


async def outcomes(store: Store, agent: Agent, message_id: int) -> list[RuleOutcome]:
    """What the rules did with a message the agent may see, and why ("Why?")."""
    visible = await visible_accounts(store, agent.id)
    target = await rules_sql.target(store.reader, message_id)
    if target is None or target.account_id not in visible:
        raise NotFoundError(f"message {message_id} not found")
    return await rules_sql.outcomes(store.reader, message_id)


async def _visible_id(store: Store, visible: frozenset[int], name: str) -> int:
    found = await accounts.by_name(store.reader, name)
    if found is None or found.id not in visible:
        raise NotFoundError(f"no account named {name!r}; see `frontdesk account list`")
    return found.id


async def _managed(store: Store, agent: Agent, rule_id: int) -> Rule:
    found = await rule(store, agent, rule_id)
    await manageable_account(store, agent.id, found.account)
    return found


# -- changing -------------------------------------------------------------------------------

async def save_rule(store: Store, agent: Agent, spec: Rule, *, save_as: str | None) -> Rule:
    """Add a rule (spec.id 0, in the mailbox named spec.account) or replace rule spec.id.
    With `save_as`, the response body is also saved as that named template and the rule
    uses it."""
    if spec.id:
        current = await _managed(store, agent, spec.id)
        account = await manageable_account(store, agent.id, current.account)
    else:
        account = await manageable_account(store, agent.id, spec.account)
    checked = await _checked(store, agent, replace(spec, account_id=account.id,
                                                   account=account.name))
    clash = await rules_sql.by_name(store.reader, account.id, checked.name)
    if clash is not None and clash.id != spec.id:
        raise _name_taken(account.name, checked.name)
    if save_as is not None:
        if checked.kind != "respond" or checked.template:
            raise InvalidInputError("--save-as saves a response's own text: give a body, "
                                    "not a template")
        await add_template(store, agent, save_as, checked.body, html=checked.format == "html")
        checked = replace(checked, template=save_as, body="")
    async with store.transaction() as db:
        template_id = await _template_id(db, checked.template)
        clash = await rules_sql.by_name(db, account.id, checked.name)
        if clash is not None and clash.id != spec.id:
            raise _name_taken(account.name, checked.name)
        if spec.id:
            position = checked.position or current.position
            await rules_sql.update_rule(db, replace(checked, position=position),
                                        template_id=template_id, agent_id=agent.id)
            rule_id = spec.id
        else:
            rule_id = await rules_sql.insert_rule(db, checked, template_id=template_id,
                                                  agent_id=agent.id)
        await audit.record(db, agent_id=agent.id, action="rule.edit" if spec.id else "rule.add",
                           target_kind="rule", target_id=rule_id,
                           detail={"account": account.name, "name": checked.name,
                                   "kind": checked.kind, "active": checked.active})
        saved = await rules_sql.by_id(db, rule_id)
    assert saved is not None  # written in this transaction
    return saved


def _name_taken(account: str, name: str) -> InvalidInputError:
    return InvalidInputError(f"the mailbox {account} has a rule named {name!r} already; "
                             "choose another name")


async def set_active(store: Store, agent: Agent, rule_id: int, active: bool) -> Rule:
    """Switch a rule on (it acts on mail arriving from now on) or off."""
    await _managed(store, agent, rule_id)
    async with store.transaction() as db:
        if await rules_sql.set_active(db, rule_id, active, agent_id=agent.id):
            await audit.record(db, agent_id=agent.id,
                               action="rule.enable" if active else "rule.disable",
                               target_kind="rule", target_id=rule_id)
        saved = await rules_sql.by_id(db, rule_id)
    assert saved is not None
    return saved


async def remove_rule(store: Store, agent: Agent, rule_id: int) -> Rule:
    found = await _managed(store, agent, rule_id)
    async with store.transaction() as db:
        await rules_sql.delete_rule(db, rule_id)
        await audit.record(db, agent_id=agent.id, action="rule.remove", target_kind="rule",
                           target_id=rule_id, detail={"account": found.account,
                                                      "name": found.name})
    return found


async def _template_id(db: Db, name: str) -> int | None:
    if not name:
        return None
    found = await rules_sql.template_id(db, name)
    if found is None:
        raise NotFoundError(f"no template named {name!r}; see `frontdesk template list`")
    return found


async def _checked(store: Store, agent: Agent, spec: Rule) -> Rule:
    """The rule as stored, or InvalidInputError saying what to correct."""
    name = spec.name.strip()
    if not _NAME.fullmatch(name):
        raise InvalidInputError(f"a rule needs a name of 1 to {MAX_NAME} characters, "
                                "without control characters")
    if spec.kind not in KINDS:
        raise InvalidInputError(f"a rule is respond (an auto-response) or filter, not "
                                f"{spec.kind!r}")
    if not 1 <= spec.period_days <= 365:
        raise InvalidInputError("the period is 1 to 365 days")
    conditions = tuple(check_condition(c) for c in spec.conditions)
    checked = replace(spec, name=name, conditions=conditions)
    if spec.kind == "filter":
        return await _checked_filter(store, checked)
    if spec.actions or spec.folder:
        raise InvalidInputError("an auto-response rule answers; moving, flagging and "
                                "blocking are for filters")
    if spec.format not in ("plain", "html"):
        raise InvalidInputError("a response is plain or html")
    if not spec.body.strip() and not spec.template:
        raise InvalidInputError("an auto-response needs its text: give a body or a saved "
                                "template's name")
    if spec.subject.strip():
        await check_renders(spec.subject, agent, html=False, label=f"rule {name} subject")
    if spec.template:
        found = await templates_sql.template_by_name(store.reader, spec.template)
        if found is None:
            raise NotFoundError(f"no template named {spec.template!r}; see "
                                "`frontdesk template list`")
        # The saved template's text, for a dry run; the store keeps only the reference.
        return replace(checked, body=found.body, format=found.format)
    await check_renders(spec.body, agent, html=spec.format == "html", label=f"rule {name}")
    return checked


async def _checked_filter(store: Store, spec: Rule) -> Rule:
    actions = tuple(dict.fromkeys(a.strip().lower().replace("-", "_") for a in spec.actions))
    if not actions:
        raise InvalidInputError("a filter needs an action: move, mark_read, flag or block")
    wrong = [a for a in actions if a not in ACTIONS]
    if wrong:
        raise InvalidInputError(f"unknown filter action {wrong[0]!r}: use move, mark_read, "
                                "flag or block")
    if spec.body.strip() or spec.template or spec.subject.strip():
        raise InvalidInputError("a filter sends nothing; an auto-response is a respond rule")
    folder = spec.folder.strip()
    if ("move" in actions) != bool(folder):
        raise InvalidInputError("a move needs the folder to move to (and only a move has one)")
    if folder:
        names = [f.name for f in await folder_sql.of_account(store.reader, spec.account_id)
                 if f.present and f.selectable]
        if names and folder not in names:
            raise InvalidInputError(f"the mailbox {spec.account} has no folder {folder!r}; "
                                    f"see `frontdesk account folders {spec.account}`")
    return replace(spec, actions=actions, folder=folder)


# -- testing and running ----------------------------------------------------------------------

async def test_rule(store: Store, agent: Agent, spec: Rule, *, last: int) -> list[RuleTest]:
    """Dry run: what the rule (saved, or only written) would do with the mailbox's last
    `last` inbox messages. Nothing is written or sent."""
    from engine.models import RuleTest

    if not 1 <= last <= MAX_TEST:
        raise InvalidInputError(f"test against 1 to {MAX_TEST} messages")
    if spec.id:
        current = await rule(store, agent, spec.id)
        spec = replace(spec, account=current.account)
    visible = await visible_accounts(store, agent.id)
    account_id = await _visible_id(store, visible, spec.account)
    checked = replace(await _checked(store, agent, replace(spec, account_id=account_id)),
                      active=True, enabled_at=None)
    setup = await run.load_setup(store.reader, account_id, rules=(checked,),
                                 with_mode=False, with_ooo=False)
    ids = await rules_sql.inbox_messages(store.reader, account_id, limit=last)
    out: list[RuleTest] = []
    for message_id in ids:
        found = await rules_sql.raw_of(store.reader, message_id)
        target = await rules_sql.target(store.reader, message_id)
        if setup is None or found is None or target is None:
            continue
        facts = await asyncio.to_thread(run.read_stored, found)
        decision = await run.evaluate(store.reader, setup, target, facts, now=run.now(),
                                      live=False, explicit=True)
        verdict = decision.outcomes[-1][1]
        shown = decision.responses[0] if decision.responses else None
        out.append(RuleTest(
            message_id=message_id, date=target.date, from_addr=target.from_addr,
            subject=target.subject, matched=verdict.matched, fired=verdict.fired,
            detail=verdict.detail, response_to=shown.to if shown else "",
            response_subject=shown.subject if shown else "",
            response_text=shown.text if shown else ""))
    return out


async def run_rules(store: Store, agent: Agent, account: str, *, last: int) -> list[RuleOutcome]:
    """Apply the mailbox's active rules to its last `last` inbox messages, old mail
    included: what an admin asks for explicitly. Returns every outcome."""
    if not 1 <= last <= MAX_TEST:
        raise InvalidInputError(f"run over 1 to {MAX_TEST} messages")
    found = await manageable_account(store, agent.id, account)
    ids = await rules_sql.inbox_messages(store.reader, found.id, limit=last)
    async with store.transaction() as db:
        await audit.record(db, agent_id=agent.id, action="rule.run", target_kind="account",
                           target_id=found.id, detail={"account": found.name, "last": last})
    decisions = await run.apply_to(store, found.id, list(reversed(ids)))
    return [o for d in decisions for _, o in d.outcomes]


# -- processing mode --------------------------------------------------------------------------

async def processing_mode(store: Store, agent: Agent, account: str) -> str:
    visible = await visible_accounts(store, agent.id)
    account_id = await _visible_id(store, visible, account)
    mode, _ = await rules_sql.processing_mode(store.reader, account_id)
    return mode


async def set_processing_mode(store: Store, agent: Agent, account: str, mode: str) -> bool:
    """Set what new threads of the mailbox become; False when it was that already."""
    if mode not in MODES:
        raise InvalidInputError(f"the processing mode is one of {', '.join(MODES)}, not "
                                f"{mode!r}")
    found = await manageable_account(store, agent.id, account)
    async with store.transaction() as db:
        changed = await rules_sql.set_processing_mode(db, found.id, mode)
        if changed:
            await audit.record(db, agent_id=agent.id, action="account.processing_mode",
                               target_kind="account", target_id=found.id,
                               detail={"account": found.name, "mode": mode})
    return changed


# -- out of office ----------------------------------------------------------------------------

async def set_out_of_office(store: Store, agent: Agent, spec: OutOfOfficeSpec) -> OutOfOffice:
    """Set the agent's own out of office, or a mailbox's (spec.account)."""
    starts, ends = _moment(spec.starts, "start"), _moment(spec.ends, "end", end=True)
    if starts >= ends:
        raise InvalidInputError("the out of office ends before it starts; check the dates")
    if bool(spec.body.strip()) == bool(spec.template):
        raise InvalidInputError("an out of office needs its text: give a body or a saved "
                                "template's name (one of the two)")
    account_id = None
    if spec.account is not None:
        account_id = (await manageable_account(store, agent.id, spec.account)).id
    elif await agents.by_id(store.reader, agent.id) is None:
        raise NotFoundError("no such agent")
    if spec.body.strip():
        await check_renders(spec.body, agent, html=spec.html, label="out of office")
    if spec.subject.strip():
        await check_renders(spec.subject, agent, html=False, label="out of office subject")
    async with store.transaction() as db:
        template_id = await _template_id(db, spec.template)
        ooo_id = await rules_sql.put_out_of_office(
            db, agent_id=None if account_id else agent.id, account_id=account_id,
            starts=starts, ends=ends, subject=spec.subject.strip(), body=spec.body,
            format="html" if spec.html else "plain", template_id=template_id,
            updated_by=agent.id)
        await audit.record(db, agent_id=agent.id, action="ooo.set",
                           target_kind="out_of_office", target_id=ooo_id,
                           detail={"account": spec.account, "starts": starts, "ends": ends})
        saved = await rules_sql.out_of_office_for(
            db, agent_id=None if account_id else agent.id, account_id=account_id)
    assert saved is not None
    return saved


async def clear_out_of_office(store: Store, agent: Agent, account: str | None) -> bool:
    account_id = None
    if account is not None:
        account_id = (await manageable_account(store, agent.id, account)).id
    async with store.transaction() as db:
        removed = await rules_sql.delete_out_of_office(
            db, agent_id=None if account_id else agent.id, account_id=account_id)
        if removed:
            await audit.record(db, agent_id=agent.id, action="ooo.clear",
                               target_kind="out_of_office", target_id=None,
                               detail={"account": account})
    return removed


async def list_out_of_office(store: Store, agent: Agent) -> list[OutOfOffice]:
    """The agent's own out of office and those of the mailboxes it may see."""
    visible = await visible_accounts(store, agent.id)
    return await rules_sql.out_of_office_list(store.reader, agent_id=agent.id,
                                              account_ids=visible)


def _moment(text: str, what: str, *, end: bool = False) -> str:
    """An ISO date (a whole day: from its start, or to its end) or date-time, as UTC."""
    value = text.strip()
    try:
        if len(value) == 10:
            day = datetime.fromisoformat(value).replace(tzinfo=UTC)
            if end:
                day = day.replace(hour=23, minute=59, second=59)
            return iso_utc(day)
        return iso_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise InvalidInputError(f"the {what} {text!r} is not a date: write 2026-12-24 or "
                                "2026-12-24T09:00") from None
