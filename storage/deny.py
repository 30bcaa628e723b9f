"""SQL for the deny list: senders and domains whose mail is not imported, and the
`blocked` mark that hides the stored mail an entry covers.

An entry covers a message of its account (of every account when account_id is NULL):
an address entry, mail from that address (case-insensitive); a domain entry, mail from
that domain or any subdomain of it (example.com covers x@mail.example.com). Import-time
matching (engine.ingest.Denied) follows the same rule.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from storage.access import ids_param
from storage.db import Db
from storage.records import Account, BlockEntry

_ENTRY = """SELECT d.id, d.account_id, coalesce(a.name, '') AS account, d.kind, d.value,
       d.created_by, d.created_at
  FROM deny_list AS d LEFT JOIN accounts AS a ON a.id = d.account_id"""

# Any remaining entry covers message m (the rule above, for every entry at once).
_ANY_ENTRY_COVERS = """EXISTS (
    SELECT 1 FROM deny_list AS d
     WHERE (d.account_id IS NULL OR d.account_id = m.account_id)
       AND ((d.kind = 'address' AND d.value = m.from_addr)
            OR (d.kind = 'domain' AND instr(m.from_addr, '@') > 0
                AND substr(lower(m.from_addr), -length(d.value) - 1)
                    IN ('@' || lower(d.value), '.' || lower(d.value)))))"""


def _covered_by(kind: str) -> str:
    """Message m is covered by the entry in :account, :value (lower-cased) of `kind`.
    An address is an equality on from_addr (NOCASE), so it can use messages_from."""
    scope = "(:account IS NULL OR m.account_id = :account)"
    if kind == "address":
        return f"{scope} AND m.from_addr = :value"
    return (f"{scope} AND instr(m.from_addr, '@') > 0 AND "
            "substr(lower(m.from_addr), -length(:value) - 1) IN ('@' || :value, '.' || :value)")


def _entry(row: sqlite3.Row) -> BlockEntry:
    return BlockEntry(
        id=row["id"],
        account_id=row["account_id"],
        account=row["account"],
        kind=row["kind"],
        value=row["value"],
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


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
    """Deny an address or a domain (for one account, or all with account_id None), without
    touching stored mail (see insert and hide_covered)."""
    await db.execute(
        "INSERT INTO deny_list (account_id, kind, value, created_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (account_id, kind, value.strip().lower(), created_by),
    )


async def insert(
    db: Db, *, account_id: int | None, kind: str, value: str, created_by: int | None
) -> int:
    """Create an entry (the caller checked there is none alike); return its id."""
    return await db.insert(
        "INSERT INTO deny_list (account_id, kind, value, created_by) VALUES (?, ?, ?, ?)",
        (account_id, kind, value, created_by),
    )


async def find(db: Db, *, account_id: int | None, kind: str, value: str) -> BlockEntry | None:
    """The entry for exactly this scope, kind and value, if there is one."""
    row = await db.fetchone(
        f"{_ENTRY} WHERE ifnull(d.account_id, 0) = ifnull(?, 0) AND d.kind = ? AND d.value = ?",
        (account_id, kind, value),
    )
    return None if row is None else _entry(row)


async def by_id(db: Db, entry_id: int) -> BlockEntry | None:
    """One entry (no access check: the engine decides who may see it)."""
    row = await db.fetchone(f"{_ENTRY} WHERE d.id = ?", (entry_id,))
    return None if row is None else _entry(row)


async def entries_for(db: Db, account_ids: Iterable[int]) -> list[BlockEntry]:
    """Entries of these accounts and the global ones, newest first."""
    rows = await db.fetchall(
        f"{_ENTRY} WHERE d.account_id IS NULL "
        "OR d.account_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY d.created_at DESC, d.id DESC",
        (ids_param(account_ids),),
    )
    return [_entry(r) for r in rows]


async def delete(db: Db, entry_id: int) -> None:
    """Remove an entry, without touching stored mail (see show_uncovered)."""
    await db.execute("DELETE FROM deny_list WHERE id = ?", (entry_id,))


async def accounts_covered(db: Db, *, kind: str, value: str) -> list[Account]:
    """Every account of the store whose own address an entry of this kind and value
    (lower-cased) would cover, whoever may see it."""
    if kind == "address":
        where = "lower(email) = :value"
    else:
        where = ("instr(email, '@') > 0 AND substr(lower(email), -length(:value) - 1) "
                 "IN ('@' || :value, '.' || :value)")
    rows = await db.fetchall(
        "SELECT id, name, display_name, email, kind, owner_agent_id FROM accounts "
        f"WHERE {where} ORDER BY id",
        {"value": value},
    )
    return [Account(r["id"], r["name"], r["display_name"], r["email"], r["kind"],
                    r["owner_agent_id"]) for r in rows]


async def hide_covered(db: Db, *, account_id: int | None, kind: str, value: str) -> int:
    """Mark blocked the stored mail an entry covers; return how many of the marked
    messages were shown before (not deleted)."""
    rows = await db.fetchall(
        f"UPDATE messages AS m SET blocked = 1 WHERE m.blocked = 0 AND {_covered_by(kind)} "
        "RETURNING deleted",
        {"account": account_id, "value": value},
    )
    return sum(1 for r in rows if not r[0])


async def show_uncovered(db: Db, *, account_id: int | None, kind: str, value: str) -> int:
    """After an entry is deleted: unmark the stored mail it covered that no remaining
    entry covers; return how many of those messages are shown again (not deleted)."""
    rows = await db.fetchall(
        f"UPDATE messages AS m SET blocked = 0 WHERE m.blocked = 1 AND {_covered_by(kind)} "
        f"AND NOT {_ANY_ENTRY_COVERS} RETURNING deleted",
        {"account": account_id, "value": value},
    )
    return sum(1 for r in rows if not r[0])
