"""Who may see and act on an account, as its owner or an admin sets it.

A personal account's owner grants other agents read (or read and act) access and takes
it back. A shared account is worked by the agents and roles an admin lists; an admin may
change any shared account, listed on it or not. Every change writes an audit row; a
refusal is the NotFoundError or AccessDeniedError of engine.access, which the Service
records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.access import actable_accounts, manageable_account, visible_accounts
from engine.errors import InvalidInputError
from storage import Store, agents, audit
from storage import access as access_sql
from storage import grants as grants_sql
from storage import settings as settings_sql
from storage.records import AccountSettings, Agent

if TYPE_CHECKING:
    from engine.models import AccountAccess, AccountStanding

ROLES = ("admin", "agent")


async def grant(
    store: Store, agent_id: int, name: str, to: str, *, can_act: bool = False
) -> AccountAccess:
    """Let the agent named `to` read the account (and with `can_act`, act on its mail).
    Granting again changes the grant. Only a personal account's owner, or an admin for
    a shared account, may grant."""
    account = await manageable_account(store, agent_id, name)
    target = await _active_agent(store, to)
    if target.id == account.owner_agent_id:
        raise InvalidInputError(f"{to} owns {name}; an owner needs no grant")
    async with store.transaction() as db:
        await access_sql.grant_agent(db, account_id=account.id, agent_id=target.id,
                                     can_act=can_act, granted_by=agent_id)
        await audit.record(db, agent_id=agent_id, action="account.grant",
                           target_kind="account", target_id=account.id,
                           detail={"name": name, "agent": to, "can_act": can_act})
    return await describe(store, account)


async def revoke(store: Store, agent_id: int, name: str, from_agent: str) -> AccountAccess:
    """Take back the grant of the agent named `from_agent` on the account."""
    account = await manageable_account(store, agent_id, name)
    target = await agents.by_name(store.reader, from_agent)
    if target is None:
        raise InvalidInputError(f"no agent named {from_agent!r}; see `frontdesk agent list`")
    async with store.transaction() as db:
        if not await access_sql.revoke_agent(db, account_id=account.id, agent_id=target.id):
            raise InvalidInputError(
                f"{from_agent} has no grant on {name}; see `frontdesk account access {name}`")
        await audit.record(db, agent_id=agent_id, action="account.revoke",
                           target_kind="account", target_id=account.id,
                           detail={"name": name, "agent": from_agent})
    return await describe(store, account)


async def share(
    store: Store,
    agent_id: int,
    name: str,
    *,
    agent_names: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    can_act: bool = True,
) -> AccountAccess:
    """Set who works a shared account: `agent_names` replaces the agents listed on it,
    `roles` the roles it is open to (None leaves that list as it is). Members work the
    mailbox together, so they may act on it unless `can_act` is False. Admins only."""
    account = await manageable_account(store, agent_id, name)
    if account.kind != "shared":
        raise InvalidInputError(f"{name} is a personal account; its owner gives access "
                                f"with `frontdesk account grant {name} --to AGENT`")
    if agent_names is None and roles is None:
        raise InvalidInputError("give --agents, --roles or both")
    members = [await _active_agent(store, n) for n in dict.fromkeys(agent_names or ())]
    for role in roles or ():
        if role not in ROLES:
            raise InvalidInputError(f"role {role!r}: choose admin or agent")
    async with store.transaction() as db:
        if agent_names is not None:
            await grants_sql.set_agents(db, account_id=account.id,
                                        agent_ids=[m.id for m in members], can_act=can_act,
                                        granted_by=agent_id)
        if roles is not None:
            await grants_sql.set_roles(db, account_id=account.id, roles=roles,
                                       can_act=can_act, granted_by=agent_id)
        await audit.record(db, agent_id=agent_id, action="account.share",
                           target_kind="account", target_id=account.id,
                           detail={"name": name, "can_act": can_act,
                                   "agents": None if agent_names is None
                                   else [m.name for m in members],
                                   "roles": None if roles is None else sorted(set(roles))})
    return await describe(store, account)


async def access_of(store: Store, agent_id: int, name: str) -> AccountAccess:
    """Who sees and acts on an account the agent sees (or, an admin, any shared one)."""
    account = await settings_sql.by_name(store.reader, name)
    if account is None or account.id not in await visible_accounts(store, agent_id):
        account = await manageable_account(store, agent_id, name)
    return await describe(store, account)


async def standing(store: Store, agent_id: int) -> list[AccountStanding]:
    """Every account the agent sees, with its owner and the agent's access to it."""
    from engine.models import AccountStanding

    visible = await visible_accounts(store, agent_id)
    actable = await actable_accounts(store, agent_id)
    found = []
    for account in await settings_sql.list_for(store.reader, visible):
        owner = await _owner_name(store, account)
        access = ("owner" if account.owner_agent_id == agent_id
                  else "act" if account.id in actable else "read")
        found.append(AccountStanding(account.name, account.kind, owner, access))
    return found


async def describe(store: Store, account: AccountSettings) -> AccountAccess:
    """The access list of an account (no access check: callers check)."""
    from engine.models import AccessEntry, AccountAccess

    entries = []
    owner = await _owner_name(store, account)
    if owner is not None:
        entries.append(AccessEntry(who=owner, kind="owner", access="owner"))
    for row in await grants_sql.of_account(store.reader, account.id):
        # A role opens only a shared account (storage.access): on a personal one it is inert.
        if row.role is not None and account.kind != "shared":
            continue
        entries.append(AccessEntry(
            who=row.agent or row.role or "?", kind="agent" if row.agent else "role",
            access="act" if row.can_act else "read", granted_by=row.granted_by,
            granted_at=row.granted_at))
    return AccountAccess(account=account.name, kind=account.kind,
                         label=account.display_name, email=account.email, owner=owner,
                         entries=tuple(entries))


async def _owner_name(store: Store, account: AccountSettings) -> str | None:
    if account.owner_agent_id is None:
        return None
    owner = await agents.by_id(store.reader, account.owner_agent_id)
    return owner.name if owner is not None else None


async def _active_agent(store: Store, name: str) -> Agent:
    found = await agents.by_name(store.reader, name)
    if found is None:
        raise InvalidInputError(f"no agent named {name!r}; see `frontdesk agent list`")
    if not found.active:
        raise InvalidInputError(f"agent {name!r} is deactivated; an admin can bring it back")
    return found
