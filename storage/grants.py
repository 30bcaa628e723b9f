"""SQL for the grants on one account: reading them, and replacing a shared account's
agent or role list at once. Granting and revoking one at a time is storage.access."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from storage.access import grant_agent, grant_role, ids_param
from storage.db import Db


@dataclass(frozen=True)
class Grant:
    """One row of an account's access list: an agent (by name) or a role."""

    agent: str | None
    role: str | None
    can_act: bool
    granted_by: str | None  # the granting agent's name; None when gone
    granted_at: str


def _grant(row: sqlite3.Row) -> Grant:
    return Grant(agent=row["agent"], role=row["role"], can_act=bool(row["can_act"]),
                 granted_by=row["granter"], granted_at=row["created_at"])


async def of_account(db: Db, account_id: int) -> list[Grant]:
    """The account's grants: agents by name, then roles."""
    rows = await db.fetchall(
        """
        SELECT g.name AS agent, x.role, x.can_act, b.name AS granter, x.created_at
          FROM account_access AS x
          LEFT JOIN agents AS g ON g.id = x.agent_id
          LEFT JOIN agents AS b ON b.id = x.granted_by
         WHERE x.account_id = ?
         ORDER BY x.role IS NOT NULL, g.name, x.role
        """,
        (account_id,),
    )
    return [_grant(r) for r in rows]


async def set_agents(
    db: Db, *, account_id: int, agent_ids: Iterable[int], can_act: bool,
    granted_by: int | None,
) -> None:
    """Make `agent_ids` the agents named on the account: others lose their grant."""
    keep = sorted(set(agent_ids))
    await db.execute(
        "DELETE FROM account_access WHERE account_id = ? AND agent_id IS NOT NULL "
        "AND agent_id NOT IN (SELECT value FROM json_each(?))",
        (account_id, ids_param(keep)),
    )
    for agent_id in keep:
        await grant_agent(db, account_id=account_id, agent_id=agent_id, can_act=can_act,
                          granted_by=granted_by)


async def set_roles(
    db: Db, *, account_id: int, roles: Iterable[str], can_act: bool, granted_by: int | None,
) -> None:
    """Make `roles` the roles the account is open to: others are closed."""
    keep = sorted(set(roles))
    await db.execute(
        "DELETE FROM account_access WHERE account_id = ? AND role IS NOT NULL "
        "AND role NOT IN (SELECT value FROM json_each(?))",
        (account_id, json.dumps(keep)),
    )
    for role in keep:
        await grant_role(db, account_id=account_id, role=role, can_act=can_act,
                         granted_by=granted_by)

