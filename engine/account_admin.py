"""Adding, inspecting and removing accounts (IMAP and POP3), on behalf of an agent."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import TYPE_CHECKING

from engine.access import manageable_account, managed_accounts, visible_accounts
from engine.accounts import (
    IMAP_PASSWORD,
    AccountSpec,
    imap_settings,
    password_for,
    pop3_settings,
    save_password,
    sealed_password,
    validate,
)
from engine.errors import AccessDeniedError, FrontdeskError, InvalidInputError
from engine.imap.folders import ConnectionReport, list_folders, test_connection
from engine.imap.roles import ROLES
from engine.logins import credential_for, open_imap
from engine.sync.requests import mark_request
from storage import Store, agents, audit, raw_packs
from storage import access as access_sql
from storage import folder_state as folder_sql
from storage import imap_defaults as defaults_sql
from storage import settings as settings_sql
from storage import smtp as smtp_sql
from storage.folder_state import DiscoveredFolder
from storage.records import AccountSettings, Agent, FolderState, SmtpConfig

if TYPE_CHECKING:
    from engine.pop3.check import Pop3Report

DEFAULT_CHECK_MINUTES = 5


async def add_account(
    store: Store, agent_id: int, spec: AccountSpec, password: str | None
) -> AccountSettings:
    """Create an IMAP account. A personal one belongs to the agent and must be for an
    address the agent owns (its email, or one an admin assigned to it; an admin may add
    any address). A shared one is for admins, and is listed to the admin creating it so
    it can be tested before it is shared. Server fields a personal account leaves empty
    are read from the IMAP defaults whenever the account is used."""
    from engine.oauth.config import PRESETS
    from engine.oauth.registry import config_for
    from storage import oauth as oauth_sql

    await asyncio.to_thread(validate, spec)  # it stats --ca-file
    if spec.oauth:
        if password is not None:
            raise InvalidInputError("--oauth signs in with a token: give no password")
        await config_for(store, spec.oauth)  # registered, or say how to register
        if not spec.imap_host.strip():
            spec = _with_preset(spec)
    elif password is None and not spec.password_command:
        raise InvalidInputError("give a password (--password-stdin) or --password-command")
    if password is not None and spec.password_command:
        raise InvalidInputError("give either a password or --password-command, not both")
    creator = await agents.by_id(store.reader, agent_id)
    if creator is None or not creator.active:
        raise InvalidInputError("unknown agent")
    await _check_may_add(store, creator, spec)
    if await settings_sql.by_name(store.reader, spec.name) is not None:
        raise InvalidInputError(f"an account named {spec.name!r} exists already")
    sent_account = await _sent_account(store, creator, spec)
    host = spec.imap_host.strip() or None
    defaults = await defaults_sql.get(store.reader)
    if host is None and (spec.shared or defaults.host is None):
        raise InvalidInputError(
            "a shared account needs --imap-host (the IMAP defaults are for personal ones)"
            if spec.shared else "no IMAP server: give --imap-host, or ask an admin to set "
            "one for everyone with `frontdesk imap defaults --host HOST`")
    async with store.transaction() as db:
        account_id = await settings_sql.insert(
            db,
            name=spec.name,
            display_name=spec.display_name or spec.name,
            email=spec.email,
            kind="shared" if spec.shared else "personal",
            owner_agent_id=None if spec.shared else creator.id,
            imap_host=host,
            imap_port=spec.imap_port,
            imap_security=spec.security,
            imap_username=spec.username or spec.email,
            verify_cert=spec.verify_cert,
            ca_file=spec.ca_file,
            password_command=spec.password_command,
            # The column cannot stay empty: an interval left out is the default's now.
            check_every_minutes=(spec.check_every_minutes
                                 or (None if spec.shared else defaults.check_every_minutes)
                                 or DEFAULT_CHECK_MINUTES),
            import_mode=spec.import_mode,
            import_since=spec.import_since,
            mark_read_on_import=spec.mark_read_on_import,
            # POP3 keeps no read status on the server: there is nothing to write back.
            write_read_status=(spec.protocol == "imap" if spec.write_read_status is None
                               else spec.write_read_status),
            sync_folders=("INBOX",) if spec.protocol == "pop3" else spec.folders,
            protocol=spec.protocol,
            delete_after_import=spec.delete_after_import,
            sent_account_id=sent_account,
        )
        if spec.shared:
            await access_sql.grant_agent(db, account_id=account_id, agent_id=creator.id,
                                         can_act=True, granted_by=creator.id)
        if spec.oauth:
            await oauth_sql.set_account_provider(db, account_id, spec.oauth)
            if host == PRESETS[spec.oauth].imap_host:
                await smtp_sql.set_account(db, account_id, _preset_smtp(account_id, spec.oauth))
        await audit.record(db, agent_id=creator.id, action="account.add",
                           target_kind="account", target_id=account_id,
                           detail={"name": spec.name, "email": spec.email, "host": host,
                                   "kind": "shared" if spec.shared else "personal",
                                   "oauth": spec.oauth, "protocol": spec.protocol})
        if password is not None:
            # In the same transaction: a password that cannot be stored leaves no account.
            await settings_sql.put_secret(db, account_id, IMAP_PASSWORD,
                                          await sealed_password(store, account_id, password))
        await mark_request(db)  # a running engine takes the account in now
    added = await settings_sql.by_id(store.reader, account_id)
    assert added is not None
    return added


async def _sent_account(store: Store, creator: Agent, spec: AccountSpec) -> int | None:
    """The IMAP account a POP3 account files its Sent copies in (--sent-to): one of the
    same owner, so whoever sees the one sees the other: for a personal account another
    of its owner's, for a shared one another shared one."""
    if spec.sent_to is None:
        return None
    target = await settings_sql.by_name(store.reader, spec.sent_to)
    manageable = {a.id for a in await managed_accounts(store, creator.id)}
    if target is None or target.id not in manageable:
        raise InvalidInputError(f"--sent-to {spec.sent_to!r}: no such account of yours; "
                                "see `frontdesk account list`")
    if target.protocol != "imap":
        raise InvalidInputError(f"--sent-to {spec.sent_to!r} is a {target.protocol.upper()} "
                                "account; name an IMAP account with a Sent folder")
    same_owner = (target.kind == "shared" if spec.shared
                  else target.kind == "personal" and target.owner_agent_id == creator.id)
    if not same_owner:
        raise InvalidInputError(
            f"--sent-to {spec.sent_to!r} belongs to someone else; name an IMAP account of "
            "the same owner (a shared one for a shared account)")
    return target.id


