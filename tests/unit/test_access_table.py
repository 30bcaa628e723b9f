"""Who sees what, through every Service method.

One row per Service call about mail, accounts or what hangs on them, run by six actors
on a copy of one store (tests/access_world.py): alice (the owner), the admin (no grant),
and bob before alice's grant, with a read-only grant, with a read-and-act grant, and after
it was revoked. Each row's kind says what each actor must get. A refusal must be in the
audit log; a Service method with no row here (and not listed as not about mail) fails
the coverage test.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from engine import refusals
from engine.account_edit import AccountChange
from engine.errors import AccessDeniedError, FrontdeskError, NotFoundError
from engine.listing import Listing
from engine.models import Agent, OutOfOfficeSpec, SmtpChange
from engine.service import LocalService, Service
from tests.access_world import (
    ALICE_LEAD,
    ALICE_MAIL,
    ALICE_SECRET,
    ALICE_TRASHED,
    ALICE_UNREAD,
    CARLA,
    SEARCH_WORD,
    SUPPORT_QUESTION,
    SUPPORT_UNREAD,
    World,
    alice_rule,
    build_world,
    grant_bob,
)

Call = Callable[[LocalService, Agent, World], Awaitable[Any]]

# Kinds of rows, and what each actor gets, in the order of ACTORS.
LIST = "list"  # a listing: alice's mail is in it or not (True/False from the call)
GET = "get"  # one thing of alice's: returned, or missing as if it did not exist
ACT = "act"  # an action on alice's mail: needs a grant with act
OWN = "own"  # the actor's own thing (draft, signature) tied to alice's mailbox
MANAGE = "manage"  # configuring alice's mailbox: hers alone
TEAM = "team"  # team records (customers): everyone, whatever the mail access
AUDIT = "audit"  # the audit log: alice's rows, and every row for the admin
CONFIGURES = "configures"  # what the actor configures: alice's mailbox is hers alone

ACTORS = ("alice", "admin", "bob:before", "bob:read", "bob:act", "bob:revoked")
EXPECTED = {
    LIST: ("shows", "hidden", "hidden", "shows", "shows", "hidden"),
    GET: ("shows", "missing", "missing", "shows", "shows", "missing"),
    ACT: ("ok", "missing", "missing", "denied", "ok", "missing"),
    OWN: ("ok", "missing", "missing", "ok", "ok", "missing"),
    MANAGE: ("ok", "missing", "missing", "denied", "denied", "missing"),
    TEAM: ("ok", "ok", "ok", "ok", "ok", "ok"),
    AUDIT: ("shows", "shows", "hidden", "shows", "shows", "hidden"),
    CONFIGURES: ("shows", "hidden", "hidden", "hidden", "hidden", "hidden"),
}


@dataclass(frozen=True)
class Row:
    method: str
    kind: str
    call: Call
    label: str = ""
    # Past the access check the call needs a server that is not there: its failure
    # then counts as "ok" (it was let through).
    reaches: bool = False

    @property
    def id(self) -> str:
        return f"{self.method}[{self.label}]" if self.label else self.method


def either(value: object, shown: object, hidden: object) -> bool:
    """True when `value` is what shows with alice's mail, False when it is what shows
    without; anything else is a wrong count."""
    assert value in (shown, hidden), f"{value!r}: neither {shown!r} nor {hidden!r}"
    return value == shown


def subjects(rows: Any) -> set[str]:
    return {r.subject for r in rows}


def alice_inbox(w: World) -> int:
    return w.folders[(ALICE_MAIL, "INBOX")]


async def _folders(s: LocalService, a: Agent, w: World) -> bool:
    mine = [f for f in await s.list_folders(a) if f.account_id == w.accounts[ALICE_MAIL]]
    if mine:
        inbox = next(f for f in mine if f.role == "inbox")
        assert (inbox.total, inbox.unread) == (2, ALICE_UNREAD)
    return bool(mine)


async def _unified_unread(s: LocalService, a: Agent, w: World) -> bool:
    unread = sum(f.unread for f in await s.list_folders(a) if f.role == "inbox")
    return either(unread, ALICE_UNREAD + SUPPORT_UNREAD, SUPPORT_UNREAD)


async def _search(s: LocalService, a: Agent, w: World) -> bool:
    found = subjects(await s.list_listing(a, Listing("all", query=SEARCH_WORD)))
    assert SUPPORT_QUESTION in found  # the search works for everyone
    return ALICE_SECRET in found


async def _timeline(s: LocalService, a: Agent, w: World) -> bool:
    timeline = await s.customer_timeline(a, w.carla)
    shows = ALICE_SECRET in subjects(timeline.messages)
    assert SUPPORT_QUESTION in subjects(timeline.messages)
    assert timeline.total == (3 if shows else 1)  # alice's secret and trashed note
    assert (w.case in {c.number for c in timeline.cases}) == shows
    return shows


async def _open(s: LocalService, a: Agent, w: World) -> None:
    view = await s.open_message(a, w.mail[ALICE_SECRET])
    assert view.subject == ALICE_SECRET
    assert [x.filename for x in view.attachments] == ["plan.pdf"]


async def _audit(s: LocalService, a: Agent, w: World) -> bool:
    rows = await s.audit_log(a, limit=1000)
    return any(r.action == "convert.case" and r.agent == "alice" for r in rows)


def _message(subject: str) -> Callable[[World], int]:
    return lambda w: w.mail[subject]


SECRET = _message(ALICE_SECRET)
LEAD_MAIL = _message(ALICE_LEAD)

ROWS: tuple[Row, ...] = (
    # Reads: lists and counts.
    Row("list_accounts", LIST, lambda s, a, w: _has(s.list_accounts(a), "name", ALICE_MAIL)),
    Row("account_settings", LIST,
        lambda s, a, w: _has(s.account_settings(a), "name", ALICE_MAIL)),
    Row("account_standing", LIST,
        lambda s, a, w: _has(s.account_standing(a), "name", ALICE_MAIL)),
    Row("managed_accounts", CONFIGURES,
        lambda s, a, w: _has(s.managed_accounts(a), "name", ALICE_MAIL)),
    Row("status", LIST, lambda s, a, w: _has(s.status(a), "name", ALICE_MAIL)),
    Row("list_folders", LIST, _folders),
    Row("list_folders", LIST, _unified_unread, "unified inbox unread"),
    Row("list_by_spec", LIST,
        lambda s, a, w: _contains(s.list_by_spec(a, "unified:inbox"), ALICE_SECRET)),
    Row("list_listing", LIST, _search, "full-text search"),
    Row("list_listing", LIST, lambda s, a, w: _contains(
        s.list_listing(a, Listing("unified:inbox", threads=True)), ALICE_SECRET), "threads"),
    Row("count_listing", LIST, lambda s, a, w: _count(s.count_listing(
        a, Listing("unified:inbox", unread_only=True)), ALICE_UNREAD + SUPPORT_UNREAD,
        SUPPORT_UNREAD), "unified unread"),
    Row("count_listing", LIST, lambda s, a, w: _count(s.count_listing(
        a, Listing("all", query=SEARCH_WORD)), 4, 1), "search hits"),
    Row("position_in_listing", LIST, lambda s, a, w: _not_none(
        s.position_in_listing(a, Listing("all"), SECRET(w)))),
    Row("customer_timeline", LIST, _timeline),
    Row("list_blocks", LIST, lambda s, a, w: _has(s.list_blocks(a), "id", w.block)),
    Row("list_signatures", LIST,
        lambda s, a, w: _has(s.list_signatures(a), "account", ALICE_MAIL)),
    Row("list_cases", LIST, lambda s, a, w: _has(s.list_cases(a), "number", w.case)),
    Row("list_leads", LIST, lambda s, a, w: _has(s.list_leads(a), "id", w.lead)),
    Row("list_drafts", LIST, lambda s, a, w: _has(s.list_drafts(a), "id", w.drafts[a.name])),
    Row("outbox", LIST, lambda s, a, w: _has(s.outbox(a), "id", w.failed[a.name])),
    Row("address_suggestions", LIST,
        lambda s, a, w: _any_in(s.address_suggestions(a, "dan"), "dan@cust.example")),
    Row("audit_log", AUDIT, _audit),
    # Reads: one thing.
    Row("list_messages", GET,
        lambda s, a, w: _contains(s.list_messages(a, alice_inbox(w)), ALICE_SECRET)),
    Row("list_by_spec", GET,
        lambda s, a, w: _contains(s.list_by_spec(a, f"{ALICE_MAIL}:INBOX"), ALICE_SECRET),
        "account folder"),
    Row("count_messages", GET, lambda s, a, w: _equal(s.count_messages(a, alice_inbox(w)), 2)),
    Row("open_message", GET, _open),
    Row("sender_of", GET, lambda s, a, w: _attr(s.sender_of(a, SECRET(w)), "address", CARLA)),
    Row("render_template", GET, lambda s, a, w: _attr(
        s.render_template(a, "hello", message_id=SECRET(w)), "text",
        f"About: {ALICE_SECRET}")),
    Row("signature", GET, lambda s, a, w: _equal(s.signature(a, ALICE_MAIL), f"-- {a.name}")),
    Row("case", GET, lambda s, a, w: _attr(s.case(a, w.case), "number", w.case)),
    Row("case_messages", GET,
        lambda s, a, w: _contains(s.case_messages(a, w.case), ALICE_SECRET)),
    Row("case_assignees", GET, lambda s, a, w: s.case_assignees(a, w.case)),
    Row("draft", GET, lambda s, a, w: s.draft(a, w.drafts[a.name])),
    Row("account_access", GET, lambda s, a, w: s.account_access(a, ALICE_MAIL)),
    Row("drafts_mirror", GET, lambda s, a, w: s.drafts_mirror(a, ALICE_MAIL)),
    # Actions on alice's mail.
    Row("set_read", ACT, lambda s, a, w: s.set_read(a, SECRET(w), True)),
    Row("set_flagged", ACT, lambda s, a, w: s.set_flagged(a, SECRET(w), True)),
    Row("delete_message", ACT, lambda s, a, w: s.delete_message(a, SECRET(w))),
    Row("list_rules", LIST, lambda s, a, w: _has(s.list_rules(a), "account", ALICE_MAIL)),
    Row("rule", GET, lambda s, a, w: s.rule(a, w.rule)),
    Row("test_rule", GET, lambda s, a, w: s.test_rule(a, alice_rule(0), last=5)),
    Row("rule_outcomes", GET, lambda s, a, w: s.rule_outcomes(a, SECRET(w))),
    Row("processing_mode", GET, lambda s, a, w: s.processing_mode(a, ALICE_MAIL)),
    Row("list_out_of_office", LIST,
        lambda s, a, w: _has(s.list_out_of_office(a), "account", ALICE_MAIL)),
    Row("archive_message", ACT, lambda s, a, w: s.archive_message(a, SECRET(w))),
    Row("restore_message", ACT, lambda s, a, w: s.restore_message(a, w.mail[ALICE_TRASHED])),
    Row("convert", ACT, lambda s, a, w: s.convert(a, LEAD_MAIL(w), "case")),
    Row("pair_sender", ACT, lambda s, a, w: s.pair_sender(a, LEAD_MAIL(w), w.dan_co)),
    Row("block", ACT,
        lambda s, a, w: s.block(a, "address", "new@spam.example", account=ALICE_MAIL)),
    Row("block_sender", ACT, lambda s, a, w: s.block_sender(a, SECRET(w), "domain")),
    Row("unblock", ACT, lambda s, a, w: s.unblock(a, w.block)),
    Row("set_case_status", ACT, lambda s, a, w: s.set_case_status(a, w.case, "closed")),
    Row("set_case_priority", ACT, lambda s, a, w: s.set_case_priority(a, w.case, "high")),
    Row("assign_case", ACT, lambda s, a, w: s.assign_case(a, w.case, None)),
    Row("set_lead_status", ACT, lambda s, a, w: s.set_lead_status(a, w.lead, "contacted")),
    Row("start_draft", ACT,
        lambda s, a, w: s.start_draft(a, "reply", message_id=SECRET(w)), "reply"),
    Row("start_draft", ACT,
        lambda s, a, w: s.start_draft(a, "forward", message_id=SECRET(w)), "forward"),
    Row("start_draft", ACT,
        lambda s, a, w: s.start_draft(a, "new", account=ALICE_MAIL), "new from account"),
    Row("save_draft", ACT, lambda s, a, w: s.save_draft(
        a, w.support_drafts[a.name], to=CARLA, cc="", bcc="", subject="s", body="b",
        account=ALICE_MAIL), "change From"),
    Row("send_draft", ACT, lambda s, a, w: s.send_draft(a, w.drafts[a.name])),
    Row("set_main_account", ACT, lambda s, a, w: s.set_main_account(a, ALICE_MAIL)),
    Row("test_send", ACT, lambda s, a, w: s.test_send(a, ALICE_MAIL, CARLA), reaches=True),
    # The actor's own things, tied to alice's mailbox.
    Row("save_draft", OWN, lambda s, a, w: s.save_draft(
        a, w.drafts[a.name], to=CARLA, cc="", bcc="", subject="s", body="b")),
    Row("attach_file", OWN, lambda s, a, w: s.attach_file(a, w.drafts[a.name],
                                                        str(w.attachment))),
    Row("detach_file", OWN, lambda s, a, w: s.detach_file(a, w.drafts[a.name], 0)),
    Row("discard_draft", OWN, lambda s, a, w: s.discard_draft(a, w.drafts[a.name])),
    Row("reopen_draft", OWN, lambda s, a, w: s.reopen_draft(a, w.failed[a.name])),
    Row("set_signature", OWN,
        lambda s, a, w: s.set_signature(a, "-- me", account=ALICE_MAIL)),
    Row("clear_signature", OWN, lambda s, a, w: s.clear_signature(a, account=ALICE_MAIL)),
    # Configuring alice's mailbox.
    Row("remove_account", MANAGE, lambda s, a, w: s.remove_account(a, ALICE_MAIL)),
    Row("set_account_password", MANAGE,
        lambda s, a, w: s.set_account_password(a, ALICE_MAIL, "pw")),
    Row("test_account", MANAGE, lambda s, a, w: s.test_account(a, ALICE_MAIL), reaches=True),
    Row("account_folders", MANAGE,
        lambda s, a, w: s.account_folders(a, ALICE_MAIL, refresh=False)),
    Row("configure_folders", MANAGE,
        lambda s, a, w: s.configure_folders(a, ALICE_MAIL, sync=["INBOX"])),
    Row("change_account", MANAGE, lambda s, a, w: s.change_account(
        a, ALICE_MAIL, AccountChange(display_name="Alice's mail"))),
    Row("configure_smtp", MANAGE, lambda s, a, w: s.configure_smtp(
        a, ALICE_MAIL, SmtpChange(host="127.0.0.1", port=2, security="none", no_auth=True))),
    Row("set_drafts_mirror", MANAGE, lambda s, a, w: s.set_drafts_mirror(a, ALICE_MAIL, True)),
    Row("smtp_config", MANAGE, lambda s, a, w: s.smtp_config(a, ALICE_MAIL)),
    Row("begin_sign_in", MANAGE, lambda s, a, w: s.begin_sign_in(a, ALICE_MAIL), reaches=True),
    Row("sync", MANAGE, lambda s, a, w: s.sync(a, account=ALICE_MAIL)),
    Row("grant_account", MANAGE, lambda s, a, w: s.grant_account(a, ALICE_MAIL, "admin")),
    Row("revoke_account", MANAGE, lambda s, a, w: s.revoke_account(a, ALICE_MAIL, "bob")),
    Row("share_account", MANAGE,
        lambda s, a, w: s.share_account(a, ALICE_MAIL, roles=["agent"]), reaches=True),
    Row("save_rule", MANAGE, lambda s, a, w: s.save_rule(a, alice_rule(w.rule)), "edit"),
    Row("save_rule", MANAGE, lambda s, a, w: s.save_rule(
        a, replace(alice_rule(0), name="another")), "add"),
    Row("set_rule_active", MANAGE, lambda s, a, w: s.set_rule_active(a, w.rule, False)),
    Row("remove_rule", MANAGE, lambda s, a, w: s.remove_rule(a, w.rule)),
    Row("run_rules", MANAGE, lambda s, a, w: s.run_rules(a, ALICE_MAIL, last=5)),
    Row("set_processing_mode", MANAGE,
        lambda s, a, w: s.set_processing_mode(a, ALICE_MAIL, "case")),
    Row("set_out_of_office", MANAGE, lambda s, a, w: s.set_out_of_office(a, OutOfOfficeSpec(
        starts="2026-01-01", ends="2026-02-01", body="Out", account=ALICE_MAIL))),
    Row("clear_out_of_office", MANAGE,
        lambda s, a, w: s.clear_out_of_office(a, account=ALICE_MAIL)),
    # Team records: customers are everyone's, whatever mail an agent may see.
    Row("find_customers", TEAM,
        lambda s, a, w: _has_strict(s.find_customers(a, "carla"), "id", w.carla)),
    Row("customer", TEAM, lambda s, a, w: s.customer(a, w.carla)),
    Row("add_customer", TEAM, lambda s, a, w: s.add_customer(a, name="New One")),
    Row("pair_address", TEAM, lambda s, a, w: s.pair_address(a, "new@cust.example", w.carla)),
)

# Service methods that read or change nothing of a mailbox, with why.
NOT_ABOUT_MAIL = {
    "login": "names the acting agent",
    "close": "closes the store",
    "store_info": "the store's path and the acting agent",
    "change_marker": "a number that changes on every commit",
    "request_sync": "wakes the running engine; syncs only what it may",
    "add_account": "creates the agent's own account",
    "add_template": "saved replies are the team's",
    "list_templates": "saved replies are the team's",
    "template": "saved replies are the team's",
    "remove_template": "saved replies are the team's",
    "configure_system_smtp": "the system SMTP (admins)",
    "system_smtp": "the system SMTP (admins)",
    "main_account": "the agent's own choice of account; none it no longer sees",
    "add_agent": "agents (admins)",
    "list_agents": "agents",
    "remove_agent": "agents (admins)",
    "set_agent_role": "agents (admins)",
    "add_gateway": "gateways (admins)",
    "remove_gateway": "gateways (admins)",
    "list_gateways": "gateways (admins)",
    "assign_address": "agents' addresses (admins)",
    "unassign_address": "agents' addresses (admins)",
    "agent_addresses": "agents' addresses",
    "authorized_keys_line": "SSH forced commands (admins)",
    "record_refusal": "writes the audit row of a refusal at the edge",
    "get_imap_defaults": "store-wide IMAP defaults",
    "set_imap_defaults": "store-wide IMAP defaults (admins)",
    "oauth_providers": "OAuth2 client registrations",
    "set_oauth_provider": "OAuth2 client registrations (admins)",
    "remove_oauth_provider": "OAuth2 client registrations (admins)",
    "finish_sign_in": "a sign-in the agent itself began",
    "paste_sign_in": "a sign-in the agent itself began",
    "cancel_sign_in": "a sign-in the agent itself began",
    "doctor": "checks the installation and only the accounts the agent configures",
    "discover_account": "asks the network about an address; reads no mail",
}


async def _has(found: Awaitable[Any], attribute: str, value: object) -> bool:
    return any(getattr(item, attribute) == value for item in await found)


async def _has_strict(found: Awaitable[Any], attribute: str, value: object) -> None:
    assert await _has(found, attribute, value)


async def _contains(found: Awaitable[Any], subject: str) -> bool:
    return subject in subjects(await found)


async def _count(found: Awaitable[int], shown: int, hidden: int) -> bool:
    return either(await found, shown, hidden)


async def _not_none(found: Awaitable[object]) -> bool:
    return await found is not None


async def _any_in(found: Awaitable[list[str]], text: str) -> bool:
    return any(text in item for item in await found)


async def _equal(found: Awaitable[object], value: object) -> None:
    assert await found == value


async def _attr(found: Awaitable[object], attribute: str, value: object) -> None:
    assert getattr(await found, attribute) == value


def service_methods() -> set[str]:
    return {n for n, v in vars(Service).items()
            if inspect.iscoroutinefunction(v) and not n.startswith("_")}


# -- the store: built once, copied for every case ---------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, World]:
    root = tmp_path_factory.mktemp("access-world")

    async def build() -> World:
        service = await LocalService.open(root / "store.db")
        try:
            return await build_world(service, root)
        finally:
            await service.close()

    return root, asyncio.run(build())


@pytest.fixture
async def fresh(template: tuple[Path, World], tmp_path: Path) -> AsyncIterator[World]:
    root, built = template
    copy = tmp_path / "store"
    shutil.copytree(root, copy)
    service = await LocalService.open(copy / "store.db")
    yield replace(built, service=service)
    await service.close()


async def outcome(row: Row, world: World, who: str) -> str:
    try:
        result = await row.call(world.service, world.agent(who), world)
    except AccessDeniedError:
        return "denied"
    except NotFoundError:
        return "missing"
    except FrontdeskError:
        if row.reaches:
            return "ok"
        raise
    if row.kind in (LIST, AUDIT, CONFIGURES):
        return "shows" if result else "hidden"
    return "shows" if row.kind == GET else "ok"


async def newest_row(world: World) -> int:
    (row,) = await world.service.audit_log(world.agent("admin"), limit=1)
    return row.id


async def refusals_since(world: World, row_id: int) -> list[tuple[str, dict[str, Any]]]:
    """Agent and detail of the refusals written after the audit row `row_id`."""
    rows = await world.service.audit_log(world.agent("admin"), limit=100)
    return [(r.agent, json.loads(r.detail)) for r in rows
            if r.id > row_id and r.action == refusals.ACTION]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
async def test_who_sees_what(fresh: World, row: Row, actor: str) -> None:
    who, _, phase = actor.partition(":")
    await grant_bob(fresh, phase or "read")
    since = await newest_row(fresh)
    got = await outcome(row, fresh, who)
    assert got == EXPECTED[row.kind][ACTORS.index(actor)]
    written = await refusals_since(fresh, since)
    if got in ("denied", "missing"):
        ((agent, detail),) = written  # the refusal is in the audit log, once
        assert (agent, detail["method"]) == (who, row.method)
    else:
        assert written == []


def test_every_service_method_has_a_row() -> None:
    rows = {row.method for row in ROWS}
    assert not rows & NOT_ABOUT_MAIL.keys()
    assert service_methods() == rows | NOT_ABOUT_MAIL.keys(), (
        "a Service method needs a row in ROWS (or a reason in NOT_ABOUT_MAIL)")


def test_every_agent_method_audits_its_refusals() -> None:
    for name in service_methods():
        method = getattr(LocalService, name)
        takes_agent = list(inspect.signature(method).parameters)[1:2] == ["agent"]
        assert refusals.audited(method) == takes_agent, name
