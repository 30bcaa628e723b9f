"""The life of a case: its status (close, reopen, pending), its priority and its
assignee. Each change is one transaction with its audit row; setting what a case already
has changes nothing and succeeds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.access import visible_accounts
from engine.cases import check_status, find, require_act_on_mail, viewer
from engine.errors import InvalidInputError, NotFoundError
from storage import Store, audit
from storage import agents as agents_sql
from storage import cases as cases_sql

if TYPE_CHECKING:
    from engine.models import Agent, Case

PRIORITIES = ("low", "normal", "high", "urgent")


async def set_status(store: Store, agent: Agent, ref: str, status: str) -> Case:
    """Open (reopen), set pending or close a case."""
    check_status(status)
    agent_id, visible = await viewer(store, agent)
    case = await _changeable(store, agent_id, visible, ref)
    async with store.transaction() as db:
        was = await cases_sql.set_status(db, case_id=case.id, status=status)
        if was is not None:
            await audit.record(
                db, agent_id=agent.id, action="case.status", target_kind="case",
                target_id=case.id, detail={"number": case.number, "from": was, "to": status},
            )
    return await _now(store, agent_id, visible, case)


async def set_priority(store: Store, agent: Agent, ref: str, priority: str) -> Case:
    """Give a case one of PRIORITIES."""
    if priority not in PRIORITIES:
        raise InvalidInputError(
            f"case priority {priority!r} is not one of {', '.join(PRIORITIES)}")
    agent_id, visible = await viewer(store, agent)
    case = await _changeable(store, agent_id, visible, ref)
    async with store.transaction() as db:
        was = await cases_sql.set_priority(db, case_id=case.id, priority=priority)
        if was is not None:
            await audit.record(
                db, agent_id=agent.id, action="case.priority", target_kind="case",
                target_id=case.id,
                detail={"number": case.number, "from": was, "to": priority},
            )
    return await _now(store, agent_id, visible, case)


async def assign(store: Store, agent: Agent, ref: str, assignee: str | None) -> Case:
    """Give a case to an active agent who may see its mail, by name; None or "" leaves
    it with nobody."""
    agent_id, visible = await viewer(store, agent)
    case = await _changeable(store, agent_id, visible, ref)
    target_id: int | None = None
    if assignee:
        target_id = (await _assignable(store, case, assignee)).id
    async with store.transaction() as db:
        if await cases_sql.set_assignee(db, case_id=case.id, assignee_id=target_id):
            await audit.record(
                db, agent_id=agent.id, action="case.assign", target_kind="case",
                target_id=case.id,
                detail={"number": case.number, "from": case.assignee or None,
                        "to": assignee or None},
            )
    return await _now(store, agent_id, visible, case)


async def assignees(store: Store, agent: Agent, ref: str) -> list[str]:
    """The names of the agents a case can be given to: active, and able to see its mail."""
    agent_id, visible = await viewer(store, agent)
    case = await find(store, agent_id, visible, ref)
    names = []
    for candidate in await agents_sql.active(store.reader):
        if await _sees_mail_of(store, candidate.id, case):
            names.append(candidate.name)
    return names


async def _changeable(store: Store, agent_id: int, visible: frozenset[int], ref: str) -> Case:
    """A case the agent may see and change: one whose mail it may act on."""
    case = await find(store, agent_id, visible, ref)
    await require_act_on_mail(
        store, agent_id, f"case {case.number}", thread_ids=case.thread_ids,
        message_ids=() if case.source_message_id is None else (case.source_message_id,))
    return case


async def _assignable(store: Store, case: Case, name: str) -> Agent:
    candidate = await agents_sql.by_name(store.reader, name.strip())
    if candidate is None or not candidate.active:
        raise NotFoundError(f"agent {name!r} not found; an active agent's name is needed")
    if not await _sees_mail_of(store, candidate.id, case):
        raise InvalidInputError(
            f"{candidate.name} cannot see the mail of case {case.number}: give them "
            "access to its mailbox first, or choose another agent")
    return candidate


async def _sees_mail_of(store: Store, agent_id: int, case: Case) -> bool:
    if not case.thread_ids:
        return True
    return await cases_sql.threads_have_visible_mail(
        store.reader, thread_ids=case.thread_ids,
        account_ids=await visible_accounts(store, agent_id))


async def _now(store: Store, agent_id: int, visible: frozenset[int], case: Case) -> Case:
    now = await cases_sql.visible_by_id(store.reader, case_id=case.id, agent_id=agent_id,
                                        account_ids=visible)
    return now or case
