"""SQL for folders and their counts."""

from __future__ import annotations

from collections.abc import Iterable

from storage.access import ids_param
from storage.db import Db
from storage.records import Folder

# Inbox first, then the other roles in the order mail clients show them, then the rest.
_ROLE_ORDER = """CASE role WHEN 'inbox' THEN 0 WHEN 'drafts' THEN 1 WHEN 'sent' THEN 2
    WHEN 'archive' THEN 3 WHEN 'spam' THEN 4 WHEN 'trash' THEN 5 ELSE 6 END"""


async def list_visible(db: Db, account_ids: Iterable[int]) -> list[Folder]:
    """Folders of the given accounts with their total and unread counts (deleted and
    blocked mail not counted)."""
    rows = await db.fetchall(
        f"""
        SELECT f.id, f.account_id, f.name, f.role,
               count(m.id) AS total,
               coalesce(sum(m.seen = 0), 0) AS unread
          FROM folders AS f
          LEFT JOIN messages AS m
                 ON m.folder_id = f.id AND m.deleted = 0 AND m.blocked = 0
         WHERE f.account_id IN (SELECT value FROM json_each(?))
         GROUP BY f.id
         ORDER BY f.account_id, {_ROLE_ORDER}, f.name COLLATE NOCASE
        """,
        (ids_param(account_ids),),
    )
    return [
        Folder(r["id"], r["account_id"], r["name"], r["role"], r["total"], r["unread"])
        for r in rows
    ]


async def insert(db: Db, *, account_id: int, name: str, role: str | None) -> int:
    """Create a folder; return its id."""
    return await db.insert(
        "INSERT INTO folders (account_id, name, role) VALUES (?, ?, ?)",
        (account_id, name, role),
    )


async def account_of(db: Db, folder_id: int) -> int | None:
    """The account a folder belongs to, if the folder exists."""
    value = await db.scalar("SELECT account_id FROM folders WHERE id = ?", (folder_id,))
    return None if value is None else int(value)
