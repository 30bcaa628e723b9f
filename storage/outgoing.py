"""SQL for drafts and the outbox: messages being written and sent."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence

from storage.access import ids_param
from storage.db import Db
from storage.listing import like_pattern
from storage.records import Draft, DraftAttachment

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"

_SELECT = """
SELECT o.*, a.name AS account, a.email AS account_email,
       a.display_name AS account_display_name,
       (SELECT json_group_array(json_array(idx, filename, content_type, length(data)))
          FROM (SELECT * FROM outgoing_attachments WHERE outgoing_id = o.id ORDER BY idx)
       ) AS attachment_list
  FROM outgoing AS o JOIN accounts AS a ON a.id = o.account_id
"""


def _draft(row: sqlite3.Row) -> Draft:
    return Draft(
        id=row["id"], account_id=row["account_id"], account=row["account"],
        from_addr=row["account_email"], from_name=row["account_display_name"],
        agent_id=row["agent_id"], kind=row["kind"], source_id=row["source_id"],
        state=row["state"], message_id=row["message_id"], in_reply_to=row["in_reply_to"],
        references=row["refs"], to=tuple(json.loads(row["to_addrs"])),
        cc=tuple(json.loads(row["cc_addrs"])), bcc=tuple(json.loads(row["bcc_addrs"])),
        subject=row["subject"], body=row["body"], html_body=row["html_body"],
        error=row["error"],
        attachments=tuple(DraftAttachment(int(i), str(f), str(t), int(s))
                          for i, f, t, s in json.loads(row["attachment_list"])),
        thread_id=row["thread_id"], created_at=row["created_at"],
        updated_at=row["updated_at"], queued_at=row["queued_at"], sent_at=row["sent_at"],
    )


async def insert(
    db: Db, *, account_id: int, agent_id: int | None, kind: str, source_id: int | None,
    message_id: str, in_reply_to: str | None, references: str, to: Sequence[str],
    cc: Sequence[str], subject: str, body: str, thread_id: int | None,
) -> int:
    """A new draft; its id."""
    return await db.insert(
        "INSERT INTO outgoing (account_id, agent_id, kind, source_id, message_id, "
        "in_reply_to, refs, to_addrs, cc_addrs, subject, body, thread_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (account_id, agent_id, kind, source_id, message_id, in_reply_to, references,
         json.dumps(list(to)), json.dumps(list(cc)), subject, body, thread_id),
    )


async def by_id(db: Db, draft_id: int) -> Draft | None:
    row = await db.fetchone(_SELECT + " WHERE o.id = ?", (draft_id,))
    return None if row is None else _draft(row)


async def by_message_id(db: Db, message_id: str) -> Draft | None:
    row = await db.fetchone(_SELECT + " WHERE o.message_id = ?", (message_id,))
    return None if row is None else _draft(row)


async def of_agent(
    db: Db, *, agent_id: int, states: Iterable[str], account_ids: Iterable[int], limit: int
) -> list[Draft]:
    """An agent's drafts or outbox entries in accounts it may see, newest change first."""
    rows = await db.fetchall(
        _SELECT + " WHERE o.agent_id = ? AND o.state IN (SELECT value FROM json_each(?)) "
        "AND o.account_id IN (SELECT value FROM json_each(?)) "
        "ORDER BY o.updated_at DESC, o.id DESC LIMIT ?",
        (agent_id, json.dumps(list(states)), ids_param(account_ids), limit),
    )
    return [_draft(r) for r in rows]


async def update_text(
    db: Db, *, draft_id: int, account_id: int, to: Sequence[str], cc: Sequence[str],
    bcc: Sequence[str], subject: str, body: str, html_body: str | None,
) -> bool:
    """Save what the agent wrote into a draft (only while it is a draft). True when
    saved."""
    return await db.execute(
        f"UPDATE outgoing SET account_id = ?, to_addrs = ?, cc_addrs = ?, bcc_addrs = ?, "
        f"subject = ?, body = ?, html_body = ?, updated_at = {_NOW} "
        "WHERE id = ? AND state = 'draft'",
        (account_id, json.dumps(list(to)), json.dumps(list(cc)), json.dumps(list(bcc)),
         subject, body, html_body, draft_id),
    ) > 0


async def add_attachment(
    db: Db, *, draft_id: int, filename: str, content_type: str, data: bytes
) -> int:
    """Attach a file to a draft; its index."""
    idx = int(await db.scalar(
        "SELECT coalesce(max(idx), -1) + 1 FROM outgoing_attachments WHERE outgoing_id = ?",
        (draft_id,)))
    await db.execute(
        "INSERT INTO outgoing_attachments (outgoing_id, idx, filename, content_type, data) "
        "VALUES (?, ?, ?, ?, ?)",
        (draft_id, idx, filename, content_type, data),
    )
    await touch(db, draft_id)
    return idx


