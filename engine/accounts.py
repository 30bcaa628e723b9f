"""Account settings (IMAP and POP3): validation, creation, and the password a
connection needs."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from engine.errors import InvalidInputError, SecretError
from engine.imap.connection import ImapSettings
from engine.secrets import run_password_command, seal, unseal
from engine.server_settings import SECURITY_MODES, MailboxServer, usual_port
from storage import Db, Store
from storage import settings as settings_sql
from storage.records import AccountSettings

if TYPE_CHECKING:
    from engine.pop3.client import Pop3Settings

SECURITY = SECURITY_MODES
IMPORT_MODES = ("all", "unread", "since", "new-only")
PROTOCOLS = ("imap", "pop3")
IMAP_PASSWORD = "imap_password"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")


@dataclass(frozen=True)
class AccountSpec:
    """What a person gives to add an account (password apart). For a personal IMAP
    account, host, port, security and CA file may be left empty (""/None): the admin's
    IMAP defaults fill them when the account is used. `shared`: a shared mailbox
    (admins), whose display name is its label. With `protocol` "pop3", imap_host and
    imap_port name the POP3 server, and the account has an inbox only."""

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
    # None: as the protocol allows (IMAP writes read/unread back, POP3 cannot).
    write_read_status: bool | None = None
    shared: bool = False
    oauth: str | None = None  # "microsoft" | "google": sign in with OAuth2, no password
    protocol: str = "imap"  # "imap" | "pop3"
    delete_after_import: bool = False  # POP3: delete from the server once stored
    sent_to: str | None = None  # POP3: the IMAP account whose Sent folder files copies


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
    server = "--host" if spec.protocol == "pop3" else "--imap-host"
    if spec.imap_host and (not host or any(c.isspace() for c in host) or "/" in host):
        raise InvalidInputError(f"{server} {spec.imap_host!r} is not a host name")
    if spec.security is not None and spec.security not in SECURITY:
        raise InvalidInputError(f"--security {spec.security!r}: choose ssl, starttls or none")
    if spec.imap_port is not None and not 0 < spec.imap_port < 65536:
        port = "--port" if spec.protocol == "pop3" else "--imap-port"
        raise InvalidInputError(f"{port} {spec.imap_port}: must be 1 to 65535")
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
    if spec.protocol not in PROTOCOLS:
        raise InvalidInputError(f"--protocol {spec.protocol!r}: choose imap or pop3")
    if spec.protocol == "pop3":
        _validate_pop3(spec, folders)
    elif spec.delete_after_import:
        raise InvalidInputError("--delete-after-import is for POP3 accounts; IMAP mail "
                                "stays on its server and syncs both ways")
    elif spec.sent_to is not None:
        raise InvalidInputError("--sent-to is for POP3 accounts; an IMAP account files "
                                "sent mail in its own Sent folder")
    return spec


def _validate_pop3(spec: AccountSpec, folders: tuple[str, ...]) -> None:
    """What POP3 cannot do: it has an inbox only and keeps no flags on the server."""
    if tuple(f.upper() for f in folders) != ("INBOX",):
        raise InvalidInputError("--folders: a POP3 account has an inbox only; leave it out")
    if spec.mark_read_on_import:
        raise InvalidInputError("--mark-read-on-import: POP3 keeps no read status on the "
                                "server; leave it out")
    if spec.write_read_status is not None:
        raise InvalidInputError("--no-write-read-status: POP3 keeps no read status on the "
                                "server, so nothing is written back; leave it out")
    if spec.import_mode == "unread":
        raise InvalidInputError("--import unread: POP3 keeps no read status; choose all, "
                                "new-only or since:YYYY-MM-DD")
    if spec.oauth is not None:
        raise InvalidInputError("--oauth is for IMAP accounts; a POP3 account logs in with "
                                "a password (--password-stdin or --password-command)")
    if not spec.imap_host.strip():
        raise InvalidInputError("a POP3 account needs --host (the IMAP defaults are for "
                                "IMAP accounts)")


def on_imap_server(account: AccountSettings) -> bool:
    """Whether the account's mail lives on an IMAP server, so that flags, moves,
    deletions, drafts and Sent copies are written back there as jobs. A POP3 account's
    mail does not (those changes stay in the store), nor does an account without a
    server."""
    return account.protocol == "imap" and bool(account.imap_host)


async def sent_copies_account(db: Db, account_id: int) -> AccountSettings | None:
    """The account whose Sent folder files copies of mail sent from `account_id`: the
    account itself, or for a POP3 account the IMAP account chosen for it (None: the
    copies are filed nowhere)."""
    account = await settings_sql.by_id(db, account_id)
    if account is None or account.protocol != "pop3":
        return account
    if account.sent_account_id is None:
        return None
    return await settings_sql.by_id(db, account.sent_account_id)


def pop3_settings(account: AccountSettings) -> Pop3Settings:
    """What a connection to this POP3 account needs (no password); a security left unset
    is implicit TLS."""
    from engine.pop3.client import Pop3Settings

    return _server(Pop3Settings, account)


def imap_settings(account: AccountSettings) -> ImapSettings:
    """What a connection to this account needs (no password). Settings as read from the
    store already hold the IMAP defaults; a security still unset is implicit TLS."""
    if account.protocol == "pop3":
        raise InvalidInputError(f"account {account.name!r} is a POP3 account: it has an "
                                "inbox only, synced by `frontdesk sync`")
    return _server(ImapSettings, account)


S = TypeVar("S", bound=MailboxServer)


def _server(kind: type[S], account: AccountSettings) -> S:
    """The account's server as `kind` takes it: the usual port for its security when it
    names none, the address as the login when it names none."""
    if not account.imap_host:
        raise InvalidInputError(
            f"account {account.name!r} has no {kind.PROTOCOL} server configured")
    security = account.imap_security or "ssl"
    return kind(
        host=account.imap_host,
        port=account.imap_port or usual_port(kind.PROTOCOL, security, kind.PORTS),
        security=security,
        username=account.imap_username or account.email,
        verify_cert=account.verify_cert,
        ca_file=account.ca_file,
    )


async def sealed_password(store: Store, account_id: int, password: str) -> bytes:
    """An account's password encrypted for the store (SecretError when the key file is
    unusable)."""
    return await seal(store.path, password, context=f"account:{account_id}:{IMAP_PASSWORD}")


async def save_password(store: Store, account_id: int, password: str) -> None:
    """Encrypt and store an account's password."""
    blob = await sealed_password(store, account_id, password)
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
