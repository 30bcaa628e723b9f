"""Who is acting: the OS user by default, or the agent named with --agent.

--agent is believed only where it cannot be used to pose as someone else: on a store
with no agent yet (the first agent), when it names the login's own agent, or when the
login is a gateway an admin configured (a shared SSH login whose authorized_keys forced
commands name each key's agent). Every refusal is written to the audit log.
"""

from __future__ import annotations

import getpass
import logging
import os
import pwd

from engine.errors import AccessDeniedError, FrontdeskError, UnknownAgentError
from storage import Store, agents, audit, gateways
from storage.records import Agent

log = logging.getLogger(__name__)

REFUSED = "agent.refused"


def os_user() -> str:
    """The login name of the effective uid (not $USER, which anyone can set)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return getpass.getuser()


async def resolve_agent(store: Store, requested: str | None, *, login: str | None = None) -> Agent:
    """Return the acting agent.

    The first person to open an empty store becomes its admin. Afterwards an unknown
    or deactivated person, or a login that may not name the requested agent, is refused
    with a message saying what to do.
    """
    login = login or os_user()
    try:
        return await _resolve(store, requested, login)
    except FrontdeskError as exc:
        await _audit_refusal(store, requested, login, exc)
        raise


async def _resolve(store: Store, requested: str | None, login: str) -> Agent:
    if requested is None:
        agent = await agents.by_os_user(store.reader, login)
    else:
        agent = await _requested(store, requested, login)
    if agent is None:
        agent = await _first_agent(store, requested or login, login)
    if agent is None:
        who = f"agent {requested!r}" if requested else f"OS user {login!r}"
        raise UnknownAgentError(
            f"{who} is not an agent of this store; ask an admin to add you "
            "(frontdesk agent add)"
        )
    if not agent.active:
        raise UnknownAgentError(f"agent {agent.name!r} is deactivated; ask an admin")
    return agent


async def _requested(store: Store, requested: str, login: str) -> Agent | None:
    """The agent named with --agent, when the login may name it. Whether such an agent
    exists is told only to a login that may name agents."""
    agent = await agents.by_name(store.reader, requested)
    if agent is None and await agents.count(store.reader) == 0:
        return None  # the first agent of the store
    if agent is not None and agent.os_user == login:
        return agent
    if await gateways.is_gateway(store.reader, login):
        return agent
    raise AccessDeniedError(
        f"OS user {login!r} may not act as agent {requested[:40]!r}; an admin can make "
        f"{login!r} a gateway: frontdesk agent gateway add {login}"
    )


async def _audit_refusal(
    store: Store, requested: str | None, login: str, exc: FrontdeskError
) -> None:
    """The record never replaces the refusal: a failed write is logged."""
    try:
        own = await agents.by_os_user(store.reader, login)
        named = None if requested is None else await agents.by_name(store.reader, requested)
        async with store.transaction() as db:
            await audit.record(
                db, agent_id=None if own is None else own.id, action=REFUSED,
                target_kind="agent", target_id=None if named is None else named.id,
                detail={"attempted": "login", "login": login,
                        "requested": None if requested is None else requested[:100],
                        "reason": str(exc)},
            )
    except Exception:
        log.exception("could not audit a refused login of %s", login)


async def _first_agent(store: Store, name: str, login: str) -> Agent | None:
    async with store.transaction() as db:
        if await agents.count(db) > 0:
            return None
        agent = await agents.insert(db, name=name, os_user=login, role="admin")
        await audit.record(
            db, agent_id=agent.id, action="agent.create", target_kind="agent",
            target_id=agent.id, detail={"role": "admin", "reason": "first agent of the store"},
        )
        return agent
