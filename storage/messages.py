"""SQL for messages: insert in batches, list, read one, and their raw bytes.

Every read takes the set of account ids the acting agent may see and filters by it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from storage import raw_packs
from storage.access import ids_param
from storage.db import Db
from storage.raw_codec import decompress
from storage.records import (
    NEW_MESSAGE_COLUMNS,
    BodyUpdate,
    FlagState,
    MessageHeaders,
    MessageSummary,
    NewMessage,
)

# The columns of a list row and the join they need; a query adds `thread_count`.
SUMMARY_COLUMNS = """
       m.id, m.account_id, m.folder_id, m.thread_id, m.subject, m.from_name, m.from_addr,
       m.date, m.seen, m.flagged, m.answered, m.has_attachments, m.snippet,
       ca.customer_id, m.parse_error"""
SUMMARY_JOIN = "LEFT JOIN customer_addresses AS ca ON ca.address = m.from_addr"


def summary(row: sqlite3.Row) -> MessageSummary:
    """A list row read with SUMMARY_COLUMNS and a `thread_count` column."""
    return MessageSummary(
        id=row["id"],
        account_id=row["account_id"],
        folder_id=row["folder_id"],
        thread_id=row["thread_id"],
        subject=row["subject"],
        from_name=row["from_name"],
        from_addr=row["from_addr"],
        date=row["date"],
        seen=bool(row["seen"]),
        flagged=bool(row["flagged"]),
        answered=bool(row["answered"]),
        has_attachments=bool(row["has_attachments"]),
        snippet=row["snippet"],
        customer_id=row["customer_id"],
        parse_error=row["parse_error"],
        thread_count=row["thread_count"],
    )


async def existing_uids(
    db: Db, *, folder_id: int, uidvalidity: int, uids: Iterable[int]
) -> set[int]:
    """Which of `uids` the folder already holds under this UIDVALIDITY."""
    rows = await db.fetchall(
        "SELECT uid FROM messages WHERE folder_id = ? AND uidvalidity = ? "
        "AND uid IN (SELECT value FROM json_each(?))",
        (folder_id, uidvalidity, ids_param(uids)),
    )
    return {int(r[0]) for r in rows}


_INSERT_MESSAGE = (
    "INSERT INTO messages (id, account_id, folder_id, thread_id, "
    f"{', '.join(NEW_MESSAGE_COLUMNS)}, has_body) "
    f"VALUES ({', '.join('?' * (len(NEW_MESSAGE_COLUMNS) + 5))})"
)
_COLUMN_COUNT = len(NEW_MESSAGE_COLUMNS)


async def insert_many(
    db: Db, rows: Sequence[NewMessage], *, account_id: int, folder_id: int,
    thread_ids: Sequence[int | None],
) -> list[int]:
    """Insert messages of one folder, each in its thread, with their index text, and raw
    bytes and attachments where present; return their ids in order.

    Must run inside a transaction. Ids are assigned up front so each table takes one
    executemany; callers drop rows whose server key already exists (existing_uids).
    """
    if not rows:
        return []
    start = int(await db.scalar("SELECT coalesce(max(id), 0) FROM messages")) + 1
    ids = list(range(start, start + len(rows)))
    pairs = list(zip(ids, rows, strict=True))
    await db.executemany(_INSERT_MESSAGE, (
        (i, account_id, folder_id, t, *r[:_COLUMN_COUNT], r.raw_data is not None)
        for (i, r), t in zip(pairs, thread_ids, strict=True)
    ))
    await db.executemany(
        "INSERT INTO message_raw (message_id, compression, data) VALUES (?, ?, ?)",
        ((i, r.raw_codec, r.raw_data) for i, r in pairs if r.raw_data is not None),
    )
    await _insert_attachments(db, ((i, r.attachments) for i, r in pairs))
    # A message is indexed once, with its body (header-only rows are indexed when
    # attach_bodies brings the body).
    await _index(db, [(i, r.subject, r.index_sender, r.index_recipients, r.index_body)
                      for i, r in pairs if r.raw_data is not None])
    return ids


# The search index takes its rows in one statement per batch, and last in the
# transaction: FTS5 writes what it holds in memory to disk at the end of every write
# statement of a transaction that has touched it, so a statement per row (executemany)
# wrote a tiny index segment per message and merged them over and over. The rows wait
# in a table of the connection's own (TEMP: never in the file, rolled back with the
# transaction), where executemany puts them with no encoding; one statement then moves
# them all.
_STAGE = """
CREATE TEMP TABLE IF NOT EXISTS index_stage (
    id INTEGER PRIMARY KEY, subject TEXT, sender TEXT, recipients TEXT, body TEXT)
