"""SQL used only to build the demo store."""

from __future__ import annotations

from storage.access import ids_param
from storage.db import Db


async def frequent_senders(db: Db, *, account_ids: list[int], limit: int) -> list[tuple[str, str]]:
    """(address, display name) of the most frequent senders to these accounts."""
    rows = await db.fetchall(
        """
        SELECT from_addr, max(from_name) FROM messages
         WHERE account_id IN (SELECT value FROM json_each(?)) AND from_addr <> ''
         GROUP BY from_addr ORDER BY count(*) DESC, from_addr LIMIT ?
        """,
        (ids_param(account_ids), limit),
    )
    return [(r[0], r[1]) for r in rows]
