"""SQL for the audit log: who did what, when; and who may read which rows."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from storage.access import ids_param
from storage.db import Db


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log. `detail` is the row's JSON text, as written."""

    id: int
    at: str
    agent_id: int | None
    agent: str  # the agent's name; "" when it is gone
    action: str
    target_kind: str
    target_id: int | None
    detail: str


async def record(
    db: Db,
    *,
    agent_id: int | None,
    action: str,
    target_kind: str = "",
    target_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append one audit row inside the caller's transaction; return its id."""
    return await db.insert(
        "INSERT INTO audit_log (agent_id, action, target_kind, target_id, detail) "
        "VALUES (?, ?, ?, ?, ?)",
        (agent_id, action, target_kind, target_id, json.dumps(detail or {})),
    )


_VISIBLE_MAIL = "IN (SELECT value FROM json_each(:accounts))"

# A row is an agent's to read when the agent wrote it, or when its target is something
# the agent may see: a message of, or one of, its accounts; a case or a lead with mail
# of its threads there.
_READABLE = f"""(l.agent_id = :agent
    OR (l.target_kind = 'message' AND EXISTS (
            SELECT 1 FROM messages AS m WHERE m.id = l.target_id
               AND m.account_id {_VISIBLE_MAIL}))
    OR (l.target_kind = 'account' AND l.target_id {_VISIBLE_MAIL})
    OR (l.target_kind = 'case' AND EXISTS (
            SELECT 1 FROM case_threads AS ct JOIN messages AS m ON m.thread_id = ct.thread_id
             WHERE ct.case_id = l.target_id AND m.account_id {_VISIBLE_MAIL}))
    OR (l.target_kind = 'lead' AND EXISTS (
            SELECT 1 FROM leads AS ld JOIN messages AS m ON m.thread_id = ld.thread_id
             WHERE ld.id = l.target_id AND m.account_id {_VISIBLE_MAIL})))"""


def _entry(row: sqlite3.Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"], at=row["at"], agent_id=row["agent_id"], agent=row["agent"] or "",
        action=row["action"], target_kind=row["target_kind"], target_id=row["target_id"],
        detail=row["detail"],
    )


async def entries(
    db: Db, *, agent_id: int | None, account_ids: Iterable[int], limit: int,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Rows newest first, below `before_id` when given. With `agent_id` None, every row
    (an admin's view); else only the rows that agent may read (see _READABLE) given the
    accounts it may see."""
    terms = ["(:before IS NULL OR l.id < :before)"]
    if agent_id is not None:
        terms.append(_READABLE)
    rows = await db.fetchall(
        f"""
        SELECT l.id, l.at, l.agent_id, a.name AS agent, l.action, l.target_kind,
               l.target_id, l.detail
          FROM audit_log AS l LEFT JOIN agents AS a ON a.id = l.agent_id
         WHERE {' AND '.join(terms)}
         ORDER BY l.id DESC LIMIT :limit
        """,
        {"agent": agent_id, "accounts": ids_param(account_ids), "before": before_id,
         "limit": max(0, limit)},
    )
    return [_entry(r) for r in rows]
