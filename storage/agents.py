"""SQL for agents."""

from __future__ import annotations

import sqlite3

from storage.db import Db
from storage.records import Agent

_COLUMNS = "id, name, os_user, display_name, email, role, active"


def _agent(row: sqlite3.Row) -> Agent:
    return Agent(
        id=row["id"],
        name=row["name"],
        os_user=row["os_user"],
        display_name=row["display_name"],
        email=row["email"],
        role=row["role"],
        active=bool(row["active"]),
    )


async def count(db: Db) -> int:
    """How many agents the store knows."""
    return int(await db.scalar("SELECT count(*) FROM agents"))


async def active(db: Db) -> list[Agent]:
    """Every active agent, by name."""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM agents WHERE active = 1 ORDER BY name")
    return [_agent(r) for r in rows]


async def by_name(db: Db, name: str) -> Agent | None:
    """The agent called `name`, if any."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM agents WHERE name = ?", (name,))
    return None if row is None else _agent(row)


async def by_os_user(db: Db, os_user: str) -> Agent | None:
    """The agent whose OS account is `os_user`, if any."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM agents WHERE os_user = ?", (os_user,))
    return None if row is None else _agent(row)


async def by_id(db: Db, agent_id: int) -> Agent | None:
    """The agent with this id, if any."""
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM agents WHERE id = ?", (agent_id,))
    return None if row is None else _agent(row)


async def insert(
    db: Db,
    *,
    name: str,
    os_user: str | None,
    role: str,
    display_name: str = "",
    email: str = "",
) -> Agent:
    """Create an agent and return it."""
    agent_id = await db.insert(
        "INSERT INTO agents (name, os_user, display_name, email, role) VALUES (?, ?, ?, ?, ?)",
        (name, os_user, display_name, email, role),
    )
    return Agent(agent_id, name, os_user, display_name, email, role, True)


async def set_main_account(db: Db, *, agent_id: int, account_id: int | None) -> None:
    """The account an agent's new mail goes out from (None: none)."""
    await db.execute("UPDATE agents SET main_account_id = ? WHERE id = ?",
                     (account_id, agent_id))


async def main_account(db: Db, agent_id: int) -> int | None:
    """The id of the agent's main account, if one is set."""
    value = await db.scalar("SELECT main_account_id FROM agents WHERE id = ?", (agent_id,))
    return None if value is None else int(value)


async def owns_address(db: Db, agent_id: int, address: str) -> bool:
    """Whether `address` is the agent's own email or one an admin assigned to it."""
    value = await db.scalar(
        "SELECT 1 FROM agents WHERE id = :agent AND email <> '' AND email = :addr "
        "COLLATE NOCASE UNION ALL SELECT 1 FROM agent_addresses "
        "WHERE agent_id = :agent AND address = :addr LIMIT 1",
        {"agent": agent_id, "addr": address.strip()},
    )
    return value is not None