def _with_preset(spec: AccountSpec) -> AccountSpec:
    """An OAuth2 account naming no server: its provider's."""
    from engine.oauth.config import PRESETS

    assert spec.oauth is not None
    preset = PRESETS[spec.oauth]
    return replace(spec, imap_host=preset.imap_host, imap_port=preset.imap_port,
                   security="ssl")


def _preset_smtp(account_id: int, provider: str) -> SmtpConfig:
    """The provider's SMTP, logging in with the account's token; the provider files
    sent mail in Sent itself."""
    from engine.oauth.config import PRESETS

    preset = PRESETS[provider]
    return SmtpConfig(account_id=account_id, host=preset.smtp_host, port=preset.smtp_port,
                      security=preset.smtp_security, auth=True, username=None,
                      password_command=None, ca_file=None, verify_cert=True,
                      use_system=False, reply_to="", server_saves_sent=True,
                      has_password=False)


async def _check_may_add(store: Store, creator: Agent, spec: AccountSpec) -> None:
    """Refuse an account the agent may not add (an admin may add any)."""
    if creator.role == "admin":
        return
    if spec.shared:
        raise AccessDeniedError("only an admin can add a shared account; ask one, or add "
                                "your own without --shared")
    if not await agents.owns_address(store.reader, creator.id, spec.email):
        raise AccessDeniedError(
            f"{spec.email} is not one of your addresses; ask an admin to assign it to you "
            f"(frontdesk agent address add {creator.name} {spec.email})")


async def set_password(store: Store, agent_id: int, name: str, password: str) -> None:
    """Replace an account's stored password (and let sync retry it)."""
    account = await manageable_account(store, agent_id, name)
    await save_password(store, account.id, password)
    async with store.transaction() as db:
        await settings_sql.clear_auth_failure(db, account.id)
        await audit.record(db, agent_id=agent_id, action="account.password",
                           target_kind="account", target_id=account.id)


