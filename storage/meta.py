"""SQL for store_meta: small facts about the store itself."""

from __future__ import annotations

from storage.db import Db


async def get(db: Db, key: str) -> str | None:
    """The value stored under `key`, if any."""
    value = await db.scalar("SELECT value FROM store_meta WHERE key = ?", (key,))
    return None if value is None else str(value)


async def put(db: Db, key: str, value: str) -> None:
    """Store `value` under `key`, replacing what was there."""
    await db.execute(
        "INSERT INTO store_meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
