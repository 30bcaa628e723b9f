"""Agents, the addresses assigned to them, and SSH gateways, as admins manage them.

The acting agent's role is read from the store inside the transaction that makes the
change, never from the caller's copy: a demotion takes effect at once, and two admins
demoting each other cannot leave the store without one. Every change writes an audit
row; so does every refusal. Access denied and not found are audited where every Service
method's are (engine.refusals, "access.refused"); the refusals by rule made here (the
last admin, a name or address taken, a bad key) are audited by this module
("agent.refused", saying what was attempted and why), so each refusal has one row.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from engine.errors import (
    AccessDeniedError,
    ConflictError,
    FrontdeskError,
    InvalidInputError,
    NotFoundError,
)
from engine.identity import REFUSED
from storage import Db, Store, agents, audit, gateways
from storage import access as access_sql
from storage.records import Agent

if TYPE_CHECKING:
    from engine.models import AgentAdded, AgentAddress, AgentRemoved, AgentSpec, Gateway

log = logging.getLogger(__name__)

ROLES = ("admin", "agent")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")
_OS_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,31}$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
MAX_DISPLAY_NAME = 100


def check_name(name: str) -> str:
    """An agent name: short, lower case, [a-z0-9._-]."""
    if not _NAME.match(name):
        raise InvalidInputError(f"agent name {name[:40]!r}: use a-z, 0-9, '.', '_' or '-', "
                                "starting with a letter or digit (max 32)")
    return name


def check_os_user(os_user: str) -> str:
    """An OS login name as useradd accepts it."""
    if not _OS_USER.match(os_user):
        raise InvalidInputError(f"OS user {os_user[:40]!r} is not a login name")
    return os_user


def check_address(address: str) -> str:
    """An email address, stripped."""
    address = address.strip()
    if not _EMAIL.match(address):
        raise InvalidInputError(f"{address[:80]!r} is not an email address")
    return address


async def add_agent(store: Store, actor_id: int, spec: AgentSpec) -> AgentAdded:
    """Add an agent (admins only). A name that belonged to a deactivated agent brings
    that agent back, with the OS user, names and role given now."""
    from engine.models import AgentAdded

    async with _refusals(store, actor_id, "agent.add", spec.name):
        name, os_user, role, display_name, email = _checked(spec)
        async with store.transaction() as db:
            await _admin(db, actor_id, "add agents")
            existing = await agents.by_name(db, name)
            if existing is not None and existing.active:
                raise ConflictError(f"agent {name!r} exists already; see `frontdesk agent list`")
            keep_id = None if existing is None else existing.id
            if os_user is not None:
                await _os_user_free(db, os_user, keep_id)
            if email:
                await _address_free(db, email, keep_id)
            if existing is None:
                agent = await agents.insert(db, name=name, os_user=os_user, role=role,
                                            display_name=display_name, email=email)
            else:
                await agents.set_profile(db, existing.id, os_user=os_user,
                                         display_name=display_name, email=email)
                await agents.set_role(db, existing.id, role)
                await agents.set_active(db, existing.id, True)
                agent = Agent(existing.id, name, os_user, display_name, email, role, True)
            await audit.record(
                db, agent_id=actor_id,
                action="agent.create" if existing is None else "agent.reactivate",
                target_kind="agent", target_id=agent.id,
                detail={"name": name, "os_user": os_user, "role": role, "email": email},
            )
    return AgentAdded(agent, reactivated=existing is not None)


async def list_agents(store: Store, actor_id: int) -> list[Agent]:
    """The active agents, by name; for an admin, deactivated ones too."""
    actor = await agents.by_id(store.reader, actor_id)
    if actor is not None and actor.active and actor.role == "admin":
        return await agents.every(store.reader)
    return await agents.active(store.reader)


async def remove_agent(
    store: Store, actor_id: int, name: str, *, disable_accounts: bool = False
) -> AgentRemoved:
    """Deactivate an agent (admins only): its rows and history stay, its grants and
    assigned addresses go. The last active admin cannot be removed. An agent whose
    personal accounts still sync is removed only with `disable_accounts`, which stops
    their sync and keeps their mail in the store."""
    from engine.models import AgentRemoved

    async with _refusals(store, actor_id, "agent.remove", name), store.transaction() as db:
        await _admin(db, actor_id, "remove agents")
        target = await _named(db, name)
        if not target.active:
            raise ConflictError(f"agent {name!r} is deactivated already")
        await _not_last_admin(db, target, "remove")
        owned = await agents.owned_accounts(db, target.id, enabled_only=True)
        if owned and not disable_accounts:
            raise ConflictError(
                f"agent {name!r} still owns the personal account(s) {', '.join(owned)}; "
                "to stop their sync and keep their mail in the store, run again with "
                "--disable-accounts")
        if owned:
            await agents.disable_owned_accounts(db, target.id)
        grants = await access_sql.revoke_every_grant_of(db, target.id)
        addresses = await agents.unassign_all(db, target.id)
        await agents.set_active(db, target.id, False)
        await audit.record(
            db, agent_id=actor_id, action="agent.remove", target_kind="agent",
            target_id=target.id,
            detail={"name": name, "grants_dropped": grants, "addresses": addresses,
                    "accounts_disabled": owned},
        )
    return AgentRemoved(
        agent=Agent(target.id, target.name, target.os_user, target.display_name,
                    target.email, target.role, False),
        grants_dropped=grants, addresses_dropped=tuple(addresses),
        accounts_disabled=tuple(owned),
    )


async def set_role(store: Store, actor_id: int, name: str, role: str) -> Agent:
    """Make an agent `admin` or `agent` (admins only); the last active admin keeps the
    role."""
    async with _refusals(store, actor_id, "agent.role", name):
        if role not in ROLES:
            raise InvalidInputError(f"role {role[:20]!r}: choose admin or agent")
        async with store.transaction() as db:
            await _admin(db, actor_id, "change roles")
            target = await _named(db, name)
            if not target.active:
                raise ConflictError(f"agent {name!r} is deactivated; add it again first "
                                    "(frontdesk agent add)")
            if target.role == role:
                return target
            if role != "admin":
                await _not_last_admin(db, target, "demote")
            await agents.set_role(db, target.id, role)
            await audit.record(db, agent_id=actor_id, action="agent.role",
                               target_kind="agent", target_id=target.id,
                               detail={"name": name, "from": target.role, "to": role})
    return Agent(target.id, target.name, target.os_user, target.display_name,
                 target.email, role, True)


async def add_gateway(store: Store, actor_id: int, os_user: str) -> Gateway:
    """Let `os_user` name the acting agent with --agent (admins only)."""
    async with _refusals(store, actor_id, "gateway.add", os_user, kind="gateway"):
        check_os_user(os_user)
        async with store.transaction() as db:
            await _admin(db, actor_id, "configure gateways")
            if await gateways.add(db, os_user=os_user, added_by=actor_id):
                await audit.record(db, agent_id=actor_id, action="gateway.add",
                                   target_kind="gateway", detail={"os_user": os_user})
    return next(g for g in await _gateways(store) if g.os_user == os_user)


async def remove_gateway(store: Store, actor_id: int, os_user: str) -> None:
    """Stop `os_user` naming agents (admins only)."""
    async with (_refusals(store, actor_id, "gateway.remove", os_user, kind="gateway"),
                store.transaction() as db):
        await _admin(db, actor_id, "configure gateways")
        if not await gateways.remove(db, os_user):
            raise NotFoundError(f"OS user {os_user[:40]!r} is not a gateway; "
                                "see `frontdesk agent gateway list`")
        await audit.record(db, agent_id=actor_id, action="gateway.remove",
                           target_kind="gateway", detail={"os_user": os_user})


async def list_gateways(store: Store, actor_id: int) -> list[Gateway]:
    """The gateways, by OS user (admins only)."""
    async with _refusals(store, actor_id, "gateway.list", "", kind="gateway"):
        await _admin(store.reader, actor_id, "list gateways")
    return await _gateways(store)


async def assign_address(store: Store, actor_id: int, name: str, address: str) -> AgentAddress:
    """Assign an address to an agent (admins only), so it may add a personal account
    for it. An address has one holder: another agent's is refused."""
    async with _refusals(store, actor_id, "agent.address.add", name):
        address = check_address(address)
        async with store.transaction() as db:
            await _admin(db, actor_id, "assign addresses")
            target = await _named(db, name)
            if not target.active:
                raise ConflictError(f"agent {name!r} is deactivated")
            await _address_free(db, address, target.id)
            if await agents.address_holder(db, address) is None:
                await agents.assign_address(db, agent_id=target.id, address=address,
                                            assigned_by=actor_id)
                await audit.record(db, agent_id=actor_id, action="agent.address.add",
                                   target_kind="agent", target_id=target.id,
                                   detail={"name": name, "address": address})
    rows = await agents.assigned_addresses(store.reader, target.id)
    return next(_address(r) for r in rows if r[0].lower() == address.lower())


