"""How mail goes out now, read back for the settings screens: an account's SMTP (for
whoever configures the account), the system SMTP (admins) and the agent's main account.
Passwords never leave the store: a config says only whether one is stored."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.access import manageable_account, require_admin, visible_accounts
from storage import Store
from storage import agents as agents_sql
from storage import settings as settings_sql
from storage import smtp as smtp_sql
from storage.records import SmtpConfig

if TYPE_CHECKING:
    from engine.models import Agent


async def account_smtp(store: Store, agent: Agent, name: str) -> SmtpConfig:
    """How the account `name` sends; only for whoever configures it (its login and
    password command are the configurer's to see)."""
    account = await manageable_account(store, agent.id, name)
    found = await smtp_sql.of_account(store.reader, account.id)
    assert found is not None  # the account was just read
    return found


async def system_smtp(store: Store, agent: Agent) -> SmtpConfig | None:
    """The system SMTP, None when no admin set one; admins only."""
    await require_admin(store, agent.id, "see the system SMTP")
    return await smtp_sql.system(store.reader)


async def main_account(store: Store, agent: Agent) -> str | None:
    """The name of the account the agent's new mail goes out from; None when none is
    chosen or the agent no longer sees it."""
    chosen = await agents_sql.main_account(store.reader, agent.id)
    if chosen is None or chosen not in await visible_accounts(store, agent.id):
        return None
    account = await settings_sql.by_id(store.reader, chosen)
    return None if account is None else account.name
