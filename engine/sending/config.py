"""How each account sends: its own SMTP server, or the system SMTP an admin sets; and
each agent's main account (the From of new mail)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.access import manageable_account, require_act
from engine.errors import AccessDeniedError, InvalidInputError, NotFoundError, SecretError
from engine.oauth.tokens import bearer_for
from engine.secrets import run_password_command, seal, unseal
from engine.smtp.settings import SmtpSettings, default_port
from storage import Store, audit
from storage import agents as agents_sql
from storage import settings as settings_sql
from storage import smtp as smtp_sql
from storage.records import SmtpConfig

if TYPE_CHECKING:
    from engine.models import Agent, SmtpChange

SECURITIES = ("ssl", "starttls", "none")


def _validated(change: SmtpChange, *, system: bool) -> SmtpChange:
    if change.use_system:
        if system:
            raise InvalidInputError("the system SMTP cannot use itself")
        return change
    if not change.host or not change.host.strip():
        raise InvalidInputError("--host is needed (or --system to use the system SMTP)")
    if change.security not in SECURITIES:
        raise InvalidInputError(
            f"--security {change.security!r} is not one of {', '.join(SECURITIES)}")
    if change.port is not None and not 0 < change.port < 65536:
        raise InvalidInputError(f"--port {change.port} is not a port number (1-65535)")
    if change.no_auth and (change.password is not None or change.password_command):
        raise InvalidInputError("--no-auth takes no password")
    if change.password is not None and change.password_command:
        raise InvalidInputError("give a password or a password command, not both")
    if change.reply_to and "@" not in change.reply_to:
        raise InvalidInputError(f"--reply-to {change.reply_to!r} is not an address")
    return replace(change, host=change.host.strip())


def _config(change: SmtpChange, account_id: int | None) -> SmtpConfig:
    return SmtpConfig(
        account_id=account_id, host=None if change.use_system else change.host,
        port=None if change.use_system else (change.port or default_port(change.security)),
        security=None if change.use_system else change.security, auth=not change.no_auth,
        username=change.username or None, password_command=change.password_command or None,
        ca_file=change.ca_file or None, verify_cert=change.verify_cert,
        use_system=change.use_system, reply_to=change.reply_to.strip(),
        server_saves_sent=change.server_saves_sent, has_password=False,
    )


async def _sealed(store: Store, password: str | None, context: str) -> bytes | None:
    """A new password encrypted for the store (None: no new password)."""
    if password is None:
        return None
    return await seal(store.path, password, context=context)


async def configure_account(store: Store, agent: Agent, name: str,
                            change: SmtpChange) -> SmtpConfig:
    """Set how an account sends; the password is stored encrypted."""
    account = await manageable_account(store, agent.id, name)
    change = _validated(change, system=False)
    blob = await _sealed(store, change.password,
                         f"account:{account.id}:{smtp_sql.SMTP_PASSWORD}")
    async with store.transaction() as db:
        await smtp_sql.set_account(db, account.id, _config(change, account.id))
        if blob is not None:
            await settings_sql.put_secret(db, account.id, smtp_sql.SMTP_PASSWORD, blob)
        elif change.no_auth or change.password_command or change.use_system:
            await smtp_sql.clear_account_secret(db, account.id)
        await audit.record(db, agent_id=agent.id, action="account.smtp",
                           target_kind="account", target_id=account.id,
                           detail={"host": change.host, "system": change.use_system})
    found = await smtp_sql.of_account(store.reader, account.id)
    assert found is not None
    return found


async def configure_system(store: Store, agent: Agent, change: SmtpChange) -> SmtpConfig:
    """Set the system SMTP (admins only)."""
    current = await agents_sql.by_id(store.reader, agent.id)
    if current is None or current.role != "admin":
        raise AccessDeniedError("only an admin can set the system SMTP")
    change = _validated(change, system=True)
    blob = await _sealed(store, change.password, f"system:{smtp_sql.SMTP_PASSWORD}")
    async with store.transaction() as db:
        await smtp_sql.set_system(db, _config(change, None), updated_by=agent.id)
        if blob is not None:
            await smtp_sql.put_system_secret(db, blob)
        elif change.no_auth or change.password_command:
            await smtp_sql.clear_system_secret(db)
        await audit.record(db, agent_id=agent.id, action="system.smtp",
                           target_kind="system", target_id=None,
                           detail={"host": change.host})
    found = await smtp_sql.system(store.reader)
    assert found is not None
    return found


async def sending_settings(store: Store, account_id: int) -> SmtpSettings:
    """What sending from an account needs, password included (never logged). Raises
    InvalidInputError when the account cannot send, SecretError when its password is
    missing."""
    account = await settings_sql.by_id(store.reader, account_id)
    config = await smtp_sql.of_account(store.reader, account_id)
    if account is None or config is None:
        raise NotFoundError(f"account {account_id} not found")
    how = f"`frontdesk account smtp {account.name} --host HOST ...`"
    context = f"account:{account_id}:{smtp_sql.SMTP_PASSWORD}"
    secret = await settings_sql.get_secret(store.reader, account_id, smtp_sql.SMTP_PASSWORD)
    if config.use_system:
        system = await smtp_sql.system(store.reader)
        if system is None:
            raise InvalidInputError(
                f"account {account.name!r} sends through the system SMTP, which is not set: "
                "an admin sets it with `frontdesk smtp system --host HOST ...`")
        config, context = system, f"system:{smtp_sql.SMTP_PASSWORD}"
        secret = await smtp_sql.get_system_secret(store.reader)
        how = "`frontdesk smtp system --host HOST ...`"
    if not config.host or not config.security:
        raise InvalidInputError(
            f"account {account.name!r} has no SMTP server to send with: set one with {how}")
    password = None
    bearer = None
    username = config.username or account.email
    if config.auth:
        if config.password_command:
            password = await asyncio.to_thread(run_password_command, config.password_command)
        elif secret is not None:
            password = await unseal(store.path, secret, context=context)
        elif account.oauth_provider and not config.use_system:
            # The account's own token: for a delegate of a shared mailbox, SMTP logs in
            # as the delegate and the mail still goes out From the shared address.
            bearer = await bearer_for(store, account)
            username = config.username or bearer.user
        else:
            raise SecretError(
                f"account {account.name!r} has no SMTP password: set one with {how} "
                "--password-stdin")
    return SmtpSettings(
        host=config.host, port=config.port or default_port(config.security),
        security=config.security, auth=config.auth, username=username, password=password,
        bearer=bearer, ca_file=config.ca_file, verify_cert=config.verify_cert,
    )


async def set_main_account(store: Store, agent: Agent, name: str | None) -> str | None:
    """The account an agent's new mail goes out from (None: none chosen)."""
    account_id = None
    if name:
        account = await settings_sql.by_name(store.reader, name)
        missing = f"no account named {name!r}; see `frontdesk account list`"
        if account is None:
            raise NotFoundError(missing)
        await require_act(store, agent.id, account.id, missing=missing)
        account_id = account.id
    async with store.transaction() as db:
        await agents_sql.set_main_account(db, agent_id=agent.id, account_id=account_id)
        await audit.record(db, agent_id=agent.id, action="agent.main_account",
                           target_kind="agent", target_id=agent.id, detail={"account": name})
    return name or None