async def unassign_address(store: Store, actor_id: int, name: str, address: str) -> None:
    """Take an assigned address back from an agent (admins only)."""
    async with (_refusals(store, actor_id, "agent.address.remove", name),
                store.transaction() as db):
        await _admin(db, actor_id, "assign addresses")
        target = await _named(db, name)
        if not await agents.unassign_address(db, agent_id=target.id, address=address):
            raise NotFoundError(f"{address.strip()[:80]!r} is not assigned to {name!r}; "
                                f"see `frontdesk agent address list {name}`")
        await audit.record(db, agent_id=actor_id, action="agent.address.remove",
                           target_kind="agent", target_id=target.id,
                           detail={"name": name, "address": address.strip()})


async def list_addresses(
    store: Store, actor_id: int, name: str | None = None
) -> list[AgentAddress]:
    """Assigned addresses: an agent's own, or (admins) any agent's or everyone's."""
    async with _refusals(store, actor_id, "agent.address.list", name or ""):
        actor = await _active(store.reader, actor_id)
        if actor.role != "admin":
            if name is not None and name != actor.name:
                raise AccessDeniedError("only an admin can see another agent's addresses")
            name = actor.name
        target_id = None if name is None else (await _named(store.reader, name)).id
    return [_address(r) for r in await agents.assigned_addresses(store.reader, target_id)]


