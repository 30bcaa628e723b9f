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


async def every(db: Db) -> list[Agent]:
    """Every agent, deactivated ones too, by name."""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM agents ORDER BY name")
    return [_agent(r) for r in rows]


async def count_active_admins(db: Db) -> int:
    """How many active agents have the admin role."""
    return int(await db.scalar(
        "SELECT count(*) FROM agents WHERE active = 1 AND role = 'admin'"))


async def set_role(db: Db, agent_id: int, role: str) -> None:
    """Make the agent an `admin` or an `agent`."""
    await db.execute("UPDATE agents SET role = ? WHERE id = ?", (role, agent_id))


async def set_active(db: Db, agent_id: int, active: bool) -> None:
    """Activate or deactivate the agent (its row, and so its history, stays)."""
    await db.execute("UPDATE agents SET active = ? WHERE id = ?", (int(active), agent_id))


async def set_profile(
    db: Db, agent_id: int, *, os_user: str | None, display_name: str, email: str
) -> None:
    """Replace the agent's OS user, display name and email."""
    await db.execute(
        "UPDATE agents SET os_user = ?, display_name = ?, email = ? WHERE id = ?",
        (os_user, display_name, email, agent_id),
    )


async def by_email(db: Db, address: str) -> Agent | None:
    """The active agent whose own email is `address` (any case), if any."""
    row = await db.fetchone(
        f"SELECT {_COLUMNS} FROM agents WHERE active = 1 AND email <> '' "
        "AND email = ? COLLATE NOCASE ORDER BY id LIMIT 1",
        (address.strip(),),
    )
    return None if row is None else _agent(row)


async def owned_accounts(db: Db, agent_id: int, *, enabled_only: bool = False) -> list[str]:
    """Names of the personal accounts the agent owns (with `enabled_only`, those that
    still sync)."""
    rows = await db.fetchall(
        "SELECT name FROM accounts WHERE kind = 'personal' AND owner_agent_id = ? "
        "AND (enabled = 1 OR ? = 0) ORDER BY name", (agent_id, int(enabled_only)))
    return [str(r[0]) for r in rows]


async def disable_owned_accounts(db: Db, agent_id: int) -> int:
    """Stop syncing the agent's personal accounts (their mail stays); how many changed."""
    return await db.execute(
        "UPDATE accounts SET enabled = 0 WHERE kind = 'personal' AND owner_agent_id = ? "
        "AND enabled = 1", (agent_id,))


async def address_holder(db: Db, address: str) -> int | None:
    """The id of the agent an admin assigned `address` to, if any."""
    value = await db.scalar(
        "SELECT agent_id FROM agent_addresses WHERE address = ?", (address.strip(),))
    return None if value is None else int(value)


async def assign_address(
    db: Db, *, agent_id: int, address: str, assigned_by: int | None
) -> None:
    """Give `address` to the agent (an address has one holder at most)."""
    await db.execute(
        "INSERT INTO agent_addresses (address, agent_id, assigned_by) VALUES (?, ?, ?)",
        (address.strip(), agent_id, assigned_by),
    )


async def unassign_address(db: Db, *, agent_id: int, address: str) -> bool:
    """Take `address` back from the agent; False when it did not hold it."""
    changed = await db.execute(
        "DELETE FROM agent_addresses WHERE agent_id = ? AND address = ?",
        (agent_id, address.strip()),
    )
    return changed > 0


async def unassign_all(db: Db, agent_id: int) -> list[str]:
    """Take back every address assigned to the agent; return them."""
    rows = await db.fetchall(
        "DELETE FROM agent_addresses WHERE agent_id = ? RETURNING address", (agent_id,))
    return sorted(str(r[0]) for r in rows)


async def assigned_addresses(
    db: Db, agent_id: int | None = None
) -> list[tuple[str, str, str | None, str]]:
    """(address, holder's name, assigner's name or None, created_at) for the agent's
    assigned addresses, or for everyone's when `agent_id` is None; by holder, address."""
    rows = await db.fetchall(
        "SELECT x.address, a.name, b.name, x.created_at FROM agent_addresses AS x "
        "JOIN agents AS a ON a.id = x.agent_id "
        "LEFT JOIN agents AS b ON b.id = x.assigned_by "
        "WHERE :agent IS NULL OR x.agent_id = :agent "
        "ORDER BY a.name, x.address COLLATE NOCASE",
        {"agent": agent_id},
    )
    return [(str(r[0]), str(r[1]), None if r[2] is None else str(r[2]), str(r[3]))
            for r in rows]
