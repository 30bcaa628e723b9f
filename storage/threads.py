"""SQL for threads and the Message-ID references that join mail into them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from storage.db import Db


async def lookup(db: Db, message_ids: Iterable[str]) -> dict[str, int]:
    """Map each known Message-ID among `message_ids` to its thread."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    rows = await db.fetchall(
        "SELECT message_id, thread_id FROM thread_refs "
        "WHERE message_id IN (SELECT value FROM json_each(?))",
        (json.dumps(ids),),
    )
    return {r[0]: int(r[1]) for r in rows}


async def create_many(db: Db, subjects: Sequence[str]) -> list[int]:
    """Create one thread per subject; return their ids in order. Must run inside a
    transaction: ids are assigned up front so the whole batch is one executemany."""
    if not subjects:
        return []
    start = int(await db.scalar("SELECT coalesce(max(id), 0) FROM threads")) + 1
    ids = list(range(start, start + len(subjects)))
    await db.executemany(
        "INSERT INTO threads (id, subject) VALUES (?, ?)", zip(ids, subjects, strict=True)
    )
    return ids


async def add_refs(db: Db, refs: Iterable[tuple[str, int]]) -> None:
    """Point Message-IDs at threads; an ID already placed keeps its thread."""
    await db.executemany(
        "INSERT INTO thread_refs (message_id, thread_id) VALUES (?, ?) "
        "ON CONFLICT (message_id) DO NOTHING",
        refs,
    )


async def accounts_of(
    db: Db, *, thread_ids: Iterable[int], message_ids: Iterable[int] = ()
) -> frozenset[int]:
    """The accounts holding mail of these threads or these messages (deleted mail
    included): whose mail a case or a lead made from them is."""
    rows = await db.fetchall(
        "SELECT account_id FROM messages WHERE thread_id IN (SELECT value FROM json_each(?)) "
        "UNION SELECT account_id FROM messages WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(sorted({int(t) for t in thread_ids})),
         json.dumps(sorted({int(m) for m in message_ids}))),
    )
    return frozenset(int(r[0]) for r in rows)
