"""SQL for folders as sync sees them: discovery, roles, and per-folder sync state."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage.db import Db
from storage.records import FolderState


@dataclass(frozen=True)
class DiscoveredFolder:
    name: str
    delimiter: str | None
    flags: str
    role: str | None
    selectable: bool


def _state(row: sqlite3.Row) -> FolderState:
    return FolderState(
        id=row["id"],
        account_id=row["account_id"],
        name=row["name"],
        delimiter=row["delimiter"],
        role=row["role"],
        role_source=row["role_source"],
        sync_enabled=bool(row["sync_enabled"]),
        selectable=bool(row["selectable"]),
        present=bool(row["present"]),
        uidvalidity=row["uidvalidity"],
        uidnext=row["uidnext"],
        highestmodseq=row["highestmodseq"],
        synced_uid=row["synced_uid"],
        initial_until=row["initial_until"],
        last_sync_at=row["last_sync_at"],
        last_error=row["last_error"],
        last_error_at=row["last_error_at"],
    )


async def of_account(db: Db, account_id: int) -> list[FolderState]:
    """Every folder row of an account, by name."""
    rows = await db.fetchall(
        "SELECT * FROM folders WHERE account_id = ? ORDER BY name", (account_id,)
    )
    return [_state(r) for r in rows]


async def by_id(db: Db, folder_id: int) -> FolderState | None:
    """One folder's state."""
    row = await db.fetchone("SELECT * FROM folders WHERE id = ?", (folder_id,))
    return None if row is None else _state(row)


async def merge_discovered(
    db: Db, *, account_id: int, found: Sequence[DiscoveredFolder], sync_names: Iterable[str]
) -> None:
    """Bring folder rows in line with the server's LIST. New folders are added (synced when
    their name is in `sync_names`); roles follow the server unless a person set them;
    folders gone from the server are marked absent, never deleted with their mail."""
    # INBOX is case-insensitive (RFC 3501); every other name is matched exactly.
    wanted = {"INBOX" if n.upper() == "INBOX" else n for n in sync_names}
    names = [f.name for f in found]
    taken_roles = {f.role for f in found if f.role}
    # A role set by a person stays with its folder; clear auto roles that move elsewhere.
    await db.execute(
        "UPDATE folders SET role = NULL WHERE account_id = ? AND role_source = 'auto' "
        "AND role IN (SELECT value FROM json_each(?))",
        (account_id, _json(sorted(taken_roles))),
    )
    user_roles = {
        r[0] for r in await db.fetchall(
            "SELECT role FROM folders WHERE account_id = ? AND role_source = 'user' "
            "AND role IS NOT NULL", (account_id,))
    }
    for folder in found:
        role = None if folder.role in user_roles else folder.role
        key = "INBOX" if folder.name.upper() == "INBOX" else folder.name
        enabled = folder.selectable and key in wanted
        await db.execute(
            """
            INSERT INTO folders (account_id, name, delimiter, role, flags, selectable,
                                 sync_enabled, present)
            VALUES (?, ?, ?, ?, ?, ?, ?, 1)
            ON CONFLICT (account_id, name) DO UPDATE SET
                delimiter = excluded.delimiter, flags = excluded.flags,
                selectable = excluded.selectable, present = 1,
                role = CASE WHEN folders.role_source = 'user' THEN folders.role
                            ELSE excluded.role END
            """,
            (account_id, folder.name, folder.delimiter, role, folder.flags,
             int(folder.selectable), int(enabled)),
        )
    await db.execute(
        "UPDATE folders SET present = 0 WHERE account_id = ? "
        "AND name NOT IN (SELECT value FROM json_each(?))",
        (account_id, _json(names)),
    )


async def set_sync_enabled(db: Db, *, account_id: int, names: Iterable[str]) -> None:
    """Sync exactly the named folders of an account."""
    await db.execute(
        "UPDATE folders SET sync_enabled = (name IN (SELECT value FROM json_each(?))) "
        "WHERE account_id = ?",
        (_json(sorted(set(names))), account_id),
    )


async def set_role(db: Db, *, account_id: int, folder_id: int, role: str | None) -> None:
    """A person's choice of role for a folder; it wins over detection from then on."""
    if role is not None:
        await db.execute(
            "UPDATE folders SET role = NULL WHERE account_id = ? AND role = ?",
            (account_id, role),
        )
    await db.execute(
        "UPDATE folders SET role = ?, role_source = 'user' WHERE id = ?", (role, folder_id)
    )


async def save_state(
    db: Db,
    *,
    folder_id: int,
    uidvalidity: int,
    uidnext: int | None,
    highestmodseq: int | None,
    synced_uid: int,
    initial_until: int | None,
) -> None:
    """Record how far a folder is synced. Called in the transaction that stored the mail
    it accounts for, so state and mail never disagree after a crash."""
    await db.execute(
        "UPDATE folders SET uidvalidity = ?, uidnext = ?, highestmodseq = ?, synced_uid = ?, "
        "initial_until = ?, last_sync_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?",
        (uidvalidity, uidnext, highestmodseq, synced_uid, initial_until, folder_id),
    )


async def record_error(db: Db, folder_id: int, message: str | None) -> None:
    """Note (or with None, clear) why a folder's last sync failed."""
    await db.execute(
        "UPDATE folders SET last_error = ?, last_error_at = CASE WHEN ? IS NULL THEN NULL "
        "ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now') END WHERE id = ?",
        (message, message, folder_id),
    )


def _json(values: Iterable[str]) -> str:
    return json.dumps(list(values))