async def remove_attachment(db: Db, *, draft_id: int, idx: int) -> bool:
    removed = await db.execute(
        "DELETE FROM outgoing_attachments WHERE outgoing_id = ? AND idx = ?", (draft_id, idx))
    await touch(db, draft_id)
    return removed > 0


async def attachment_data(db: Db, draft_id: int) -> list[tuple[str, str, bytes]]:
    """(filename, content type, bytes) of a draft's attachments, in order."""
    rows = await db.fetchall(
        "SELECT filename, content_type, data FROM outgoing_attachments "
        "WHERE outgoing_id = ? ORDER BY idx", (draft_id,))
    return [(str(r[0]), str(r[1]), bytes(r[2])) for r in rows]


async def touch(db: Db, draft_id: int) -> None:
    await db.execute(f"UPDATE outgoing SET updated_at = {_NOW} WHERE id = ?", (draft_id,))


async def delete_draft(db: Db, draft_id: int) -> bool:
    """Discard a draft (never a message in the outbox). True when discarded."""
    return await db.execute(
        "DELETE FROM outgoing WHERE id = ? AND state = 'draft'", (draft_id,)) > 0


async def queue(db: Db, *, draft_id: int, raw: bytes) -> bool:
    """Freeze a draft into the outbox with the bytes to send. True when it was a draft."""
    return await db.execute(
        f"UPDATE outgoing SET state = 'queued', raw = ?, error = NULL, queued_at = {_NOW}, "
        f"updated_at = {_NOW} WHERE id = ? AND state = 'draft'",
        (raw, draft_id),
    ) > 0


async def raw(db: Db, draft_id: int) -> bytes | None:
    value = await db.scalar("SELECT raw FROM outgoing WHERE id = ?", (draft_id,))
    return None if value is None else bytes(value)


async def mark_sent(db: Db, draft_id: int) -> bool:
    """The server took the message. True when it was queued."""
    return await db.execute(
        f"UPDATE outgoing SET state = 'sent', error = NULL, sent_at = {_NOW}, "
        f"updated_at = {_NOW} WHERE id = ? AND state = 'queued'", (draft_id,)) > 0


async def mark_failed(db: Db, draft_id: int, *, error: str) -> None:
    """Sending failed for good: the agent sees why and what to do."""
    await db.execute(
        f"UPDATE outgoing SET state = 'failed', error = ?, updated_at = {_NOW} "
        "WHERE id = ? AND state = 'queued'", (error, draft_id))


async def note_error(db: Db, draft_id: int, *, error: str) -> None:
    """A failed attempt that will be retried: shown, state unchanged."""
    await db.execute("UPDATE outgoing SET error = ? WHERE id = ?", (error, draft_id))


async def back_to_draft(db: Db, draft_id: int) -> bool:
    """A failed message opened again for editing. True when it had failed."""
    return await db.execute(
        f"UPDATE outgoing SET state = 'draft', raw = NULL, updated_at = {_NOW} "
        "WHERE id = ? AND state = 'failed'", (draft_id,)) > 0


async def address_suggestions(
    db: Db, *, text: str, account_ids: Iterable[int], limit: int
) -> list[tuple[str, str]]:
    """(name, address) pairs for an address field: customers first, then the senders
    and recipients the agent's accounts wrote with lately, matching `text` anywhere."""
    pattern = like_pattern(text.strip())
    rows = await db.fetchall(
        """
        SELECT name, addr FROM (
            SELECT c.name AS name, ca.address AS addr, 0 AS rank, '' AS seen
              FROM customer_addresses AS ca JOIN customers AS c ON c.id = ca.customer_id
             WHERE ca.address LIKE :p ESCAPE '\\' OR c.name LIKE :p ESCAPE '\\'
            UNION ALL
            SELECT * FROM (
                SELECT m.from_name, m.from_addr, 1, m.date FROM messages AS m
                 WHERE m.account_id IN (SELECT value FROM json_each(:accounts))
                   AND m.deleted = 0 AND m.blocked = 0 AND m.from_addr <> ''
                   AND (m.from_addr LIKE :p ESCAPE '\\' OR m.from_name LIKE :p ESCAPE '\\')
                 ORDER BY m.date DESC LIMIT 500)
        ) ORDER BY rank, seen DESC
        """,
        {"p": pattern, "accounts": ids_param(account_ids)},
    )
    found: dict[str, tuple[str, str]] = {}
    for name, addr in rows:
        key = str(addr).lower()
        if key not in found:
            found[key] = (str(name or ""), str(addr))
        if len(found) >= limit:
            break
    return list(found.values())