async def remove_account(store: Store, agent_id: int, name: str) -> None:
    """Delete an account with its mail, folders, secrets and jobs from the store (the
    server is not touched)."""
    account = await manageable_account(store, agent_id, name)
    async with store.transaction() as db:
        await settings_sql.delete(db, account.id)
        await audit.record(db, agent_id=agent_id, action="account.remove",
                           target_kind="account", target_id=account.id,
                           detail={"name": account.name})
        await mark_request(db)  # a running engine lets the account go now
    # Its mail's bytes go with it: the pack files only its messages pointed into.
    try:
        await raw_packs.sweep(store, engine=False)
    except OSError as exc:
        raise FrontdeskError(
            f"account {account.name!r} is removed, but its mail files in {store.packs} "
            f"are not: {exc.strerror or exc}; fix that directory's permissions, and the "
            "next sync removes them") from exc


async def list_accounts(store: Store, agent_id: int) -> list[AccountSettings]:
    """Settings of every account the agent may see. Of one it may see but not configure
    (a grant, a shared mailbox of a non-admin), how it logs in stays with who manages it:
    the login name, password command and CA file are left out."""
    visible = await settings_sql.list_for(store.reader,
                                          await visible_accounts(store, agent_id))
    managed = {a.id for a in await managed_accounts(store, agent_id)}
    return [a if a.id in managed else replace(a, imap_username=None, password_command=None,
                                              ca_file=None)
            for a in visible]


async def check_account(
    store: Store, agent_id: int, name: str
) -> ConnectionReport | Pop3Report:
    """Connect, log in, list capabilities and folders with their roles; for a POP3
    account, capabilities and the messages waiting on the server."""
    from engine.pop3.check import check_pop3

    account = await manageable_account(store, agent_id, name)
    if account.protocol == "pop3":
        return await check_pop3(pop3_settings(account), await password_for(store, account))
    return await test_connection(imap_settings(account), await credential_for(store, account))


async def account_folders(
    store: Store, agent_id: int, name: str, *, refresh: bool
) -> list[FolderState]:
    """The account's folders with roles and sync flags; with `refresh`, the server's LIST
    is read first."""
    account = await manageable_account(store, agent_id, name)
    if account.protocol == "pop3":  # an inbox only, made by its first sync
        return [f for f in await folder_sql.of_account(store.reader, account.id) if f.present]
    if refresh:
        conn = await open_imap(store, account, name=f"folders-{account.name}")
        try:
            remote = await list_folders(conn)
        finally:
            await conn.close()
        found = [DiscoveredFolder(f.name, f.delimiter, " ".join(f.flags), f.role, f.selectable)
                 for f in remote]
        async with store.transaction() as db:
            await folder_sql.merge_discovered(db, account_id=account.id, found=found,
                                              sync_names=account.sync_folders)
    return [f for f in await folder_sql.of_account(store.reader, account.id) if f.present]


async def configure_folders(
    store: Store,
    agent_id: int,
    name: str,
    *,
    sync: list[str] | None = None,
    roles: dict[str, str | None] | None = None,
) -> list[FolderState]:
    """Choose the folders to sync and override detected roles; return the folders."""
    account = await manageable_account(store, agent_id, name)
    if account.protocol == "pop3":
        raise InvalidInputError(f"{name} is a POP3 account: it has an inbox only, with no "
                                "folders or roles to choose")
    folders = {f.name: f for f in await folder_sql.of_account(store.reader, account.id)}
    if sync is not None:
        unknown = [n for n in sync if n not in folders and n.upper() != "INBOX"]
        if unknown:
            raise InvalidInputError(
                f"no folder {unknown[0]!r} on {name}; see `frontdesk account folders {name}`"
            )
    for folder, role in (roles or {}).items():
        if folder not in folders:
            raise InvalidInputError(f"no folder {folder!r} on {name}")
        if role is not None and role not in ROLES:
            raise InvalidInputError(f"role {role!r}: choose one of {', '.join(ROLES)} or none")
    async with store.transaction() as db:
        if sync is not None:
            await settings_sql.set_sync_folders(db, account.id, sync)
            await folder_sql.set_sync_enabled(db, account_id=account.id, names=sync)
        for folder, role in (roles or {}).items():
            await folder_sql.set_role(db, account_id=account.id, folder_id=folders[folder].id,
                                      role=role)
        await audit.record(db, agent_id=agent_id, action="account.folders",
                           target_kind="account", target_id=account.id,
                           detail={"sync": sync, "roles": roles})
    return [f for f in await folder_sql.of_account(store.reader, account.id) if f.present]
