"""SQL for cases and the threads attached to them, and for the message a lead or a case
is converted from.

A thread belongs to at most one case (case_threads.thread_id is UNIQUE), so whatever
joins the thread later is the case's. A case is visible to an agent when its source
message is in an account the agent may see, or the agent made it, or it is assigned to
the agent.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from storage import threads
from storage.access import ids_param
from storage.db import Db
from storage.messages import SUMMARY_COLUMNS, SUMMARY_JOIN, summary
from storage.records import Case, MessageSummary

NUMBER_PREFIX = "C-"

_COLUMNS = """c.id, c.number, c.subject, c.status, c.priority, c.assignee_id,
       coalesce(a.name, '') AS assignee, c.customer_id, c.source_message_id,
       (SELECT json_group_array(thread_id) FROM (
            SELECT thread_id FROM case_threads WHERE case_id = c.id ORDER BY thread_id)
       ) AS thread_ids,
       c.created_by, c.created_at, c.updated_at"""
_FROM = "FROM cases AS c LEFT JOIN agents AS a ON a.id = c.assignee_id"

_VISIBLE = """(c.created_by = :agent OR c.assignee_id = :agent OR EXISTS (
           SELECT 1 FROM messages AS src WHERE src.id = c.source_message_id
              AND src.account_id IN (SELECT value FROM json_each(:accounts))))"""


@dataclass(frozen=True)
class SourceMessage:
    """What converting needs of a message: its thread, its sender and the customer the
    sender is paired with."""

    id: int
    account_id: int
    thread_id: int | None
    message_id: str | None  # the Message-ID header
    subject: str
    from_name: str
    from_addr: str
    date: str
    deleted: bool
    customer_id: int | None
    company: str  # the paired customer's company; "" when unpaired


def number_for(sequence: int) -> str:
    """The case number of the n-th case: "C-000012"."""
    return f"{NUMBER_PREFIX}{sequence:06d}"


def _case(row: sqlite3.Row) -> Case:
    return Case(
        id=row["id"],
        number=row["number"],
        subject=row["subject"],
        status=row["status"],
        priority=row["priority"],
        assignee_id=row["assignee_id"],
        assignee=row["assignee"],
        customer_id=row["customer_id"],
        source_message_id=row["source_message_id"],
        thread_ids=tuple(int(t) for t in json.loads(row["thread_ids"])),
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _source(row: sqlite3.Row) -> SourceMessage:
    return SourceMessage(
        id=row["id"],
        account_id=row["account_id"],
        thread_id=row["thread_id"],
        message_id=row["message_id"],
        subject=row["subject"],
        from_name=row["from_name"],
        from_addr=row["from_addr"],
        date=row["date"],
        deleted=bool(row["deleted"]),
        customer_id=row["customer_id"],
        company=row["company"] or "",
    )


_SOURCE_SELECT = """
    SELECT m.id, m.account_id, m.thread_id, m.message_id, m.subject, m.from_name,
           m.from_addr, m.date, m.deleted, ca.customer_id, cu.company
      FROM messages AS m
      LEFT JOIN customer_addresses AS ca ON ca.address = m.from_addr
      LEFT JOIN customers AS cu ON cu.id = ca.customer_id"""


async def source_message(
    db: Db, *, message_id: int, account_ids: Iterable[int]
) -> SourceMessage | None:
    """One message, deleted or not, if the agent may see its account."""
    row = await db.fetchone(
        f"{_SOURCE_SELECT} WHERE m.id = ? AND m.account_id IN (SELECT value FROM json_each(?))",
        (message_id, ids_param(account_ids)),
    )
    return None if row is None else _source(row)


async def first_of_thread(
    db: Db, *, thread_id: int, account_ids: Iterable[int]
) -> SourceMessage | None:
    """The earliest-dated message of a thread among those the agent may see and that are
    not deleted."""
    row = await db.fetchone(
        f"{_SOURCE_SELECT} WHERE m.thread_id = ? AND m.deleted = 0 "
        "AND m.account_id IN (SELECT value FROM json_each(?)) ORDER BY m.date, m.id LIMIT 1",
        (thread_id, ids_param(account_ids)),
    )
    return None if row is None else _source(row)


async def give_thread(db: Db, source: SourceMessage) -> int:
    """Start a thread of its own for a message that has none; return its id. Its
    Message-ID is recorded, so replies arriving later join it. Must run inside a
    transaction."""
    (thread_id,) = await threads.create_many(db, [source.subject])
    await db.execute("UPDATE messages SET thread_id = ? WHERE id = ?", (thread_id, source.id))
    if source.message_id:
        await threads.add_refs(db, [(source.message_id, thread_id)])
    return thread_id


async def create(
    db: Db,
    *,
    subject: str,
    thread_id: int,
    assignee_id: int | None,
    customer_id: int | None,
    source_message_id: int,
    created_by: int | None,
) -> int | None:
    """Create an open case of normal priority holding one thread; return its id, or None
    (writing nothing) when the thread already belongs to a case, attached a moment ago by
    another connection perhaps. Must run inside a transaction: the number is the next
    sequence value, read and used under the write lock."""
    case_id = int(await db.scalar("SELECT coalesce(max(id), 0) FROM cases")) + 1
    await db.execute("SAVEPOINT new_case")
    await db.execute(
        "INSERT INTO cases (id, number, subject, assignee_id, customer_id, source_message_id, "
        "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (case_id, number_for(case_id), subject, assignee_id, customer_id, source_message_id,
         created_by),
    )
    linked = await db.execute(
        "INSERT INTO case_threads (case_id, thread_id) VALUES (?, ?) "
        "ON CONFLICT (thread_id) DO NOTHING",
        (case_id, thread_id),
    )
    if not linked:
        await db.execute("ROLLBACK TO new_case")
    await db.execute("RELEASE new_case")
    return case_id if linked else None


async def by_thread(db: Db, thread_id: int) -> Case | None:
    """The case a thread belongs to, whoever may see it."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} {_FROM} "
        "WHERE c.id = (SELECT case_id FROM case_threads WHERE thread_id = ?)",
        (thread_id,),
    )
    return None if row is None else _case(row)


