"""Changing an account's settings after it was added, with the checks `account add`
makes. Whoever configures the account may change it: its owner, or an admin for a
shared one. A change to the server or login lets a sync stopped by a failed login try
again."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, fields
from pathlib import Path

from engine.access import manageable_account
from engine.accounts import AccountSpec, validate
from engine.errors import AccessDeniedError, InvalidInputError
from engine.sync.requests import mark_request
from storage import Store, agents, audit
from storage import account_changes as changes_sql
from storage import settings as settings_sql
from storage.records import AccountSettings

# Fields whose change lets a sync stopped by a failed login try again.
_LOGIN_FIELDS = ("imap_host", "imap_port", "security", "username", "verify_cert",
                 "ca_file", "password_command")


@dataclass(frozen=True)
class AccountChange:
    """What to change; None leaves a setting as it is. For a personal account an empty
    imap_host, a port of 0 or an empty ca_file go back to the IMAP defaults; an empty
    password_command goes back to the stored password."""

    display_name: str | None = None
    email: str | None = None
    imap_host: str | None = None
    imap_port: int | None = None
    security: str | None = None
    username: str | None = None
    verify_cert: bool | None = None
    ca_file: str | None = None
    password_command: str | None = None
    check_every_minutes: int | None = None
    import_mode: str | None = None
    import_since: str | None = None
    mark_read_on_import: bool | None = None
    write_read_status: bool | None = None
    enabled: bool | None = None

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def given(self) -> tuple[str, ...]:
        """The names of the settings this change sets."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name) is not None)


async def change_account(
    store: Store, agent_id: int, name: str, change: AccountChange
) -> AccountSettings:
    """Apply `change` to the account `name`; return its settings as they now are."""
    account = await manageable_account(store, agent_id, name)
    if change.empty:
        return account
    values = await asyncio.to_thread(_checked_values, account, change)  # stats --ca-file
    if change.email is not None and change.email != account.email:
        await _check_may_use(store, agent_id, account, change.email)
    if account.kind == "shared" and values.get("imap_host", "x") is None:
        raise InvalidInputError(
            "a shared account needs an IMAP host (the IMAP defaults are for personal ones)")
    if (values.get("password_command", "x") is None and not account.has_password
            and not account.oauth_provider):
        raise InvalidInputError(
            f"{name} has no stored password: set one first with "
            f"`frontdesk account password {name} --password-stdin`")
    async with store.transaction() as db:
        await changes_sql.update(db, account.id, values)
        if any(getattr(change, f) is not None for f in _LOGIN_FIELDS):
            await settings_sql.clear_auth_failure(db, account.id)
        await audit.record(db, agent_id=agent_id, action="account.change",
                           target_kind="account", target_id=account.id,
                           detail={"name": account.name, "changed": list(change.given())})
        # A running engine syncs with the new settings now: an account enabled (or given
        # a host) is taken in, one disabled let go.
        await mark_request(db)
    changed = await settings_sql.by_id(store.reader, account.id)
    assert changed is not None
    return changed


def _checked_values(account: AccountSettings, change: AccountChange) -> dict[str, object]:
    """The columns to write, after the same checks as `account add` on the account as it
    would be."""
    own_host = None if "imap_host" in account.inherited else account.imap_host
    own_port = None if "imap_port" in account.inherited else account.imap_port
    host = own_host if change.imap_host is None else change.imap_host.strip()
    port = own_port if change.imap_port is None else (change.imap_port or None)
    ca_file = change.ca_file.strip() if change.ca_file is not None else None
    mode = change.import_mode or account.import_mode
    since = change.import_since if change.import_mode == "since" else (
        account.import_since if mode == "since" else None)
    if mode == "since" and not since:
        raise InvalidInputError("import mode since needs a date: since:YYYY-MM-DD")
    validate(AccountSpec(
        name=account.name,
        email=change.email if change.email is not None else account.email,
        imap_host=host or "",
        imap_port=port,
        security=change.security,
        check_every_minutes=change.check_every_minutes,
        ca_file=ca_file or None,
        import_mode=mode,
        import_since=since,
        protocol=account.protocol,
        mark_read_on_import=bool(change.mark_read_on_import),
        write_read_status=change.write_read_status,
    ))
    if change.display_name is not None and not change.display_name.strip():
        raise InvalidInputError("the display name cannot be empty")
    if change.username is not None and not change.username.strip():
        raise InvalidInputError("the IMAP username cannot be empty; give the login name")
    values: dict[str, object] = {}
    plain = {"display_name": change.display_name, "email": change.email,
             "imap_security": change.security, "check_every_minutes": change.check_every_minutes}
    values.update({k: v.strip() if isinstance(v, str) else v
                   for k, v in plain.items() if v is not None})
    if change.imap_host is not None:
        values["imap_host"] = host or None
    if change.imap_port is not None:
        values["imap_port"] = port
    if change.username is not None:
        values["imap_username"] = change.username.strip()
    if change.ca_file is not None:
        values["ca_file"] = str(Path(ca_file)) if ca_file else None
    if change.password_command is not None:
        if change.password_command.strip() and account.oauth_provider:
            raise InvalidInputError(
                f"{account.name} signs in with OAuth2: it takes no password command")
        values["password_command"] = change.password_command.strip() or None
    if change.import_mode is not None:
        values["import_mode"] = mode
        values["import_since"] = since
    for flag in ("verify_cert", "mark_read_on_import", "write_read_status", "enabled"):
        value = getattr(change, flag)
        if value is not None:
            values[flag] = int(value)
    return values


async def _check_may_use(store: Store, agent_id: int, account: AccountSettings,
                         email: str) -> None:
    """A personal account's new address must be one its owner owns (admins: any)."""
    agent = await agents.by_id(store.reader, agent_id)
    if agent is None or agent.role == "admin" or account.kind == "shared":
        return
    if not await agents.owns_address(store.reader, agent_id, email):
        raise AccessDeniedError(
            f"{email} is not one of your addresses; ask an admin to assign it to you "
            f"(frontdesk agent address add {agent.name} {email})")

