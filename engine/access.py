"""The one place that decides which accounts an agent may see. Every Service read calls
`visible_accounts` and passes the result to storage, which filters every query by it."""

from __future__ import annotations

from storage import Store, agents
from storage import access as access_sql


async def visible_accounts(store: Store, agent_id: int) -> frozenset[int]:
    """Account ids the agent may see now. Role and active flag are read from the store,
    not from the caller's copy of the agent, so a demotion takes effect at once."""
    current = await agents.by_id(store.reader, agent_id)
    if current is None or not current.active:
        return frozenset()
    return await access_sql.visible_account_ids(
        store.reader, agent_id=current.id, role=current.role
    )
