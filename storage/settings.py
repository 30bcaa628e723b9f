"""SQL for account settings and sync health."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from storage.access import ids_param
from storage.db import Db
from storage.imap_defaults import ServerFields, fill
from storage.records import AccountSettings

# A personal IMAP account's empty server fields are filled from imap_defaults as they
# are read (storage.imap_defaults.fill); shared and POP3 accounts use only their own.
_SELECT = """
SELECT a.*, EXISTS (SELECT 1 FROM account_secrets AS s
                     WHERE s.account_id = a.id AND s.purpose = 'imap_password') AS has_password,
       EXISTS (SELECT 1 FROM account_secrets AS s
                WHERE s.account_id = a.id AND s.purpose = 'oauth_refresh_token') AS has_token,
       d.host AS default_host, d.port AS default_port, d.security AS default_security,
       d.ca_file AS default_ca_file, sa.name AS sent_account_name
  FROM accounts AS a
  LEFT JOIN imap_defaults AS d ON d.id = 1 AND a.kind = 'personal' AND a.protocol = 'imap'
  LEFT JOIN accounts AS sa ON sa.id = a.sent_account_id
"""


def _server(row: sqlite3.Row) -> ServerFields:
    own = ServerFields(row["imap_host"], row["imap_port"], row["imap_security"],
                       row["ca_file"])
    defaults = ServerFields(row["default_host"], row["default_port"],
                            row["default_security"], row["default_ca_file"])
    return fill(own, defaults)


def _settings(row: sqlite3.Row) -> AccountSettings:
    server = _server(row)
    return AccountSettings(
        id=row["id"],
        name=row["name"],
        display_name=row["display_name"],
        email=row["email"],
        kind=row["kind"],
        owner_agent_id=row["owner_agent_id"],
        imap_host=server.host,
        imap_port=server.port,
        imap_security=server.security,
        imap_username=row["imap_username"],
        verify_cert=bool(row["verify_cert"]),
        ca_file=server.ca_file,
        password_command=row["password_command"],
        check_every_minutes=row["check_every_minutes"],
        import_mode=row["import_mode"],
        import_since=row["import_since"],
        mark_read_on_import=bool(row["mark_read_on_import"]),
        write_read_status=bool(row["write_read_status"]),
        sync_folders=tuple(json.loads(row["sync_folders"])),
        enabled=bool(row["enabled"]),
        last_sync_at=row["last_sync_at"],
        last_error=row["last_error"],
        last_error_at=row["last_error_at"],
        auth_failed=bool(row["auth_failed"]),
        has_password=bool(row["has_password"]),
        mirror_drafts=bool(row["mirror_drafts"]),
        inherited=server.inherited,
        oauth_provider=row["oauth_provider"],
        oauth_user=row["oauth_user"],
        oauth_expires_at=row["oauth_expires_at"],
        has_token=bool(row["has_token"]),
        protocol=row["protocol"],
        delete_after_import=bool(row["delete_after_import"]),
        sent_account_id=row["sent_account_id"],
        sent_account=row["sent_account_name"],
    )


async def by_name(db: Db, name: str) -> AccountSettings | None:
    """Settings of the account called `name` (no access check: callers check)."""
    row = await db.fetchone(_SELECT + " WHERE a.name = ?", (name,))
    return None if row is None else _settings(row)


async def by_id(db: Db, account_id: int) -> AccountSettings | None:
    """Settings of one account (no access check: callers check)."""
    row = await db.fetchone(_SELECT + " WHERE a.id = ?", (account_id,))
    return None if row is None else _settings(row)


async def list_for(db: Db, account_ids: Iterable[int]) -> list[AccountSettings]:
    """Settings of the given accounts, by name."""
    rows = await db.fetchall(
        _SELECT + " WHERE a.id IN (SELECT value FROM json_each(?)) ORDER BY a.name",
        (ids_param(account_ids),),
    )
    return [_settings(r) for r in rows]


async def insert(
    db: Db,
    *,
    name: str,
    display_name: str,
    email: str,
    kind: str,
    owner_agent_id: int | None,
    imap_host: str | None,
    imap_port: int | None,
    imap_security: str | None,
    imap_username: str,
    verify_cert: bool,
    ca_file: str | None,
    password_command: str | None,
    check_every_minutes: int,
    import_mode: str,
    import_since: str | None,
    mark_read_on_import: bool,
    write_read_status: bool,
    sync_folders: Iterable[str],
    protocol: str = "imap",
    delete_after_import: bool = False,
    sent_account_id: int | None = None,
) -> int:
    """Create an account; return its id. Server fields left None stay empty in the row
    (a personal IMAP account then reads them from the IMAP defaults). For `protocol`
    "pop3" the server fields name the POP3 server."""
    return await db.insert(
        """
        INSERT INTO accounts (
            name, display_name, email, kind, owner_agent_id, imap_host, imap_port,
            imap_security, imap_username, verify_cert, ca_file, password_command,
            check_every_minutes, import_mode, import_since, mark_read_on_import,
            write_read_status, sync_folders, protocol, delete_after_import, sent_account_id
        ) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            name, display_name, email, kind, owner_agent_id, imap_host, imap_port,
            imap_security, imap_username, int(verify_cert), ca_file, password_command,
            check_every_minutes, import_mode, import_since, int(mark_read_on_import),
            int(write_read_status), json.dumps(list(sync_folders)), protocol,
            int(delete_after_import), sent_account_id,
        ),
    )


