"""SQL for the IMAP defaults an admin sets for the whole store, and how a personal
account's own settings are filled from them when read.

The account row keeps what its owner gave (empty fields stay NULL); the defaults are
applied each time settings are read, so changing them changes every account that left
those fields empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Db

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


@dataclass(frozen=True)
class ImapDefaults:
    """The store-wide IMAP settings; None where the admin set nothing."""

    host: str | None = None
    port: int | None = None
    security: str | None = None  # ssl | starttls | none
    ca_file: str | None = None
    check_every_minutes: int | None = None
    updated_by: str | None = None  # the admin's agent name
    updated_at: str | None = None

    @property
    def empty(self) -> bool:
        return (self.host, self.port, self.security, self.ca_file,
                self.check_every_minutes) == (None, None, None, None, None)


@dataclass(frozen=True)
class ServerFields:
    """Where an account's IMAP server is: the account's own values, or (after `fill`)
    the ones it uses, with the names of the fields taken from the defaults."""

    host: str | None
    port: int | None
    security: str | None
    ca_file: str | None
    inherited: tuple[str, ...] = ()


def fill(own: ServerFields, defaults: ServerFields) -> ServerFields:
    """The server settings an account uses. The defaults describe one server: an account
    naming no host takes it, and an account on that server takes each field it leaves
    empty from them. A port also needs the same security: 993 is no STARTTLS port."""
    if own.host is not None and own.host != defaults.host:
        return own
    taken: list[str] = []
    host, security, port, ca_file = own.host, own.security, own.port, own.ca_file
    if host is None and defaults.host is not None:
        host = defaults.host
        taken.append("imap_host")
    if security is None and defaults.security is not None:
        security = defaults.security
        taken.append("imap_security")
    if port is None and defaults.port is not None and security == defaults.security:
        port = defaults.port
        taken.append("imap_port")
    if ca_file is None and defaults.ca_file is not None:
        ca_file = defaults.ca_file
        taken.append("ca_file")
    return ServerFields(host, port, security, ca_file, tuple(taken))


async def get(db: Db) -> ImapDefaults:
    """The defaults (all None when the admin set none)."""
    row = await db.fetchone(
        "SELECT d.*, a.name AS updater FROM imap_defaults AS d "
        "LEFT JOIN agents AS a ON a.id = d.updated_by WHERE d.id = 1")
    if row is None:
        return ImapDefaults()
    return ImapDefaults(
        host=row["host"], port=row["port"], security=row["security"],
        ca_file=row["ca_file"], check_every_minutes=row["check_every_minutes"],
        updated_by=row["updater"], updated_at=row["updated_at"],
    )


async def put(db: Db, defaults: ImapDefaults, *, updated_by: int) -> None:
    """Replace the defaults."""
    await db.execute(
        "INSERT INTO imap_defaults (id, host, port, security, ca_file, check_every_minutes, "
        f"updated_by, updated_at) VALUES (1, ?, ?, ?, ?, ?, ?, {_NOW}) "
        "ON CONFLICT (id) DO UPDATE SET host = excluded.host, port = excluded.port, "
        "security = excluded.security, ca_file = excluded.ca_file, "
        "check_every_minutes = excluded.check_every_minutes, "
        "updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        (defaults.host, defaults.port, defaults.security, defaults.ca_file,
         defaults.check_every_minutes, updated_by),
    )


async def clear(db: Db) -> bool:
    """Remove every default; False when there were none."""
    return await db.execute("DELETE FROM imap_defaults WHERE id = 1") > 0
