"""What the store holds now, in the terms of config.toml, read once through the Service.

Only reads, and only of what the agent may see or configures: a Service call refused
would write an audit row, and `config check` writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.models import (
    AccountAccess,
    AccountSettings,
    Agent,
    BlockEntry,
    Rule,
    Signature,
    SmtpConfig,
)
from engine.service import Service


@dataclass(frozen=True)
class Current:
    """The store as the acting agent may read it."""

    agent: Agent
    agents: dict[str, Agent]  # the active agents, by name
    managed: dict[str, AccountSettings]  # the accounts the agent configures, by name
    visible: frozenset[str]  # names of the accounts the agent sees
    smtp: dict[str, SmtpConfig]  # how each managed account sends
    access: dict[str, AccountAccess]  # who works each managed shared account
    blocks: tuple[BlockEntry, ...]
    signatures: tuple[Signature, ...]
    rules: tuple[Rule, ...]
    modes: dict[str, str]  # processing mode of each managed account the agent sees
    templates: frozenset[str]
    imap_defaults: Any  # the engine's ImapDefaults
    system_smtp: SmtpConfig | None  # read for admins only
    addresses: frozenset[str]  # the agent's own addresses

    @property
    def admin(self) -> bool:
        return self.agent.role == "admin"

    def signature(self, account: str, *, shared: bool) -> str | None:
        """The signature config.toml speaks of for an account: the company one of a
        shared account, the agent's own one of a personal account."""
        for found in self.signatures:
            if found.account != account:
                continue
            if shared and found.scope == "company":
                return found.body
            if not shared and found.scope == "personal" and found.agent_id == self.agent.id:
                return found.body
        return None


async def read_current(service: Service, agent: Agent) -> Current:
    managed = {a.name: a for a in await service.managed_accounts(agent)}
    visible = frozenset(a.name for a in await service.list_accounts(agent))
    admin = agent.role == "admin"
    return Current(
        agent=agent,
        agents={a.name: a for a in await service.list_agents(agent) if a.active},
        managed=managed,
        visible=visible,
        smtp={name: await service.smtp_config(agent, name) for name in managed},
        access={name: await service.account_access(agent, name)
                for name, a in managed.items() if a.kind == "shared"},
        blocks=tuple(await service.list_blocks(agent)),
        signatures=tuple(await service.list_signatures(agent)),
        rules=tuple(await service.list_rules(agent)),
        modes={name: await service.processing_mode(agent, name)
               for name in managed if name in visible},
        templates=frozenset(t.name for t in await service.list_templates(agent)),
        imap_defaults=await service.get_imap_defaults(agent),
        system_smtp=await service.system_smtp(agent) if admin else None,
        addresses=frozenset({agent.email.lower(), *(
            a.address.lower() for a in await service.agent_addresses(agent, agent.name))}),
    )
