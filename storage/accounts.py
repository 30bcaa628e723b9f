"""SQL for accounts."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from storage.access import ids_param
from storage.db import Db
from storage.records import Account

_COLUMNS = "id, name, display_name, email, kind, owner_agent_id"


def _account(row: sqlite3.Row) -> Account:
    return Account(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        email=row["email"],
        kind=row["kind"],
        owner_agent_id=row["owner_agent_id"],
    )


async def list_visible(db: Db, account_ids: Iterable[int]) -> list[Account]:
    """The accounts among `account_ids`, shared ones first, then by name."""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM accounts WHERE id IN (SELECT value FROM json_each(?)) "
        "ORDER BY kind = 'personal', name COLLATE NOCASE",
        (ids_param(account_ids),),
    )
    return [_account(r) for r in rows]


async def by_name(db: Db, name: str) -> Account | None:
    """The account called `name`, if any (no access check: for setup and admin paths)."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM accounts WHERE name = ?", (name,))
    return None if row is None else _account(row)


async def insert(
    db: Db,
    *,
    name: str,
    email: str,
    kind: str,
    owner_agent_id: int | None,
    display_name: str = "",
) -> Account:
    """Create an account and return it."""
    account_id = await db.insert(
        "INSERT INTO accounts (name, display_name, email, kind, owner_agent_id) "
        "VALUES (?, ?, ?, ?, ?)",
        (name, display_name, email, kind, owner_agent_id),
    )
    return Account(account_id, name, display_name, email, kind, owner_agent_id)