"""


async def _stage(db: Db, rows: Iterable[tuple[int, str, str, str, str]]) -> None:
    await db.execute(_STAGE)
    await db.executemany("INSERT INTO temp.index_stage VALUES (?, ?, ?, ?, ?)", rows)


async def _index(db: Db, rows: list[tuple[int, str, str, str, str]]) -> None:
    """Add rows (id, subject, sender, recipients, body) to the search index."""
    if rows:
        await _stage(db, rows)
        await db.execute("INSERT INTO message_text (id, subject, sender, recipients, body) "
                         "SELECT id, subject, sender, recipients, body FROM temp.index_stage")
        await db.execute("DELETE FROM temp.index_stage")


async def _insert_attachments(
    db: Db, items: Iterable[tuple[int, tuple[tuple[str, str, int], ...]]]
) -> None:
    await db.executemany(
        "INSERT OR REPLACE INTO attachments (message_id, idx, filename, content_type, size) "
        "VALUES (?, ?, ?, ?, ?)",
        (
            (mid, n, name, ctype, size)
            for mid, found in items
            for n, (name, ctype, size) in enumerate(found)
        ),
    )


async def attach_bodies(db: Db, updates: Sequence[BodyUpdate]) -> None:
    """Store the bodies of messages first stored with headers only. Must run inside a
    transaction; the index text is updated through message_text (triggers follow)."""
    if not updates:
        return
    await db.executemany(
        "INSERT OR REPLACE INTO message_raw "
        "(message_id, compression, data, pack, pack_offset, pack_length) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        ((u.message_id, u.raw_codec, u.raw_data, u.raw_pack,
          u.raw_offset if u.raw_pack else None, u.raw_length if u.raw_pack else None)
         for u in updates),
    )
    packs: dict[str, int] = {}
    for u in updates:
        if u.raw_pack is not None:
            packs[u.raw_pack] = max(packs.get(u.raw_pack, 0), u.raw_offset + u.raw_length)
    for name, size in packs.items():
        await raw_packs.register(db, name, size)
    await db.executemany(
        "UPDATE messages SET has_body = 1, size = ?, snippet = ?, has_attachments = ?, "
        "parse_error = coalesce(?, parse_error) WHERE id = ?",
        (
            (u.size, u.snippet, int(bool(u.attachments)), u.parse_error, u.message_id)
            for u in updates
        ),
    )
    await _insert_attachments(db, ((u.message_id, u.attachments) for u in updates))
    ids = ids_param(u.message_id for u in updates)
    await db.execute("DELETE FROM message_text WHERE id IN (SELECT value FROM json_each(?))",
                     (ids,))
    await _stage(db, ((u.message_id, "", "", "", u.index_body) for u in updates))
    await db.execute(
        """
        INSERT INTO message_text (id, subject, sender, recipients, body)
        SELECT m.id, m.subject, trim(m.from_name || ' ' || m.from_addr),
               m.to_addrs || CASE WHEN m.cc_addrs <> '' AND m.to_addrs <> '' THEN ', '
                                  ELSE '' END || m.cc_addrs,
               b.body
          FROM temp.index_stage AS b JOIN messages AS m ON m.id = b.id
        """
    )
    await db.execute("DELETE FROM temp.index_stage")


async def without_body(
    db: Db, *, folder_id: int, uidvalidity: int, limit: int
) -> list[tuple[int, int, int]]:
    """(message id, uid, size) of messages of a folder still waiting for their body."""
    rows = await db.fetchall(
        "SELECT id, uid, size FROM messages WHERE folder_id = ? AND uidvalidity = ? "
        "AND has_body = 0 ORDER BY uid LIMIT ?",
        (folder_id, uidvalidity, limit),
    )
    return [(int(r[0]), int(r[1]), int(r[2])) for r in rows]


async def uids(db: Db, *, folder_id: int, uidvalidity: int) -> set[int]:
    """Every UID of a folder the store holds under this UIDVALIDITY."""
    rows = await db.fetchall(
        "SELECT uid FROM messages WHERE folder_id = ? AND uidvalidity = ?",
        (folder_id, uidvalidity),
    )
    return {int(r[0]) for r in rows}


async def apply_flags(
    db: Db, *, folder_id: int, uidvalidity: int, flags: Sequence[FlagState], take_seen: bool = True
) -> int:
    """Take the server's flags for these UIDs; return how many rows changed. With
    take_seen False the local read state is kept (the server's \\Seen means something
    else for that account, e.g. "imported")."""
    before = db.total_changes()
    await db.executemany(
        """
        UPDATE messages SET seen = CASE WHEN :take THEN :seen ELSE seen END,
               flagged = :flagged, answered = :answered, draft = :draft, deleted = :deleted,
               keywords = :keywords, modseq = coalesce(:modseq, modseq)
         WHERE folder_id = :folder AND uidvalidity = :validity AND uid = :uid
           AND (seen, flagged, answered, draft, deleted, keywords)
               IS NOT (CASE WHEN :take THEN :seen ELSE seen END, :flagged, :answered, :draft,
                       :deleted, :keywords)
        """,
        (
            {
                "take": int(take_seen), "seen": int(f.seen), "flagged": int(f.flagged),
                "answered": int(f.answered), "draft": int(f.draft), "deleted": int(f.deleted),
                "keywords": f.keywords, "modseq": f.modseq, "folder": folder_id,
                "validity": uidvalidity, "uid": f.uid,
            }
            for f in flags
        ),
    )
    return db.total_changes() - before


async def delete_uids(db: Db, *, folder_id: int, uidvalidity: int, uids: Iterable[int]) -> int:
    """Forget messages expunged on the server; return how many were removed."""
    return await db.execute(
        "DELETE FROM messages WHERE folder_id = ? AND uidvalidity = ? "
        "AND uid IN (SELECT value FROM json_each(?))",
        (folder_id, uidvalidity, ids_param(uids)),
    )


async def delete_other_validity(db: Db, *, folder_id: int, uidvalidity: int) -> int:
    """Drop a folder's UID map after a UIDVALIDITY change. Customers, cases and notes hang
    on addresses and threads, which stay; the messages are fetched again."""
    return await db.execute(
        "DELETE FROM messages WHERE folder_id = ? AND uid IS NOT NULL AND uidvalidity <> ?",
        (folder_id, uidvalidity),
    )


async def headers(db: Db, *, message_id: int, account_ids: Iterable[int]) -> MessageHeaders | None:
    """The stored header fields of one message, if the agent may see it."""
    row = await db.fetchone(
        """
        SELECT id, account_id, folder_id, thread_id, message_id, subject, from_name, from_addr,
               to_addrs, cc_addrs, date, seen, flagged, parse_error, uidvalidity, uid, has_body
          FROM messages
         WHERE id = ? AND account_id IN (SELECT value FROM json_each(?))
        """,
        (message_id, ids_param(account_ids)),
    )
    if row is None:
        return None
    return MessageHeaders(
        id=row["id"],
        account_id=row["account_id"],
        folder_id=row["folder_id"],
        thread_id=row["thread_id"],
        message_id=row["message_id"],
        subject=row["subject"],
        from_name=row["from_name"],
        from_addr=row["from_addr"],
        to_addrs=row["to_addrs"],
        cc_addrs=row["cc_addrs"],
        date=row["date"],
        seen=bool(row["seen"]),
        flagged=bool(row["flagged"]),
        parse_error=row["parse_error"],
        uidvalidity=row["uidvalidity"],
        uid=row["uid"],
        has_body=bool(row["has_body"]),
    )


async def raw(db: Db, *, message_id: int, account_ids: Iterable[int]) -> bytes | None:
    """The original bytes of one message, if the agent may see it."""
    row = await db.fetchone(
        f"""
        SELECT {raw_packs.COLUMNS} FROM message_raw AS r
          JOIN messages AS m ON m.id = r.message_id
         WHERE r.message_id = ? AND m.account_id IN (SELECT value FROM json_each(?))
        """,
        (message_id, ids_param(account_ids)),
    )
    return None if row is None else decompress(*await raw_packs.stored(db, message_id, *row))


async def set_seen(db: Db, *, message_id: int, seen: bool, account_ids: Iterable[int]) -> bool:
    """Mark one message read or unread; False when the agent may not see it."""
    changed = await db.execute(
        "UPDATE messages SET seen = ? WHERE id = ? "
        "AND account_id IN (SELECT value FROM json_each(?))",
        (int(seen), message_id, ids_param(account_ids)),
    )
    return changed > 0


async def set_flagged(
    db: Db, *, message_id: int, flagged: bool, account_ids: Iterable[int]
) -> bool:
    """Flag or unflag one message; False when the agent may not see it."""
    changed = await db.execute(
        "UPDATE messages SET flagged = ? WHERE id = ? "
        "AND account_id IN (SELECT value FROM json_each(?))",
        (int(flagged), message_id, ids_param(account_ids)),
    )
    return changed > 0


async def search_ids(db: Db, *, match: str, account_ids: Iterable[int], limit: int) -> list[int]:
    """Ids of messages whose indexed text matches an FTS5 expression, best first."""
    rows = await db.fetchall(
        """
        SELECT m.id FROM message_fts
          JOIN messages AS m ON m.id = message_fts.rowid
         WHERE message_fts MATCH ? AND m.deleted = 0
           AND m.account_id IN (SELECT value FROM json_each(?))
         ORDER BY rank LIMIT ?
        """,
        (match, ids_param(account_ids), limit),
    )
    return [int(r[0]) for r in rows]


# -- delete and archive ----------------------------------------------------------------------
# A message moved or deleted by an agent leaves its server key (folder, uidvalidity, uid)
# at once: the row moves to the destination folder, or is marked deleted, with uid and
# uidvalidity cleared, so no sync of the source folder can touch it again. The job that
# carries the change out on the server records the new key (or forgets the row).


@dataclass(frozen=True)
class ActionTarget:
    """What delete and archive need to know of one message."""

    id: int
    account_id: int
    folder_id: int
    uidvalidity: int | None
    uid: int | None
    message_id: str | None
    deleted: bool


async def action_target(
    db: Db, *, message_id: int, account_ids: Iterable[int]
) -> ActionTarget | None:
    """One message, if the agent may see it (deleted or not)."""
    row = await db.fetchone(
        "SELECT id, account_id, folder_id, uidvalidity, uid, message_id, deleted "
        "FROM messages WHERE id = ? AND account_id IN (SELECT value FROM json_each(?))",
        (message_id, ids_param(account_ids)),
    )
    if row is None:
        return None
    return ActionTarget(
        id=row["id"], account_id=row["account_id"], folder_id=row["folder_id"],
        uidvalidity=row["uidvalidity"], uid=row["uid"], message_id=row["message_id"],
        deleted=bool(row["deleted"]),
    )


async def move_to_folder(db: Db, *, message_id: int, folder_id: int) -> None:
    """Put a message in another folder of its account, without a server key until the
    server gives it one (place_moved)."""
    await db.execute(
        "UPDATE messages SET folder_id = ?, uidvalidity = NULL, uid = NULL, modseq = NULL "
        "WHERE id = ?",
        (folder_id, message_id),
    )


async def mark_deleted(db: Db, *, message_id: int) -> None:
    """Hide a message for good (listings skip deleted rows); it leaves its server key, so
    a flag sync cannot bring it back before its expunge job forgets the row."""
    await db.execute(
        "UPDATE messages SET deleted = 1, uidvalidity = NULL, uid = NULL, modseq = NULL "
        "WHERE id = ?",
        (message_id,),
    )


async def place_moved(
    db: Db, *, message_id: int, folder_id: int, uidvalidity: int, uid: int
) -> bool:
    """Record the server key a moved message got in its new folder. A row the sync stored
    for that key meanwhile is the same message: it gives way to the moved row. A row that
    already has a key (a sync recognised it first) keeps it. True when recorded."""
    placed = await db.scalar(
        "SELECT 1 FROM messages WHERE id = ? AND folder_id = ? AND uid IS NULL",
        (message_id, folder_id),
    )
    if placed is None:
        return False
    await db.execute(
        "DELETE FROM messages WHERE folder_id = ? AND uidvalidity = ? AND uid = ? AND id <> ?",
        (folder_id, uidvalidity, uid, message_id),
    )
    await db.execute(
        "UPDATE messages SET uidvalidity = ?, uid = ? WHERE id = ?",
        (uidvalidity, uid, message_id),
    )
    return True


async def forget_moved(db: Db, *, message_id: int, folder_id: int, if_synced: bool) -> bool:
    """Remove a moved message that has no server key: it is not on the server any more,
    or (with `if_synced`) its folder's sync will store it again under its real key, and
    only then when that folder is synced. True when removed."""
    synced = " AND EXISTS (SELECT 1 FROM folders WHERE id = ? AND sync_enabled = 1)"
    params: tuple[int, ...] = (message_id, folder_id)
    sql = "DELETE FROM messages WHERE id = ? AND folder_id = ? AND uid IS NULL"
    if if_synced:
        sql += synced
        params += (folder_id,)
    return await db.execute(sql, params) > 0


async def forget_deleted(db: Db, *, message_id: int) -> bool:
    """Remove a message marked deleted once its expunge is done on the server."""
    return await db.execute(
        "DELETE FROM messages WHERE id = ? AND deleted = 1 AND uid IS NULL", (message_id,)
    ) > 0


async def restore_moved(
    db: Db, *, message_id: int, moved_to: int, folder_id: int, uidvalidity: int, uid: int
) -> bool:
    """Undo a move the server never made: the message is back in `folder_id` under its
    old key, unless that folder changed UIDVALIDITY or the key is taken (the sync then
    holds the truth). True when restored."""
    return await db.execute(
        """
        UPDATE messages SET folder_id = :folder, uidvalidity = :validity, uid = :uid
         WHERE id = :id AND folder_id = :moved_to AND uid IS NULL
           AND EXISTS (SELECT 1 FROM folders WHERE id = :folder
                        AND (uidvalidity IS NULL OR uidvalidity = :validity))
           AND NOT EXISTS (SELECT 1 FROM messages WHERE folder_id = :folder
                            AND uidvalidity = :validity AND uid = :uid)
        """,
        {"folder": folder_id, "validity": uidvalidity, "uid": uid, "id": message_id,
         "moved_to": moved_to},
    ) > 0


async def restore_deleted(
    db: Db, *, message_id: int, folder_id: int, uidvalidity: int, uid: int
) -> bool:
    """Undo a delete the server never made (as restore_moved). True when restored."""
    return await db.execute(
        """
        UPDATE messages SET deleted = 0, uidvalidity = :validity, uid = :uid
         WHERE id = :id AND folder_id = :folder AND deleted = 1 AND uid IS NULL
           AND EXISTS (SELECT 1 FROM folders WHERE id = :folder
                        AND (uidvalidity IS NULL OR uidvalidity = :validity))
           AND NOT EXISTS (SELECT 1 FROM messages WHERE folder_id = :folder
                            AND uidvalidity = :validity AND uid = :uid)
        """,
        {"folder": folder_id, "validity": uidvalidity, "uid": uid, "id": message_id},
    ) > 0


async def unplaced_message_ids(db: Db, *, folder_id: int) -> set[str]:
    """Message-IDs of messages moved into a folder whose server key is not recorded yet."""
    rows = await db.fetchall(
        "SELECT DISTINCT message_id FROM messages WHERE folder_id = ? AND uid IS NULL "
        "AND deleted = 0 AND message_id IS NOT NULL",
        (folder_id,),
    )
    return {str(r[0]) for r in rows}


async def adopt_uids(
    db: Db, *, folder_id: int, uidvalidity: int, found: Sequence[tuple[int, str]]
) -> int:
    """Give server keys met by a sync, as (uid, Message-ID), to messages moved into the
    folder without one, so the sync does not store them a second time. Return how many
    rows took a key."""
    before = db.total_changes()
    await db.executemany(
        """
        UPDATE messages SET uidvalidity = :validity, uid = :uid
         WHERE id = (SELECT id FROM messages WHERE folder_id = :folder AND uid IS NULL
                        AND deleted = 0 AND message_id = :mid ORDER BY id LIMIT 1)
           AND NOT EXISTS (SELECT 1 FROM messages WHERE folder_id = :folder
                            AND uidvalidity = :validity AND uid = :uid)
        """,
        ({"validity": uidvalidity, "uid": uid, "folder": folder_id, "mid": mid}
         for uid, mid in found),
    )
    return db.total_changes() - before


async def undelete_local(db: Db, *, message_id: int) -> bool:
    """Show again a message deleted in an account without a server. True when shown."""
    return await db.execute(
        "UPDATE messages SET deleted = 0 WHERE id = ? AND deleted = 1", (message_id,)
    ) > 0
