"""The one place that decides which accounts an agent may see. Every Service read calls
`visible_accounts` and passes the result to storage, which filters every query by it."""

from __future__ import annotations

from engine.errors import AccessDeniedError, NotFoundError
from storage import Store, agents
from storage import access as access_sql
from storage import settings as settings_sql
from storage.records import AccountSettings


async def visible_accounts(store: Store, agent_id: int) -> frozenset[int]:
    """Account ids the agent may see now. Role and active flag are read from the store,
    not from the caller's copy of the agent, so a demotion takes effect at once."""
    current = await agents.by_id(store.reader, agent_id)
    if current is None or not current.active:
        return frozenset()
    return await access_sql.visible_account_ids(
        store.reader, agent_id=current.id, role=current.role
    )


async def manageable_account(store: Store, agent_id: int, name: str) -> AccountSettings:
    """The settings of an account the agent may configure: its own personal account, or a
    shared one when the agent is an admin. Another's personal account is reported as not
    found, so its existence is not revealed."""
    current = await agents.by_id(store.reader, agent_id)
    account = await settings_sql.by_name(store.reader, name)
    visible = await visible_accounts(store, agent_id)
    if current is None or account is None or account.id not in visible:
        raise NotFoundError(f"no account named {name!r}; see `frontdesk account list`")
    if account.kind == "personal" and account.owner_agent_id != current.id:
        raise AccessDeniedError(f"account {name!r} belongs to another agent; ask its owner")
    if account.kind == "shared" and current.role != "admin":
        raise AccessDeniedError(f"only an admin can change the shared account {name!r}")
    return account


async def actable_accounts(store: Store, agent_id: int) -> frozenset[int]:
    """Account ids the agent may act on now (a subset of `visible_accounts`): reply, move,
    flag, convert, pair. A read-only grant lets an agent see an account's mail only."""
    current = await agents.by_id(store.reader, agent_id)
    if current is None or not current.active:
        return frozenset()
    return await access_sql.actable_account_ids(
        store.reader, agent_id=current.id, role=current.role
    )
