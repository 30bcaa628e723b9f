"""Who is acting: the OS user by default, or the agent named with --agent."""

from __future__ import annotations

import getpass
import os
import pwd

from engine.errors import UnknownAgentError
from storage import Store, agents, audit
from storage.records import Agent


def os_user() -> str:
    """The login name of the effective uid (not $USER, which anyone can set)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return getpass.getuser()


async def resolve_agent(store: Store, requested: str | None, *, login: str | None = None) -> Agent:
    """Return the acting agent.

    The first person to open an empty store becomes its admin. Afterwards an unknown
    or deactivated person is refused with a message saying what to do.
    """
    login = login or os_user()
    if requested is not None:
        agent = await agents.by_name(store.reader, requested)
    else:
        agent = await agents.by_os_user(store.reader, login)
    if agent is None:
        agent = await _first_agent(store, requested or login, login)
    if agent is None:
        who = f"agent {requested!r}" if requested else f"OS user {login!r}"
        raise UnknownAgentError(
            f"{who} is not an agent of this store; ask an admin to add you "
            "(frontdesk agent add) or name an existing agent with --agent"
        )
    if not agent.active:
        raise UnknownAgentError(f"agent {agent.name!r} is deactivated; ask an admin")
    return agent


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
