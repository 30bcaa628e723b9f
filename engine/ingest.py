"""Putting new mail into the store: parse, thread, store — one transaction per batch.

Parsing and compression are CPU work and run in a worker thread, never on the event
loop. The same path serves sync and the demo store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from engine.conversations import ThreadKeys, plan_threads
from engine.mime import Envelope, parse_envelope
from storage import Store, messages, threads
from storage.raw_codec import compress
from storage.records import NewMessage

SEEN, FLAGGED, ANSWERED, DRAFT = "\\Seen", "\\Flagged", "\\Answered", "\\Draft"


@dataclass(frozen=True)
class Incoming:
    """One message as it arrives: raw bytes plus what the server says about it."""

    raw: bytes
    flags: tuple[str, ...] = ()
    internal_date: datetime | None = None
    uid: int | None = None
    uidvalidity: int | None = None


@dataclass(frozen=True)
class _Prepared:
    item: Incoming
    envelope: Envelope
    codec: str
    data: bytes


def iso_utc(value: datetime) -> str:
    """ISO 8601 UTC with a Z, the form every time column uses."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _prepare(items: Sequence[Incoming]) -> list[_Prepared]:
    out = []
    for item in items:
        codec, data = compress(item.raw)
        out.append(_Prepared(item, parse_envelope(item.raw), codec, data))
    return out


def _row(p: _Prepared, *, account_id: int, folder_id: int, thread_id: int) -> NewMessage:
    env, item = p.envelope, p.item
    flags = {f.lower() for f in item.flags}
    when = env.date or item.internal_date or datetime.now(UTC)
    recipients = ", ".join(a.display() for a in (*env.to, *env.cc))
    return NewMessage(
        account_id=account_id,
        folder_id=folder_id,
        uidvalidity=item.uidvalidity,
        uid=item.uid,
        message_id=env.message_id,
        in_reply_to=env.in_reply_to,
        thread_id=thread_id,
        subject=env.subject,
        from_name=env.sender.name,
        from_addr=env.sender.addr,
        to_addrs=", ".join(a.display() for a in env.to),
        cc_addrs=", ".join(a.display() for a in env.cc),
        date=iso_utc(when),
        internal_date=iso_utc(item.internal_date) if item.internal_date else None,
        size=len(item.raw),
        seen=SEEN.lower() in flags,
        flagged=FLAGGED.lower() in flags,
        answered=ANSWERED.lower() in flags,
        draft=DRAFT.lower() in flags,
        has_attachments=env.has_attachments,
        auto_submitted=env.auto_submitted,
        list_mail=env.list_mail,
        snippet=env.snippet,
        parse_error=env.error,
        raw_codec=p.codec,
        raw_data=p.data,
        index_sender=f"{env.sender.name} {env.sender.addr}".strip(),
        index_recipients=recipients,
        index_body=env.text,
    )


async def ingest(
    store: Store, *, account_id: int, folder_id: int, items: Sequence[Incoming]
) -> list[int]:
    """Store a batch of new messages of one folder; return the new message ids.

    Idempotent: messages whose (folder, uidvalidity, uid) is already stored are skipped,
    so a batch interrupted and fetched again converges.
    """
    if not items:
        return []
    prepared = await asyncio.to_thread(_prepare, items)
    async with store.transaction() as db:
        by_validity: dict[int, list[int]] = {}
        for p in prepared:
            if p.item.uid is not None and p.item.uidvalidity is not None:
                by_validity.setdefault(p.item.uidvalidity, []).append(p.item.uid)
        present: set[tuple[int, int]] = set()
        for validity, uids in by_validity.items():
            found = await messages.existing_uids(
                db, folder_id=folder_id, uidvalidity=validity, uids=uids
            )
            present.update((validity, uid) for uid in found)
        fresh = [
            p for p in prepared
            if p.item.uid is None or (p.item.uidvalidity, p.item.uid) not in present
        ]
        keys = [
            ThreadKeys(p.envelope.message_id, p.envelope.in_reply_to,
                       p.envelope.references, p.envelope.subject)
            for p in fresh
        ]
        known = await threads.lookup(db, (mid for k in keys for mid in k.all_ids()))
        plan = plan_threads(keys, known)
        new_ids = await threads.create_many(db, plan.new_subjects)
        thread_ids, refs = plan.resolve(new_ids)
        await threads.add_refs(db, refs)
        rows = [
            _row(p, account_id=account_id, folder_id=folder_id, thread_id=t)
            for p, t in zip(fresh, thread_ids, strict=True)
        ]
        return await messages.insert_many(db, rows)
