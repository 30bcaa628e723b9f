"""Reading the audit log: an admin reads every row; an agent its own rows and the rows
about what it may see now (its accounts, their mail, and the cases and leads made from
that mail)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.access import visible_accounts
from storage import Store, agents
from storage import audit as audit_sql

if TYPE_CHECKING:
    from engine.models import Agent, AuditEntry

MAX_ROWS = 10_000


async def entries(
    store: Store, agent: Agent, *, limit: int, before_id: int | None
) -> list[AuditEntry]:
    """The newest `limit` rows the agent may read, below the row `before_id` when given
    (to page back). A deactivated agent reads nothing."""
    current = await agents.by_id(store.reader, agent.id)
    if current is None or not current.active:
        return []
    everything = current.role == "admin"
    return await audit_sql.entries(
        store.reader, agent_id=None if everything else current.id,
        account_ids=() if everything else await visible_accounts(store, current.id),
        limit=max(0, min(limit, MAX_ROWS)), before_id=before_id,
    )
