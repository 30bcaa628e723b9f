"""SQL for POP3 accounts: the UIDLs each server listed and what became of them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from storage.db import Db
from storage.records import Pop3Uidl

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


async def uidls(db: Db, account_id: int) -> dict[str, Pop3Uidl]:
    """Every UIDL recorded for an account, by UIDL."""
    rows = await db.fetchall(
        "SELECT uidl, state, message_id, deleted_on_server FROM pop3_uidls "
        "WHERE account_id = ?",
        (account_id,),
    )
    return {
        r["uidl"]: Pop3Uidl(uidl=r["uidl"], state=r["state"], message_id=r["message_id"],
                            deleted_on_server=bool(r["deleted_on_server"]))
        for r in rows
    }


async def record(
    db: Db, account_id: int, outcomes: Sequence[tuple[str, str, int | None]]
) -> None:
    """Record (uidl, state, message row) for UIDLs handled now: a pending UIDL takes
    its outcome, a new one is added."""
    await db.executemany(
        f"""
        INSERT INTO pop3_uidls (account_id, uidl, state, message_id, imported_at)
        VALUES (?, ?, ?, ?, CASE WHEN ? = 'pending' THEN NULL ELSE {_NOW} END)
        ON CONFLICT (account_id, uidl) DO UPDATE SET
            state = excluded.state, message_id = excluded.message_id,
            imported_at = excluded.imported_at
        """,
        ((account_id, uidl, state, message_id, state) for uidl, state, message_id in outcomes),
    )


async def mark_gone(db: Db, account_id: int, gone: Iterable[str]) -> int:
    """Note UIDLs no longer on the server; return how many rows changed."""
    return await db.execute(
        "UPDATE pop3_uidls SET deleted_on_server = 1 WHERE account_id = ? "
        "AND deleted_on_server = 0 AND uidl IN (SELECT value FROM json_each(?))",
        (account_id, json.dumps(sorted(set(gone)))),
    )


async def message_ids(
    db: Db, *, folder_id: int, uidvalidity: int, uids: Iterable[int]
) -> dict[int, int]:
    """The message rows stored under these UIDs of a folder: uid -> row id."""
    rows = await db.fetchall(
        "SELECT uid, id FROM messages WHERE folder_id = ? AND uidvalidity = ? "
        "AND uid IN (SELECT value FROM json_each(?))",
        (folder_id, uidvalidity, json.dumps(sorted(set(uids)))),
    )
    return {int(r["uid"]): int(r["id"]) for r in rows}
