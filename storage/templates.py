"""SQL for saved replies (named templates) and signatures.

Templates are team records: any agent may read them, so reading takes no account filter.
A signature is personal (one agent's) or company-wide, for one account or (account_id
NULL) for every account; the engine decides who may set which.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from storage.access import ids_param
from storage.db import Db
from storage.messages import SUMMARY_COLUMNS, SUMMARY_JOIN, summary
from storage.records import MessageSummary

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


@dataclass(frozen=True)
class Template:
    """A saved reply: a named Jinja2 template, plain text or HTML."""

    id: int
    name: str
    format: str  # plain | html
    body: str
    created_by: int | None
    author: str  # the creator's agent name; "" when that agent is gone
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class Signature:
    """A signature template: personal (agent_id set) or company, for one account or all."""

    id: int
    scope: str  # personal | company
    agent_id: int | None
    account_id: int | None  # None: every account
    account: str  # the account's name; "" for every account
    body: str
    updated_by: int | None
    updated_at: str


_TEMPLATE = """SELECT t.id, t.name, t.format, t.body, t.created_by,
       coalesce(g.name, '') AS author, t.created_at, t.updated_at
  FROM templates AS t LEFT JOIN agents AS g ON g.id = t.created_by"""

_SIGNATURE = """SELECT s.id, s.scope, s.agent_id, s.account_id, coalesce(a.name, '') AS account,
       s.body, s.updated_by, s.updated_at
  FROM signatures AS s LEFT JOIN accounts AS a ON a.id = s.account_id"""


def _template(row: sqlite3.Row) -> Template:
    return Template(
        id=row["id"],
        name=row["name"],
        format=row["format"],
        body=row["body"],
        created_by=row["created_by"],
        author=row["author"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _signature(row: sqlite3.Row) -> Signature:
    return Signature(
        id=row["id"],
        scope=row["scope"],
        agent_id=row["agent_id"],
        account_id=row["account_id"],
        account=row["account"],
        body=row["body"],
        updated_by=row["updated_by"],
        updated_at=row["updated_at"],
    )


async def put_template(db: Db, *, name: str, format: str, body: str, created_by: int) -> int:
    """Create the template `name`, or replace its format and body (its creator and
    creation time stay); return its id."""
    return int(await db.scalar(
        "INSERT INTO templates (name, format, body, created_by) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET format = excluded.format, body = excluded.body, "
        f"updated_at = {_NOW} RETURNING id",
        (name, format, body, created_by),
    ))


async def template_by_name(db: Db, name: str) -> Template | None:
    """The template called `name`, if any."""
    row = await db.fetchone(f"{_TEMPLATE} WHERE t.name = ?", (name,))
    return None if row is None else _template(row)


async def list_templates(db: Db) -> list[Template]:
    """Every template, by name."""
    rows = await db.fetchall(f"{_TEMPLATE} ORDER BY t.name")
    return [_template(r) for r in rows]


async def delete_template(db: Db, template_id: int) -> None:
    """Remove a template."""
    await db.execute("DELETE FROM templates WHERE id = ?", (template_id,))


async def put_signature(
    db: Db, *, scope: str, agent_id: int | None, account_id: int | None, body: str,
    updated_by: int,
) -> int:
    """Set the signature of this scope, agent (personal only) and account (None: every
    account), replacing the one there was; return its id."""
    return int(await db.scalar(
        "INSERT INTO signatures (scope, agent_id, account_id, body, updated_by) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (scope, ifnull(agent_id, 0), ifnull(account_id, 0)) DO UPDATE SET "
        f"body = excluded.body, updated_by = excluded.updated_by, updated_at = {_NOW} "
        "RETURNING id",
        (scope, agent_id, account_id, body, updated_by),
    ))


async def signature(
    db: Db, *, scope: str, agent_id: int | None, account_id: int | None
) -> Signature | None:
    """The signature of exactly this scope, agent and account (None: the one for every
    account), if set."""
    row = await db.fetchone(
        f"{_SIGNATURE} WHERE s.scope = ? AND ifnull(s.agent_id, 0) = ifnull(?, 0) "
        "AND ifnull(s.account_id, 0) = ifnull(?, 0)",
        (scope, agent_id, account_id),
    )
    return None if row is None else _signature(row)


async def delete_signature(db: Db, signature_id: int) -> None:
    """Remove a signature."""
    await db.execute("DELETE FROM signatures WHERE id = ?", (signature_id,))


async def signatures_of(
    db: Db, *, agent_id: int, account_ids: Iterable[int]
) -> list[Signature]:
    """The agent's personal signatures and the company ones, for every account or for one
    of `account_ids`: personal first, the every-account one before the others, then by
    account name."""
    rows = await db.fetchall(
        f"{_SIGNATURE} WHERE (s.scope = 'company' OR s.agent_id = ?) "
        "AND (s.account_id IS NULL OR s.account_id IN (SELECT value FROM json_each(?))) "
        "ORDER BY s.scope = 'company', s.account_id IS NOT NULL, a.name, s.id",
        (agent_id, ids_param(account_ids)),
    )
    return [_signature(r) for r in rows]


async def message_summary(
    db: Db, *, message_id: int, account_ids: Iterable[int]
) -> MessageSummary | None:
    """The message a template is rendered for, if it is in one of `account_ids`."""
    row = await db.fetchone(
        f"SELECT {SUMMARY_COLUMNS}, 1 AS thread_count FROM messages AS m {SUMMARY_JOIN} "
        "WHERE m.id = ? AND m.account_id IN (SELECT value FROM json_each(?))",
        (message_id, ids_param(account_ids)),
    )
    return None if row is None else summary(row)
