"""SQL that decides which accounts an agent may see.

Every read of mail takes the resulting id set and filters by it; nothing in storage
reads messages without one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from storage.db import Db


def ids_param(account_ids: Iterable[int]) -> str:
    """Bind a set of ids as one JSON parameter, read back with json_each: no variable
    limit, no SQL built from values."""
    return json.dumps(sorted(int(i) for i in account_ids))


async def visible_account_ids(db: Db, *, agent_id: int, role: str) -> frozenset[int]:
    """Accounts the agent may see: personal ones it owns, ones granted to it by name, and
    shared ones opened to its role."""
    rows = await db.fetchall(
        """
        SELECT id FROM accounts WHERE kind = 'personal' AND owner_agent_id = :agent
        UNION
        SELECT account_id FROM account_access WHERE agent_id = :agent
        UNION
        SELECT x.account_id FROM account_access AS x
          JOIN accounts AS a ON a.id = x.account_id
         WHERE x.role = :role AND a.kind = 'shared'
        """,
        {"agent": agent_id, "role": role},
    )
    return frozenset(int(r[0]) for r in rows)


async def grant_agent(
    db: Db, *, account_id: int, agent_id: int, can_act: bool, granted_by: int | None
) -> None:
    """Let one agent see (and with `can_act`, act on) an account."""
    await db.execute(
        "INSERT INTO account_access (account_id, agent_id, can_act, granted_by) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (account_id, agent_id) WHERE agent_id IS NOT NULL "
        "DO UPDATE SET can_act = excluded.can_act, granted_by = excluded.granted_by",
        (account_id, agent_id, int(can_act), granted_by),
    )


async def grant_role(
    db: Db, *, account_id: int, role: str, can_act: bool, granted_by: int | None
) -> None:
    """Open a shared account to every agent of a role."""
    await db.execute(
        "INSERT INTO account_access (account_id, role, can_act, granted_by) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (account_id, role) WHERE role IS NOT NULL "
        "DO UPDATE SET can_act = excluded.can_act, granted_by = excluded.granted_by",
        (account_id, role, int(can_act), granted_by),
    )


async def revoke_agent(db: Db, *, account_id: int, agent_id: int) -> bool:
    """Withdraw one agent's grant on an account; False when there was none."""
    changed = await db.execute(
        "DELETE FROM account_access WHERE account_id = ? AND agent_id = ?",
        (account_id, agent_id),
    )
    return changed > 0


async def revoke_role(db: Db, *, account_id: int, role: str) -> bool:
    """Close a shared account to a role; False when it was not open to it."""
    changed = await db.execute(
        "DELETE FROM account_access WHERE account_id = ? AND role = ?", (account_id, role)
    )
    return changed > 0


async def actable_account_ids(db: Db, *, agent_id: int, role: str) -> frozenset[int]:
    """Accounts the agent may act on (reply, move, flag, convert): personal ones it owns,
    and ones granted to it or to its role with `can_act`. A subset of the visible ones."""
    rows = await db.fetchall(
        """
        SELECT id FROM accounts WHERE kind = 'personal' AND owner_agent_id = :agent
        UNION
        SELECT account_id FROM account_access WHERE agent_id = :agent AND can_act = 1
        UNION
        SELECT x.account_id FROM account_access AS x
          JOIN accounts AS a ON a.id = x.account_id
         WHERE x.role = :role AND a.kind = 'shared' AND x.can_act = 1
        """,
        {"agent": agent_id, "role": role},
    )
    return frozenset(int(r[0]) for r in rows)


async def revoke_every_grant_of(db: Db, agent_id: int) -> int:
    """Withdraw every grant naming the agent (a removed agent keeps none); how many."""
    return await db.execute("DELETE FROM account_access WHERE agent_id = ?", (agent_id,))


async def manageable_account_ids(db: Db, *, agent_id: int, role: str) -> frozenset[int]:
    """Accounts the agent may configure (and whose engine it runs): personal ones it owns
    and, for an admin, every shared one, listed on it or not."""
    rows = await db.fetchall(
        "SELECT id FROM accounts WHERE (kind = 'personal' AND owner_agent_id = :agent) "
        "OR (kind = 'shared' AND :role = 'admin')",
        {"agent": agent_id, "role": role},
    )
    return frozenset(int(r[0]) for r in rows)
