"""SQL for customers, their addresses, and a customer's timeline (its mail and leads;
its cases are read with storage.cases.list_visible).

Customers are team records: reading them takes no account filter. Everything read about a
customer's mail, cases and leads takes the account ids the acting agent may see.

Addresses are stored lower-cased; the column compares without case, so a sender written
"Jane@X.com" still matches.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from storage.access import ids_param
from storage.db import Db
from storage.listing import like_pattern
from storage.messages import SUMMARY_COLUMNS, SUMMARY_JOIN, summary
from storage.records import Customer, Lead, MessageSummary

_CUSTOMER_COLUMNS = """
       c.id, c.name, c.company, c.notes, c.created_by, c.created_at,
       (SELECT json_group_array(lower(x.address)) FROM customer_addresses AS x
         WHERE x.customer_id = c.id) AS addresses"""


def _customer(row: sqlite3.Row) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        company=row["company"],
        notes=row["notes"],
        addresses=tuple(sorted(set(json.loads(row["addresses"])))),
        created_by=row["created_by"],
        created_at=row["created_at"],
    )


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
    await add_addresses(db, customer_id, addresses)
    return customer_id


async def add_addresses(db: Db, customer_id: int, addresses: Iterable[str]) -> None:
    """Give addresses no customer owns yet to a customer (an owned one fails the
    primary key: move it with move_address)."""
    await db.executemany(
        "INSERT INTO customer_addresses (address, customer_id) VALUES (?, ?)",
        ((addr.lower(), customer_id) for addr in addresses),
    )


async def move_address(db: Db, address: str, customer_id: int) -> bool:
    """Give an address another customer already owns to `customer_id`; False when no
    customer owned it."""
    changed = await db.execute(
        "UPDATE customer_addresses SET customer_id = ? WHERE address = ?",
        (customer_id, address),
    )
    return changed > 0


async def owners(db: Db, addresses: Iterable[str]) -> dict[str, int]:
    """The customer id owning each of `addresses` that is owned, keyed by the address
    lower-cased."""
    rows = await db.fetchall(
        "SELECT lower(address), customer_id FROM customer_addresses "
        "WHERE address IN (SELECT value FROM json_each(?))",
        (json.dumps([a.lower() for a in addresses]),),
    )
    return {str(r[0]): int(r[1]) for r in rows}


async def by_id(db: Db, customer_id: int) -> Customer | None:
    """One customer with its addresses, if it exists."""
    row = await db.fetchone(
        f"SELECT {_CUSTOMER_COLUMNS} FROM customers AS c WHERE c.id = ?", (customer_id,)
    )
    return None if row is None else _customer(row)


async def by_address(db: Db, address: str) -> Customer | None:
    """The customer owning `address` (any case), if any."""
    row = await db.fetchone(
        f"SELECT {_CUSTOMER_COLUMNS} FROM customers AS c "
        "JOIN customer_addresses AS a ON a.customer_id = c.id WHERE a.address = ?",
        (address,),
    )
    return None if row is None else _customer(row)


async def all_with_addresses(db: Db) -> list[Customer]:
    """Every customer with its addresses, by id."""
    rows = await db.fetchall(f"SELECT {_CUSTOMER_COLUMNS} FROM customers AS c ORDER BY c.id")
    return [_customer(r) for r in rows]


# A message is the customer's when one of its addresses sent it, or appears as a whole
# address in To or Cc. Those columns hold header-like text ("Name <a@b>, c@d", joined with
# ", "): an address is whole when it is written as "<a@b>" ending an entry, or is an entry
# by itself. So bob@x.com does not match jimbob@x.com or bob@x.com.au.
async def _addresses_of(db: Db, customer_id: int) -> list[str]:
    rows = await db.fetchall(
        "SELECT lower(address) FROM customer_addresses WHERE customer_id = ? ORDER BY 1",
        (customer_id,),
    )
    return [r[0] for r in rows]


def _of_customer(addresses: list[str]) -> tuple[str, dict[str, Any]]:
    """The condition "m is to or from one of `addresses`", with its parameters. The
    addresses are read first and written into the statement as parameters, so SQLite
    walks the listing index that holds every column tested (migration 0004) and reads no
    message row it does not return. To and Cc hold "Name <a@b>, c@d": an address matches
    whole, so bob@x.com does not match jimbob@x.com."""
    params: dict[str, Any] = {"addresses": json.dumps(addresses)}
    terms = ["m.from_addr IN (SELECT value FROM json_each(:addresses))"]
    for n, address in enumerate(addresses):
        params[f"a{n}"] = address
        params[f"p{n}"] = like_pattern(address)
        for column in ("to_addrs", "cc_addrs"):
            # LIKE (no copy of the text, ASCII case folded) rules out nearly every row
            # before the exact test builds its lower-cased copies.
            terms.append(
                f"(m.{column} LIKE :p{n} ESCAPE '\\' AND ("
                f"instr(', ' || lower(m.{column}) || ',', ', ' || :a{n} || ',') > 0 OR "
                f"instr(lower(m.{column}) || ',', '<' || :a{n} || '>,') > 0))"
            )
    return "(" + " OR ".join(terms) + ")", params



_OF_ACCOUNTS = ("m.account_id IN (SELECT value FROM json_each(:accounts)) "
                "AND m.deleted = 0 AND m.blocked = 0")
_WALK = "messages AS m INDEXED BY messages_list_text"


async def timeline_page(
    db: Db, *, customer_id: int, account_ids: Iterable[int], offset: int, limit: int
) -> list[MessageSummary]:
    """A page of the mail to and from a customer in these accounts, newest first
    (date DESC, id DESC); deleted and blocked messages left out."""
    addresses = await _addresses_of(db, customer_id)
    if not addresses:
        return []
    condition, params = _of_customer(addresses)
    rows = await db.fetchall(
        f"""
        SELECT {SUMMARY_COLUMNS}, 1 AS thread_count
          FROM (SELECT m.id FROM {_WALK} WHERE {_OF_ACCOUNTS} AND {condition}
                 ORDER BY m.date DESC, m.id DESC LIMIT :limit OFFSET :offset) AS page
          JOIN messages AS m ON m.id = page.id
          {SUMMARY_JOIN}
         ORDER BY m.date DESC, m.id DESC
        """,
        {**params, "accounts": ids_param(account_ids), "limit": limit, "offset": offset},
    )
    return [summary(r) for r in rows]


async def timeline_count(db: Db, *, customer_id: int, account_ids: Iterable[int]) -> int:
    """How many messages timeline_page pages through."""
    addresses = await _addresses_of(db, customer_id)
    if not addresses:
        return 0
    condition, params = _of_customer(addresses)
    return int(await db.scalar(
        f"SELECT count(*) FROM {_WALK} WHERE {_OF_ACCOUNTS} AND {condition}",
        {**params, "accounts": ids_param(account_ids)},
    ))


# A lead is visible to an agent who created it, or who may see the account of the
# message it was made from. (Cases: storage.cases, which also shows one to its assignee.)
_VISIBLE_RECORD = """
       (r.created_by = :agent
        OR EXISTS (SELECT 1 FROM messages AS s
                    WHERE s.id = r.source_message_id
                      AND s.account_id IN (SELECT value FROM json_each(:accounts))))"""


async def leads_of(
    db: Db, *, customer_id: int, account_ids: Iterable[int], agent_id: int
) -> list[Lead]:
    """The customer's leads the agent may see, newest first."""
    rows = await db.fetchall(
        f"""
        SELECT r.id, r.name, r.email, r.company, r.status, r.customer_id, r.thread_id,
               r.source_message_id, r.created_by, r.created_at
          FROM leads AS r
         WHERE r.customer_id = :customer AND {_VISIBLE_RECORD}
         ORDER BY r.created_at DESC, r.id DESC
        """,
        {"customer": customer_id, "accounts": ids_param(account_ids), "agent": agent_id},
    )
    return [
        Lead(
            id=r["id"], name=r["name"], email=r["email"], company=r["company"],
            status=r["status"], customer_id=r["customer_id"], thread_id=r["thread_id"],
            source_message_id=r["source_message_id"], created_by=r["created_by"],
            created_at=r["created_at"],
        )
        for r in rows
    ]
