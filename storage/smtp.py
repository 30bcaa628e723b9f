"""SQL for how mail is sent: each account's SMTP settings and the system SMTP."""

from __future__ import annotations

import sqlite3

from storage.db import Db
from storage.records import SmtpConfig

SMTP_PASSWORD = "smtp_password"
_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


def _account(row: sqlite3.Row) -> SmtpConfig:
    return SmtpConfig(
        account_id=row["id"], host=row["smtp_host"], port=row["smtp_port"],
        security=row["smtp_security"], auth=bool(row["smtp_auth"]),
        username=row["smtp_username"], password_command=row["smtp_password_command"],
        ca_file=row["smtp_ca_file"], verify_cert=bool(row["smtp_verify_cert"]),
        use_system=bool(row["smtp_use_system"]), reply_to=row["reply_to"],
        server_saves_sent=bool(row["server_saves_sent"]),
        has_password=bool(row["has_password"]),
    )


async def of_account(db: Db, account_id: int) -> SmtpConfig | None:
    row = await db.fetchone(
        "SELECT a.*, EXISTS (SELECT 1 FROM account_secrets WHERE account_id = a.id "
        "AND purpose = 'smtp_password') AS has_password FROM accounts AS a WHERE a.id = ?",
        (account_id,),
    )
    return None if row is None else _account(row)


async def set_account(db: Db, account_id: int, config: SmtpConfig) -> None:
    await db.execute(
        "UPDATE accounts SET smtp_host = ?, smtp_port = ?, smtp_security = ?, smtp_auth = ?, "
        "smtp_username = ?, smtp_password_command = ?, smtp_ca_file = ?, "
        "smtp_verify_cert = ?, smtp_use_system = ?, reply_to = ?, server_saves_sent = ? "
        "WHERE id = ?",
        (config.host, config.port, config.security, int(config.auth), config.username,
         config.password_command, config.ca_file, int(config.verify_cert),
         int(config.use_system), config.reply_to, int(config.server_saves_sent), account_id),
    )


async def system(db: Db) -> SmtpConfig | None:
    row = await db.fetchone(
        "SELECT s.*, EXISTS (SELECT 1 FROM system_secrets WHERE purpose = 'smtp_password') "
        "AS has_password FROM system_smtp AS s WHERE s.id = 1")
    if row is None:
        return None
    return SmtpConfig(
        account_id=None, host=row["host"], port=row["port"], security=row["security"],
        auth=bool(row["auth"]), username=row["username"],
        password_command=row["password_command"], ca_file=row["ca_file"],
        verify_cert=bool(row["verify_cert"]), use_system=False, reply_to="",
        server_saves_sent=False, has_password=bool(row["has_password"]),
    )


async def set_system(db: Db, config: SmtpConfig, *, updated_by: int) -> None:
    await db.execute(
        "INSERT INTO system_smtp (id, host, port, security, auth, username, password_command, "
        f"ca_file, verify_cert, updated_by, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        f"{_NOW}) ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, "
        "security = excluded.security, auth = excluded.auth, username = excluded.username, "
        "password_command = excluded.password_command, ca_file = excluded.ca_file, "
        "verify_cert = excluded.verify_cert, updated_by = excluded.updated_by, "
        "updated_at = excluded.updated_at",
        (config.host, config.port, config.security, int(config.auth), config.username,
         config.password_command, config.ca_file, int(config.verify_cert), updated_by),
    )


async def put_system_secret(db: Db, ciphertext: bytes) -> None:
    await db.execute(
        "INSERT INTO system_secrets (purpose, ciphertext) VALUES (?, ?) ON CONFLICT (purpose) "
        f"DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = {_NOW}",
        (SMTP_PASSWORD, ciphertext),
    )


async def get_system_secret(db: Db) -> bytes | None:
    value = await db.scalar("SELECT ciphertext FROM system_secrets WHERE purpose = ?",
                            (SMTP_PASSWORD,))
    return None if value is None else bytes(value)


async def clear_account_secret(db: Db, account_id: int) -> None:
    await db.execute("DELETE FROM account_secrets WHERE account_id = ? AND purpose = ?",
                     (account_id, SMTP_PASSWORD))


async def clear_system_secret(db: Db) -> None:
    await db.execute("DELETE FROM system_secrets WHERE purpose = ?", (SMTP_PASSWORD,))

