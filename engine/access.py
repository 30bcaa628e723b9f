"""The one place that decides which accounts an agent may see. Every Service read calls
`visible_accounts` and passes the result to storage, which filters every query by it."""

from __future__ import annotations

from collections.abc import Iterable

from engine.errors import AccessDeniedError, NotFoundError
from storage import Store, agents
from storage import access as access_sql
from storage import accounts as accounts_sql
from storage import settings as settings_sql
from storage.records import AccountSettings


async def require_admin(store: Store, agent_id: int, doing: str) -> None:
    """AccessDeniedError unless the agent is an active admin ("only an admin can
    {doing}; ask one")."""
    actor = await agents.by_id(store.reader, agent_id)
    if actor is None or not actor.active or actor.role != "admin":
        raise AccessDeniedError(f"only an admin can {doing}; ask one")


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
    """The settings of an account the agent may configure: its own personal account, or
    any shared one when the agent is an admin (listed on it or not). An account the agent
    may not see is reported as not found, so its existence is not revealed."""
    current = await agents.by_id(store.reader, agent_id)
    account = await settings_sql.by_name(store.reader, name)
    if current is not None and current.active and account is not None:
        if account.kind == "shared" and current.role == "admin":
            return account
        if account.kind == "personal" and account.owner_agent_id == current.id:
            return account
    if account is None or account.id not in await visible_accounts(store, agent_id):
        raise NotFoundError(f"no account named {name!r}; see `frontdesk account list`")
    if account.kind == "personal":
        raise AccessDeniedError(f"account {name!r} belongs to another agent; ask its owner")
    raise AccessDeniedError(f"only an admin can change the shared account {name!r}")


async def managed_accounts(store: Store, agent_id: int) -> list[AccountSettings]:
    """Settings of every account the agent may configure, which its engine syncs: its own
    personal accounts and, for an admin, every shared one (listed on it or not)."""
    current = await agents.by_id(store.reader, agent_id)
    if current is None or not current.active:
        return []
    ids = await access_sql.manageable_account_ids(store.reader, agent_id=current.id,
                                                  role=current.role)
    return await settings_sql.list_for(store.reader, ids)


async def actable_accounts(store: Store, agent_id: int) -> frozenset[int]:
    """Account ids the agent may act on now (a subset of `visible_accounts`): reply, move,
    flag, convert, pair. A read-only grant lets an agent see an account's mail only."""
    current = await agents.by_id(store.reader, agent_id)
    if current is None or not current.active:
        return frozenset()
    return await access_sql.actable_account_ids(
        store.reader, agent_id=current.id, role=current.role
    )


async def require_act(store: Store, agent_id: int, account_id: int, *, missing: str) -> None:
    """Let an action on mail of the account `account_id` go ahead, or refuse it. An
    account the agent may not see is NotFoundError(`missing`), the very error a missing
    object gives; one it may only read is AccessDeniedError saying whom to ask."""
    await require_act_on_any(store, agent_id, (account_id,), missing=missing)


async def require_act_on_any(
    store: Store, agent_id: int, account_ids: Iterable[int], *, missing: str
) -> None:
    """As require_act, for something whose mail lies in several accounts (the threads of
    a case or a lead): acting on one of them is enough."""
    wanted = frozenset(account_ids)
    if wanted & await actable_accounts(store, agent_id):
        return
    readable = wanted & await visible_accounts(store, agent_id)
    if not readable:
        raise NotFoundError(missing)
    raise await read_only_error(store, agent_id, min(readable))


async def read_only_error(store: Store, agent_id: int, account_id: int) -> AccessDeniedError:
    """The refusal of an action on an account the agent may only read: which account,
    and the command its owner (an admin, for a shared account) runs to allow it."""
    found = await accounts_sql.list_visible(store.reader, [account_id])
    me = await agents.by_id(store.reader, agent_id)
    name = found[0].name if found else str(account_id)
    ask = "ask an admin"
    if found and found[0].kind == "personal" and found[0].owner_agent_id is not None:
        owner = await agents.by_id(store.reader, found[0].owner_agent_id)
        ask = f"ask its owner ({owner.name})" if owner is not None else "ask its owner"
    return AccessDeniedError(
        f"you have read-only access to account {name!r}; {ask}: "
        f"frontdesk account grant {name} --to {me.name if me else 'you'} --act"
    )
