"""SQL for customers and their addresses."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Db


async def insert(
    db: Db,
    *,
    name: str,
    company: str,
    addresses: Iterable[str],
    created_by: int | None,
    notes: str = "",
) -> int:
    """Create a customer owning `addresses`; return its id."""
    customer_id = await db.insert(
        "INSERT INTO customers (name, company, notes, created_by) VALUES (?, ?, ?, ?)",
        (name, company, notes, created_by),
    )
    await db.executemany(
        "INSERT INTO customer_addresses (address, customer_id) VALUES (?, ?)",
        ((addr, customer_id) for addr in addresses),
    )
    return customer_id