async def visible_by_id(
    db: Db, *, case_id: int, agent_id: int, account_ids: Iterable[int]
) -> Case | None:
    """A case by id, if the agent may see it."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} {_FROM} WHERE c.id = :id AND {_VISIBLE}",
        {"id": case_id, "agent": agent_id, "accounts": ids_param(account_ids)},
    )
    return None if row is None else _case(row)


async def visible_by_number(
    db: Db, *, number: str, agent_id: int, account_ids: Iterable[int]
) -> Case | None:
    """A case by number ("C-000012"), if the agent may see it."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} {_FROM} WHERE c.number = :number AND {_VISIBLE}",
        {"number": number, "agent": agent_id, "accounts": ids_param(account_ids)},
    )
    return None if row is None else _case(row)


async def list_visible(
    db: Db,
    *,
    agent_id: int,
    account_ids: Iterable[int],
    status: str | None = None,
    customer_id: int | None = None,
) -> list[Case]:
    """The cases the agent may see (with one status, of one customer, when given), most
    recently updated first."""
    terms = [_VISIBLE]
    if status is not None:
        terms.append("c.status = :status")
    if customer_id is not None:
        terms.append("c.customer_id = :customer")
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} {_FROM} WHERE {' AND '.join(terms)} "
        "ORDER BY c.updated_at DESC, c.id DESC",
        {"agent": agent_id, "accounts": ids_param(account_ids), "status": status,
         "customer": customer_id},
    )
    return [_case(r) for r in rows]


async def set_status(db: Db, *, case_id: int, status: str) -> str | None:
    """Give a case a new status and touch its updated_at; return the status it had, or
    None when nothing changed (it already had that status, or it does not exist). Must
    run inside a transaction."""
    was = await _set(db, case_id, "status", status)
    return None if was is _UNCHANGED else str(was)


async def set_priority(db: Db, *, case_id: int, priority: str) -> str | None:
    """As set_status, for the priority."""
    was = await _set(db, case_id, "priority", priority)
    return None if was is _UNCHANGED else str(was)


async def set_assignee(db: Db, *, case_id: int, assignee_id: int | None) -> bool:
    """Give a case to an agent (None: to nobody) and touch its updated_at. True when it
    changed."""
    return await _set(db, case_id, "assignee_id", assignee_id) is not _UNCHANGED


_UNCHANGED = object()
_SETTABLE = frozenset({"status", "priority", "assignee_id"})


async def _set(db: Db, case_id: int, column: str, value: object) -> object:
    """Set one column of a case; its old value, or _UNCHANGED (same value, no case)."""
    if column not in _SETTABLE:
        raise ValueError(f"cases.{column} cannot be set here")
    row = await db.fetchone(f"SELECT {column} FROM cases WHERE id = ?", (case_id,))
    if row is None or row[0] == value:
        return _UNCHANGED
    await db.execute(
        f"UPDATE cases SET {column} = ?, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
        (value, case_id),
    )
    return row[0]


async def threads_have_visible_mail(
    db: Db, *, thread_ids: Iterable[int], account_ids: Iterable[int]
) -> bool:
    """Whether any undeleted message of these threads is in one of the accounts."""
    found = await db.scalar(
        "SELECT 1 FROM messages WHERE thread_id IN (SELECT value FROM json_each(?)) "
        "AND deleted = 0 AND account_id IN (SELECT value FROM json_each(?)) LIMIT 1",
        (ids_param(thread_ids), ids_param(account_ids)),
    )
    return found is not None


async def thread_messages(
    db: Db, *, thread_ids: Iterable[int], account_ids: Iterable[int]
) -> list[MessageSummary]:
    """The messages of these threads that the agent may see and that are not deleted,
    oldest first."""
    rows = await db.fetchall(
        f"""
        SELECT {SUMMARY_COLUMNS}, 1 AS thread_count
          FROM messages AS m {SUMMARY_JOIN}
         WHERE m.thread_id IN (SELECT value FROM json_each(?)) AND m.deleted = 0
           AND m.account_id IN (SELECT value FROM json_each(?))
         ORDER BY m.date, m.id
        """,
        (ids_param(thread_ids), ids_param(account_ids)),
    )
    return [summary(r) for r in rows]
