"""SQL for leads: people a thread was converted into, to be followed up as sales.

A thread becomes at most one lead (leads.thread_id is UNIQUE). A lead is visible to an
agent when its source message is in an account the agent may see, or the agent made it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from storage.access import ids_param
from storage.db import Db
from storage.records import Lead

_COLUMNS = """l.id, l.name, l.email, l.company, l.status, l.customer_id, l.thread_id,
       l.source_message_id, l.created_by, l.created_at"""

_VISIBLE = """(l.created_by = :agent OR EXISTS (
           SELECT 1 FROM messages AS src WHERE src.id = l.source_message_id
              AND src.account_id IN (SELECT value FROM json_each(:accounts))))"""


def _lead(row: sqlite3.Row) -> Lead:
    return Lead(
        id=row["id"],
        name=row["name"],
        email=row["email"],
        company=row["company"],
        status=row["status"],
        customer_id=row["customer_id"],
        thread_id=row["thread_id"],
        source_message_id=row["source_message_id"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


async def insert(
    db: Db,
    *,
    name: str,
    email: str,
    company: str,
    customer_id: int | None,
    thread_id: int,
    source_message_id: int,
    created_by: int | None,
) -> int | None:
    """Create a lead for a thread; return its id, or None (writing nothing) when the
    thread already has a lead, made a moment ago by another connection perhaps."""
    row = await db.fetchone(
        "INSERT INTO leads (name, email, company, customer_id, thread_id, source_message_id, "
        "created_by) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (thread_id) DO NOTHING "
        "RETURNING id",
        (name, email, company, customer_id, thread_id, source_message_id, created_by),
    )
    return None if row is None else int(row[0])


async def by_thread(db: Db, thread_id: int) -> Lead | None:
    """The lead a thread was converted into, whoever may see it."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM leads AS l WHERE l.thread_id = ?",
                            (thread_id,))
    return None if row is None else _lead(row)


async def list_visible(
    db: Db, *, agent_id: int, account_ids: Iterable[int], customer_id: int | None = None,
    status: str | None = None,
) -> list[Lead]:
    """The leads the agent may see (of one customer, with one status, when given),
    newest first."""
    customer = "AND l.customer_id = :customer" if customer_id is not None else ""
    with_status = "AND l.status = :status" if status is not None else ""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM leads AS l WHERE {_VISIBLE} {customer} {with_status} "
        "ORDER BY l.created_at DESC, l.id DESC",
        {"agent": agent_id, "accounts": ids_param(account_ids), "customer": customer_id,
         "status": status},
    )
    return [_lead(r) for r in rows]


async def visible_by_id(db: Db, *, lead_id: int, agent_id: int,
                        account_ids: Iterable[int]) -> Lead | None:
    """One lead, if the agent may see it."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM leads AS l WHERE l.id = :id AND {_VISIBLE}",
        {"id": lead_id, "agent": agent_id, "accounts": ids_param(account_ids)},
    )
    return None if row is None else _lead(row)


async def set_status(db: Db, *, lead_id: int, status: str) -> str | None:
    """Give a lead a new status; the status it had, or None when nothing changed."""
    was = await db.scalar("SELECT status FROM leads WHERE id = ?", (lead_id,))
    if was is None or was == status:
        return None
    await db.execute("UPDATE leads SET status = ? WHERE id = ?", (status, lead_id))
    return str(was)