async def authorized_keys_line(
    store: Store, actor_id: int, name: str, public_key: str, program: str
) -> str:
    """The line to add to a gateway's authorized_keys so that `public_key` acts as the
    agent `name` on this store (admins only). `program` is the absolute path of the
    frontdesk executable on this host."""
    from engine.ssh_keys import authorized_keys_line as key_line
    from engine.ssh_keys import forced_command, parse_public_key

    async with _refusals(store, actor_id, "agent.authorized_key", name):
        await _admin(store.reader, actor_id, "write authorized_keys lines")
        target = await _named(store.reader, name)
        if not target.active:
            raise ConflictError(f"agent {name!r} is deactivated")
        key = parse_public_key(public_key)
        command = forced_command(program, store.path, target.name)
        line = key_line(command, key)
        async with store.transaction() as db:
            await audit.record(db, agent_id=actor_id, action="agent.authorized_key",
                               target_kind="agent", target_id=target.id,
                               detail={"name": name, "type": key.type,
                                       "fingerprint": key.fingerprint,
                                       "comment": key.comment})
    return line


async def record_refusal(store: Store, actor_id: int, attempted: str, reason: str) -> None:
    """Write the audit row of something refused before it reached the engine (a
    forced SSH command asking for another agent, say)."""
    async with store.transaction() as db:
        await audit.record(db, agent_id=actor_id, action=REFUSED,
                           detail={"attempted": attempted[:200], "reason": reason[:500]})


