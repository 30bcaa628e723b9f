"""IMAP account settings: validation, creation, and the password a connection needs."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine.errors import InvalidInputError, SecretError
from engine.imap.connection import ImapSettings, default_port
from engine.secrets import run_password_command, seal, unseal
from storage import Store
from storage import settings as settings_sql
from storage.records import AccountSettings

SECURITY = ("ssl", "starttls", "none")
IMPORT_MODES = ("all", "unread", "since", "new-only")
IMAP_PASSWORD = "imap_password"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


@dataclass(frozen=True)
class AccountSpec:
    """What a person gives to add an IMAP account (password apart). For a personal
    account, host, port, security and CA file may be left empty (""/None): the admin's
    IMAP defaults fill them when the account is used. `shared`: a shared mailbox
    (admins), whose display name is its label."""

    name: str
    email: str
    imap_host: str = ""
    imap_port: int | None = None
    security: str | None = None
    username: str | None = None
    display_name: str = ""
    verify_cert: bool = True
    ca_file: str | None = None
    password_command: str | None = None
    folders: tuple[str, ...] = ("INBOX",)
    import_mode: str = "all"
    import_since: str | None = None
    check_every_minutes: int | None = None
    mark_read_on_import: bool = False
    write_read_status: bool = True
    shared: bool = False
    oauth: str | None = None  # "microsoft" | "google": sign in with OAuth2, no password


def parse_import(value: str) -> tuple[str, str | None]:
    """`all`, `unread`, `new-only` or `since:YYYY-MM-DD` -> (mode, since)."""
    text = value.strip().lower()
    if text.startswith("since:"):
        day = text.split(":", 1)[1]
        try:
            date.fromisoformat(day)
        except ValueError:
            raise InvalidInputError(
                f"--import since:{day}: not a date; write it as since:YYYY-MM-DD"
            ) from None
        return "since", day
    if text in ("all", "unread", "new-only"):
        return text, None
    raise InvalidInputError(
        f"--import {value!r}: choose all, unread, new-only or since:YYYY-MM-DD"
    )


def validate(spec: AccountSpec) -> AccountSpec:
    """Check a spec the way a person would want it checked; raise InvalidInputError with
    one line saying what to change."""
    if not _NAME.match(spec.name):
        raise InvalidInputError(
            f"account name {spec.name!r}: use letters, digits, '.', '_' or '-' (max 64)"
        )
    if not _EMAIL.match(spec.email):
        raise InvalidInputError(f"--email {spec.email!r} is not an email address")
    host = spec.imap_host.strip()
    if spec.imap_host and (not host or any(c.isspace() for c in host) or "/" in host):
        raise InvalidInputError(f"--imap-host {spec.imap_host!r} is not a host name")
    if spec.security is not None and spec.security not in SECURITY:
        raise InvalidInputError(f"--security {spec.security!r}: choose ssl, starttls or none")
    if spec.imap_port is not None and not 0 < spec.imap_port < 65536:
        raise InvalidInputError(f"--imap-port {spec.imap_port}: must be 1 to 65535")
    if spec.import_mode not in IMPORT_MODES:
        raise InvalidInputError(f"import mode {spec.import_mode!r} is not known")
    if spec.oauth is not None and spec.oauth not in ("microsoft", "google"):
        raise InvalidInputError(f"--oauth {spec.oauth!r}: choose microsoft or google")
    if spec.oauth and spec.password_command:
        raise InvalidInputError("--oauth signs in with a token: give no --password-command")
    if spec.check_every_minutes is not None and spec.check_every_minutes < 1:
        raise InvalidInputError("the check interval must be at least 1 minute")
    if spec.ca_file is not None and not Path(spec.ca_file).is_file():
        raise InvalidInputError(f"--ca-file {spec.ca_file}: no such file")
    folders = tuple(f.strip() for f in spec.folders if f.strip())
    if not folders:
        raise InvalidInputError("--folders needs at least one folder name")
    return spec


def imap_settings(account: AccountSettings) -> ImapSettings:
    """What a connection to this account needs (no password). Settings as read from the
    store already hold the IMAP defaults; a security still unset is implicit TLS."""
    if not account.imap_host:
        raise InvalidInputError(f"account {account.name!r} has no IMAP server configured")
    security = account.imap_security or "ssl"
    return ImapSettings(
        host=account.imap_host,
        port=account.imap_port or default_port(security),
        security=security,
        username=account.imap_username or account.email,
        verify_cert=account.verify_cert,
        ca_file=account.ca_file,
    )


async def save_password(store: Store, account_id: int, password: str) -> None:
    """Encrypt and store an account's IMAP password."""
    blob = await seal(store.path, password, context=f"account:{account_id}:{IMAP_PASSWORD}")
    async with store.transaction() as db:
        await settings_sql.put_secret(db, account_id, IMAP_PASSWORD, blob)


async def password_for(store: Store, account: AccountSettings) -> str:
    """The account's IMAP password: from its password command, else decrypted from the
    store. Never logged."""
    if account.password_command:
        return await asyncio.to_thread(run_password_command, account.password_command)
    blob = await settings_sql.get_secret(store.reader, account.id, IMAP_PASSWORD)
    if blob is None:
        raise SecretError(
            f"account {account.name!r} has no password; set one with "
            f"`frontdesk account password {account.name} --password-stdin`"
        )
    return await unseal(store.path, blob, context=f"account:{account.id}:{IMAP_PASSWORD}")
