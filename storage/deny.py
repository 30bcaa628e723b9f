"""SQL for the deny list: senders and domains whose mail is not imported."""

from __future__ import annotations

from storage.db import Db


async def rules_for(db: Db, account_id: int) -> tuple[frozenset[str], frozenset[str]]:
    """(addresses, domains) denied for an account, global entries included, lower-cased."""
    rows = await db.fetchall(
        "SELECT kind, lower(value) FROM deny_list WHERE account_id = ? OR account_id IS NULL",
        (account_id,),
    )
    addresses = frozenset(r[1] for r in rows if r[0] == "address")
    domains = frozenset(r[1] for r in rows if r[0] == "domain")
    return addresses, domains


async def add(
    db: Db, *, account_id: int | None, kind: str, value: str, created_by: int | None
) -> None:
    """Deny an address or a domain (for one account, or all with account_id None)."""
    await db.execute(
        "INSERT INTO deny_list (account_id, kind, value, created_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (account_id, kind, value.strip().lower(), created_by),
    )
