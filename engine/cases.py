"""Converting threads to leads and cases, and finding cases (their changes:
engine.case_changes).

A conversion is built from the thread's first message (the earliest-dated one the agent
may see), whatever message of the thread the agent started from, and it covers the whole
thread: mail that joins the thread later is the case's too. A thread is converted at
most once per kind; converting again returns what the first conversion made.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from engine.access import require_act, require_act_on_any, visible_accounts
from engine.errors import AccessDeniedError, GoneError, InvalidInputError, NotFoundError
from engine.names import person_name
from storage import Db, Store, agents, audit, threads
from storage import cases as cases_sql
from storage import leads as leads_sql
from storage.cases import SourceMessage

if TYPE_CHECKING:
    from engine.models import Agent, Case, Conversion, MessageSummary

KINDS = ("lead", "case")
STATUSES = ("open", "pending", "closed")
NO_SUBJECT = "(no subject)"

_REF = re.compile(r"c-0*(?P<number>\d{1,15})|(?P<id>\d{1,15})", re.IGNORECASE)


async def convert(store: Store, agent: Agent, message_id: int, kind: str) -> Conversion:
    """Convert the thread of a message the agent may see into a lead or a case."""
    if kind not in KINDS:
        raise InvalidInputError(f"cannot convert to {kind!r}: choose lead or case")
    visible = await visible_accounts(store, agent.id)
    before = await cases_sql.source_message(store.reader, message_id=message_id,
                                            account_ids=visible)
    if before is None:
        raise NotFoundError(f"message {message_id} not found")
    await require_act(store, agent.id, before.account_id,
                      missing=f"message {message_id} not found")
    async with store.transaction() as db:
        source = await cases_sql.source_message(db, message_id=message_id,
                                                account_ids=visible)
        if source is None or source.deleted:
            raise GoneError(
                f"message {message_id} is gone: another agent deleted it or it vanished "
                "from the server; nothing changed"
            )
        thread_id = source.thread_id or await cases_sql.give_thread(db, source)
        made = await _existing(db, kind, thread_id)
        if made is not None:
            return made
        first = await cases_sql.first_of_thread(db, thread_id=thread_id,
                                                account_ids=visible) or source
        if kind == "lead":
            return await _new_lead(db, agent.id, first, thread_id, message_id)
        return await _new_case(db, agent.id, first, thread_id, message_id)


async def convert_on_arrival(db: Db, account_id: int, message_id: int,
                             kind: str) -> Conversion | None:
    """A mailbox's processing mode at work: convert the new thread a message just started
    (inside the transaction `db` that applies its rules); no agent is the creator or the
    assignee. None when the message is gone."""
    source = await cases_sql.source_message(db, message_id=message_id,
                                            account_ids=(account_id,))
    if source is None or source.deleted:
        return None
    thread_id = source.thread_id or await cases_sql.give_thread(db, source)
    made = await _existing(db, kind, thread_id)
    if made is not None:
        return made
    if kind == "lead":
        return await _new_lead(db, None, source, thread_id, message_id)
    return await _new_case(db, None, source, thread_id, message_id)


async def _existing(db: Db, kind: str, thread_id: int) -> Conversion | None:
    from engine.models import Conversion

    if kind == "lead":
        lead = await leads_sql.by_thread(db, thread_id)
        return None if lead is None else Conversion("lead", lead.id, lead.name, False)
    case = await cases_sql.by_thread(db, thread_id)
    return None if case is None else Conversion("case", case.id, case.number, False)


async def _new_lead(
    db: Db, agent_id: int | None, first: SourceMessage, thread_id: int, message_id: int
) -> Conversion:
    from engine.models import Conversion

    email = first.from_addr.strip().lower()
    name = person_name(first.from_name, email) or email
    lead_id = await leads_sql.insert(
        db, name=name, email=email, company=first.company, customer_id=first.customer_id,
        thread_id=thread_id, source_message_id=first.id, created_by=agent_id,
    )
    if lead_id is None:  # another connection converted the thread first
        return await _conflict(db, "lead", thread_id)
    await audit.record(
        db, agent_id=agent_id, action="convert.lead", target_kind="lead", target_id=lead_id,
        detail={"message_id": message_id, "source_message_id": first.id,
                "thread_id": thread_id, "name": name, "email": email},
    )
    return Conversion("lead", lead_id, name, True)


async def _new_case(
    db: Db, agent_id: int | None, first: SourceMessage, thread_id: int, message_id: int
) -> Conversion:
    from engine.models import Conversion

    case_id = await cases_sql.create(
        db, subject=first.subject.strip() or NO_SUBJECT, thread_id=thread_id,
        assignee_id=agent_id, customer_id=first.customer_id, source_message_id=first.id,
        created_by=agent_id,
    )
    if case_id is None:  # another connection converted the thread first
        return await _conflict(db, "case", thread_id)
    number = cases_sql.number_for(case_id)
    await audit.record(
        db, agent_id=agent_id, action="convert.case", target_kind="case", target_id=case_id,
        detail={"message_id": message_id, "source_message_id": first.id,
                "thread_id": thread_id, "number": number},
    )
    return Conversion("case", case_id, number, True)


async def _conflict(db: Db, kind: str, thread_id: int) -> Conversion:
    made = await _existing(db, kind, thread_id)
    if made is None:  # the constraint refused the row, so the row exists
        raise NotFoundError(f"the {kind} of thread {thread_id} vanished; try again")
    return made


async def list_cases(store: Store, agent: Agent, *, status: str | None) -> list[Case]:
    """The cases the agent may see, most recently updated first; only those with
    `status` when given."""
    if status is not None:
        check_status(status)
    agent_id, visible = await viewer(store, agent)
    return await cases_sql.list_visible(store.reader, agent_id=agent_id,
                                        account_ids=visible, status=status)


async def get(store: Store, agent: Agent, ref: str) -> Case:
    """A case the agent may see, by number ("C-000012", "c-12") or id ("12")."""
    agent_id, visible = await viewer(store, agent)
    return await find(store, agent_id, visible, ref)


async def case_messages(store: Store, agent: Agent, ref: str) -> list[MessageSummary]:
    """The messages of a case's threads that the agent may see and that are not deleted,
    oldest first."""
    agent_id, visible = await viewer(store, agent)
    case = await find(store, agent_id, visible, ref)
    return await cases_sql.thread_messages(store.reader, thread_ids=case.thread_ids,
                                           account_ids=visible)


async def find(store: Store, agent_id: int, visible: frozenset[int], ref: str) -> Case:
    text = ref.strip()
    match = _REF.fullmatch(text)
    if match is None:
        raise InvalidInputError(
            f"{ref!r} is not a case: give its number (C-000012) or its id (12)"
        )
    if match["id"] is not None:
        case = await cases_sql.visible_by_id(
            store.reader, case_id=int(match["id"]), agent_id=agent_id, account_ids=visible
        )
    else:
        case = await cases_sql.visible_by_number(
            store.reader, number=cases_sql.number_for(int(match["number"])),
            agent_id=agent_id, account_ids=visible,
        )
    if case is None:
        raise NotFoundError(f"case {text} not found; see `frontdesk case list`")
    return case


async def require_act_on_mail(
    store: Store, agent_id: int, what: str, *, thread_ids: Iterable[int],
    message_ids: Iterable[int],
) -> None:
    """Let a change to a case or a lead (`what`: "case C-000012") go ahead only for an
    agent who may act on an account holding its mail (its threads, its source message).
    Its creator or assignee who may no longer see that mail is refused too; a record
    whose mail has all left the store is only a record, and anyone who sees it may
    change it."""
    holders = await threads.accounts_of(store.reader, thread_ids=thread_ids,
                                        message_ids=message_ids)
    if not holders:
        return
    if not holders & await visible_accounts(store, agent_id):
        raise AccessDeniedError(
            f"you may no longer see the mail of {what}; ask the owner of its mailbox (or "
            "an admin) for access")
    await require_act_on_any(store, agent_id, holders, missing=f"{what} not found")


async def viewer(store: Store, agent: Agent) -> tuple[int, frozenset[int]]:
    """The agent id to match creators and assignees with, and the visible accounts. A
    deactivated or unknown agent sees nothing (id 0 matches no agent)."""
    current = await agents.by_id(store.reader, agent.id)
    if current is None or not current.active:
        return 0, frozenset()
    return current.id, await visible_accounts(store, agent.id)


def check_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidInputError(f"case status {status!r} is not one of {', '.join(STATUSES)}")