@contextlib.asynccontextmanager
async def _refusals(
    store: Store, actor_id: int, attempted: str, target: str, *, kind: str = "agent"
) -> AsyncIterator[None]:
    """Audit a refusal by rule of the block, after its transaction rolled back. The
    record never replaces the refusal: a failed write is logged."""
    try:
        yield
    except (AccessDeniedError, NotFoundError):
        raise  # audited at the Service boundary (engine.refusals)
    except FrontdeskError as exc:
        try:
            async with store.transaction() as db:
                await audit.record(db, agent_id=actor_id, action=REFUSED, target_kind=kind,
                                   detail={"attempted": attempted, "target": target[:100],
                                           "reason": str(exc)})
        except Exception:
            log.exception("could not audit a refused %s", attempted)
        raise


def _checked(spec: AgentSpec) -> tuple[str, str | None, str, str, str]:
    name = check_name(spec.name)
    if spec.no_os_user and spec.os_user is not None:
        raise InvalidInputError("give --os-user or --no-os-user, not both")
    os_user = None if spec.no_os_user else check_os_user(spec.os_user or name)
    if spec.role not in ROLES:
        raise InvalidInputError(f"role {spec.role[:20]!r}: choose admin or agent")
    display_name = " ".join(spec.display_name.split())
    if not display_name.isprintable() or len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidInputError(
            f"--display-name: printable text of at most {MAX_DISPLAY_NAME} characters")
    email = check_address(spec.email) if spec.email.strip() else ""
    return name, os_user, spec.role, display_name, email


async def _active(db: Db, actor_id: int) -> Agent:
    actor = await agents.by_id(db, actor_id)
    if actor is None or not actor.active:
        raise AccessDeniedError("you are not an active agent of this store")
    return actor


async def _admin(db: Db, actor_id: int, doing: str) -> Agent:
    actor = await _active(db, actor_id)
    if actor.role != "admin":
        raise AccessDeniedError(f"only an admin can {doing}")
    return actor


async def _named(db: Db, name: str) -> Agent:
    agent = await agents.by_name(db, name)
    if agent is None:
        raise NotFoundError(f"no agent named {name[:40]!r}; see `frontdesk agent list`")
    return agent


async def _not_last_admin(db: Db, target: Agent, doing: str) -> None:
    if target.active and target.role == "admin" and await agents.count_active_admins(db) <= 1:
        raise ConflictError(
            f"cannot {doing} {target.name!r}: it is the last active admin; make another "
            "agent an admin first (frontdesk agent set-role NAME admin)")


async def _os_user_free(db: Db, os_user: str, keep_id: int | None) -> None:
    holder = await agents.by_os_user(db, os_user)
    if holder is not None and holder.id != keep_id:
        state = "" if holder.active else "deactivated "
        raise ConflictError(
            f"OS user {os_user!r} belongs to the {state}agent {holder.name!r}; choose "
            "another --os-user, or --no-os-user")


async def _address_free(db: Db, address: str, keep_id: int | None) -> None:
    holder_id = await agents.address_holder(db, address)
    if holder_id is not None and holder_id != keep_id:
        holder = await agents.by_id(db, holder_id)
        who = holder.name if holder else "another agent"
        raise ConflictError(
            f"{address!r} is assigned to agent {who!r}; take it back first: "
            f"frontdesk agent address remove {who} {address}")
    owner = await agents.by_email(db, address)
    if owner is not None and owner.id != keep_id:
        raise ConflictError(f"{address!r} is the email of agent {owner.name!r}")


async def _gateways(store: Store) -> list[Gateway]:
    from engine.models import Gateway

    return [Gateway(os_user, added_by, created_at)
            for os_user, added_by, created_at in await gateways.every(store.reader)]


def _address(row: tuple[str, str, str | None, str]) -> AgentAddress:
    from engine.models import AgentAddress

    address, agent, assigned_by, created_at = row
    return AgentAddress(address, agent, assigned_by, created_at)
