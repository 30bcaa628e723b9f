"""SQL for gateways: OS users that may name the acting agent with --agent.

A gateway is a login shared by a team over SSH, where each key's authorized_keys forced
command says which agent it belongs to.
"""

from __future__ import annotations

from storage.db import Db


async def add(db: Db, *, os_user: str, added_by: int | None) -> bool:
    """Make `os_user` a gateway; False when it was one already."""
    changed = await db.execute(
        "INSERT INTO agent_gateways (os_user, added_by) VALUES (?, ?) "
        "ON CONFLICT (os_user) DO NOTHING",
        (os_user, added_by),
    )
    return changed > 0


async def remove(db: Db, os_user: str) -> bool:
    """Stop treating `os_user` as a gateway; False when it was not one."""
    changed = await db.execute("DELETE FROM agent_gateways WHERE os_user = ?", (os_user,))
    return changed > 0


async def is_gateway(db: Db, os_user: str) -> bool:
    """Whether `os_user` may name the acting agent."""
    value = await db.scalar("SELECT 1 FROM agent_gateways WHERE os_user = ?", (os_user,))
    return value is not None


async def every(db: Db) -> list[tuple[str, str | None, str]]:
    """(os_user, name of the agent who added it or None, created_at), by OS user."""
    rows = await db.fetchall(
        "SELECT g.os_user, a.name, g.created_at FROM agent_gateways AS g "
        "LEFT JOIN agents AS a ON a.id = g.added_by ORDER BY g.os_user")
    return [(str(r[0]), None if r[1] is None else str(r[1]), str(r[2])) for r in rows]
