"""Adding jobs. Always inside the transaction that records the change they carry out."""

from __future__ import annotations

from collections.abc import Sequence

from storage import Db
from storage import jobs as jobs_sql

FLAGS = "imap.flags"


async def enqueue_flags(
    db: Db,
    *,
    account_id: int,
    folder: str,
    uidvalidity: int,
    uids: Sequence[int],
    add: Sequence[str],
    remove: Sequence[str],
    created_by: int | None,
) -> int:
    """Queue setting `add` and clearing `remove` on UIDs of a folder."""
    return await jobs_sql.enqueue(
        db,
        account_id=account_id,
        kind=FLAGS,
        payload={
            "folder": folder,
            "uidvalidity": uidvalidity,
            "uids": sorted(set(uids)),
            "add": list(add),
            "remove": list(remove),
        },
        created_by=created_by,
    )