async def delete(db: Db, account_id: int) -> None:
    """Remove an account with its folders, mail, secrets and jobs."""
    await db.execute("DELETE FROM accounts WHERE id = ?", (account_id,))


async def record_error(db: Db, account_id: int, message: str, *, auth_failed: bool) -> None:
    """Note why the last sync of an account failed."""
    await db.execute(
        "UPDATE accounts SET last_error = ?, last_error_at = strftime('%Y-%m-%dT%H:%M:%SZ', "
        "'now'), auth_failed = ? WHERE id = ?",
        (message, int(auth_failed), account_id),
    )


async def record_success(db: Db, account_id: int) -> None:
    """Note a complete sync pass; clears the account's error."""
    await db.execute(
        "UPDATE accounts SET last_sync_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
        "last_error = NULL, last_error_at = NULL, auth_failed = 0 WHERE id = ?",
        (account_id,),
    )


async def clear_auth_failure(db: Db, account_id: int) -> None:
    """New credentials: let sync try again."""
    await db.execute("UPDATE accounts SET auth_failed = 0 WHERE id = ?", (account_id,))


async def set_sync_folders(db: Db, account_id: int, names: Iterable[str]) -> None:
    """The folder names an account syncs."""
    await db.execute(
        "UPDATE accounts SET sync_folders = ? WHERE id = ?",
        (json.dumps(list(names)), account_id),
    )


async def set_mirror_drafts(db: Db, account_id: int, on: bool) -> None:
    """Whether an account's drafts are copied to its Drafts folder on the server."""
    await db.execute("UPDATE accounts SET mirror_drafts = ? WHERE id = ?",
                     (int(on), account_id))


async def put_secret(db: Db, account_id: int, purpose: str, ciphertext: bytes) -> None:
    """Store (or replace) the ciphertext of one secret of an account."""
    await db.execute(
        "INSERT INTO account_secrets (account_id, purpose, ciphertext) VALUES (?, ?, ?) "
        "ON CONFLICT (account_id, purpose) DO UPDATE SET ciphertext = excluded.ciphertext, "
        "updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        (account_id, purpose, ciphertext),
    )


async def get_secret(db: Db, account_id: int, purpose: str) -> bytes | None:
    """The ciphertext of one secret, if stored."""
    value = await db.scalar(
        "SELECT ciphertext FROM account_secrets WHERE account_id = ? AND purpose = ?",
        (account_id, purpose),
    )
    return None if value is None else bytes(value)
