"""Putting mail into the store: parse, deny list, thread, store — one transaction a batch.

Mail can arrive in two steps: headers first (enough for a usable list), the body later.
Parsing and compression are CPU work: `parse_batch` and `summarise_bodies` are plain
functions, run in a worker thread or a process pool, never on the event loop. What
the pool sends back are tuples (NewMessage, BodyUpdate), several times cheaper to pickle
than dataclasses.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from engine.conversations import ThreadKeys, plan_threads
from engine.mime import Attachment, Envelope, parse_envelope, summarise_body
from storage import Db, Store, deny, messages, raw_packs, threads
from storage import rules as rules_sql
from storage.raw_codec import compress
from storage.records import BodyUpdate, NewMessage

SEEN, FLAGGED, ANSWERED, DRAFT = "\\seen", "\\flagged", "\\answered", "\\draft"

# Work to do inside the same transaction as the mail (e.g. saving the folder's state),
# so a crash never leaves state and mail disagreeing. It gets the UIDs actually stored.
AfterStore = Callable[[Db, list[int]], Awaitable[None]]


class Incoming(NamedTuple):
    """One message as it arrives: raw bytes (or only its header block) plus what the
    server says about it. A tuple: it crosses into the parse workers."""

    raw: bytes
    flags: tuple[str, ...] = ()
    internal_date: datetime | None = None
    uid: int | None = None
    uidvalidity: int | None = None
    modseq: int | None = None
    size: int | None = None
    headers_only: bool = False


class Prepared(NamedTuple):
    """One message ready to store: what the server said of it, its columns, and the IDs
    it refers to (for threading)."""

    item: Incoming
    message: NewMessage
    references: tuple[str, ...]


@dataclass(frozen=True)
class Denied:
    """Senders whose mail is not imported: these addresses, and these domains with every
    subdomain of them (the rule of storage/deny.py, which hides stored mail)."""

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    def blocks(self, address: str) -> bool:
        if not self.addresses and not self.domains:
            return False  # most accounts deny nobody: nothing to normalise
        addr = address.strip().lower()
        if not addr:
            return False
        if addr in self.addresses:
            return True
        _, at, domain = addr.rpartition("@")
        if not at or not self.domains:
            return False
        labels = domain.split(".")
        return any(".".join(labels[n:]) in self.domains for n in range(len(labels)))

    def __or__(self, other: Denied) -> Denied:
        return Denied(self.addresses | other.addresses, self.domains | other.domains)


def iso_utc(value: datetime) -> str:
    """ISO 8601 UTC with a Z, the form every time column uses."""
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.isoformat(timespec="seconds")[:19] + "Z"  # cut: the +00:00


Parsed = tuple[NewMessage, tuple[str, ...]]


def parse_batch(items: Sequence[Incoming]) -> list[Parsed]:
    """Parse (and compress, when the body is there) a batch into rows to insert and the
    IDs each message refers to. Pure CPU work, for a worker thread or the process pool;
    what it returns is plain tuples, cheap to send back."""
    out: list[Parsed] = []
    for item in items:
        envelope = parse_envelope(item.raw)
        codec, data = (None, None) if item.headers_only else compress(item.raw)
        out.append((_message(item, envelope, codec, data), envelope.references))
    return out


def joined(items: Sequence[Incoming], parsed: Sequence[Parsed]) -> list[Prepared]:
    """The items with what parse_batch made of them."""
    return [Prepared(item, message, refs)
            for item, (message, refs) in zip(items, parsed, strict=True)]


def prepare_batch(items: Sequence[Incoming]) -> list[Prepared]:
    """parse_batch, joined to its items."""
    return joined(items, parse_batch(items))


async def prepare_bodies(
    bodies: Sequence[tuple[int, bytes]],
    parse: Callable[..., Awaitable[list[BodyUpdate]]] = asyncio.to_thread,
    *,
    packs: Path | None = None,
) -> list[BodyUpdate]:
    """Parse and compress bodies of messages stored with headers only, at the same
    time: parsing by `parse` (a worker thread, or the sync's process pool), compression
    in a thread of this process. The compressor lets go of the GIL, and the compressed
    bytes never cross a process boundary. With `packs`, a batch of at least
    raw_packs.PACK_MIN_BYTES is written there, into a pack file of its own, by the same
    thread; the database then takes only where each message's bytes are."""
    parsed, packed = await asyncio.gather(
        parse(summarise_bodies, bodies),
        asyncio.to_thread(_pack, [raw for _, raw in bodies], packs))
    return [u._replace(raw_codec=codec, raw_data=data, raw_pack=pack, raw_offset=offset,
                       raw_length=length)
            for u, (codec, data, pack, offset, length) in zip(parsed, packed, strict=True)]


def summarise_bodies(bodies: Sequence[tuple[int, bytes]]) -> list[BodyUpdate]:
    """The parsed half of prepare_bodies: every field but the stored bytes (left empty).
    Python work, for the process pool; what it returns is small next to the mail."""
    out = []
    for message_id, raw in bodies:
        body = summarise_body(raw)
        out.append(BodyUpdate(
            message_id=message_id, raw_codec="", raw_data=b"", size=len(raw),
            index_body=body.text, snippet=body.snippet, parse_error=body.error,
            attachments=_attachments(body.attachments),
        ))
    return out


def _pack(raws: Sequence[bytes], packs: Path | None
          ) -> list[tuple[str, bytes, str | None, int, int]]:
    """(codec, data, pack, offset, length) for each message: data empty when packed."""
    compressed = [compress(raw) for raw in raws]
    if packs is None or sum(len(data) for _, data in compressed) < raw_packs.PACK_MIN_BYTES:
        return [(codec, data, None, 0, 0) for codec, data in compressed]
    name, spans = raw_packs.write(packs, [data for _, data in compressed])
    return [(codec, b"", name, offset, length)
            for (codec, _), (offset, length) in zip(compressed, spans, strict=True)]


def _attachments(found: Sequence[Attachment]) -> tuple[tuple[str, str, int], ...]:
    return tuple((a.filename, a.content_type, a.size) for a in found)


def _message(item: Incoming, env: Envelope, codec: str | None, data: bytes | None
             ) -> NewMessage:
    flags = {f.lower() for f in item.flags}
    when = env.date or item.internal_date or datetime.now(UTC)
    to = [a.display() for a in env.to]
    cc = [a.display() for a in env.cc]
    sender = env.sender
    return NewMessage(
        uidvalidity=item.uidvalidity,
        uid=item.uid,
        modseq=item.modseq,
        message_id=env.message_id,
        in_reply_to=env.in_reply_to,
        subject=env.subject,
        from_name=sender.name,
        from_addr=sender.addr,
        to_addrs=", ".join(to),
        cc_addrs=", ".join(cc),
        date=iso_utc(when),
        internal_date=iso_utc(item.internal_date) if item.internal_date else None,
        size=item.size if item.size is not None else len(item.raw),
        seen=SEEN in flags,
        flagged=FLAGGED in flags,
        answered=ANSWERED in flags,
        draft=DRAFT in flags,
        has_attachments=env.has_attachments,
        auto_submitted=env.auto_submitted,
        list_mail=env.list_mail,
        snippet=env.snippet,
        parse_error=env.error,
        raw_codec=codec,
        raw_data=data,
        index_sender=f"{sender.name} {sender.addr}".strip(),
        index_recipients=", ".join(to + cc),
        index_body=env.text,
        attachments=_attachments(env.attachments) if env.attachments else (),
    )


async def store_prepared(
    store: Store,
    *,
    account_id: int,
    folder_id: int,
    prepared: Sequence[Prepared],
    after: AfterStore | None = None,
    rules_after_uid: int | None = None,
) -> list[int]:
    """Store prepared messages of one folder in one transaction; return the new ids.

    Idempotent: messages whose (folder, uidvalidity, uid) is already stored are skipped,
    so a batch interrupted and fetched again converges. Senders on the account's deny
    list are skipped.
    """
    async with store.transaction() as db:
        return await store_prepared_in(db, account_id=account_id, folder_id=folder_id,
                                       prepared=prepared, after=after,
                                       rules_after_uid=rules_after_uid)


async def store_prepared_in(
    db: Db,
    *,
    account_id: int,
    folder_id: int,
    prepared: Sequence[Prepared],
    after: AfterStore | None = None,
    rules_after_uid: int | None = None,
) -> list[int]:
    """store_prepared inside the caller's transaction. With `rules_after_uid`, the
    messages with a higher UID are queued for the mailbox's rules (engine.rules.run):
    new inbox mail, not what a first import brings in."""
    # The deny list is read in the transaction that stores: a block committed while a
    # sync pass runs applies from the next batch on, and one committed after this batch
    # hides what it stored. A list read once per pass would let blocked mail in.
    denied = Denied(*await deny.rules_for(db, account_id))
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
        if (p.item.uid is None or (p.item.uidvalidity, p.item.uid) not in present)
        and not denied.blocks(p.message.from_addr)
    ]
    keys = [
        ThreadKeys(p.message.message_id, p.message.in_reply_to, p.references,
                   p.message.subject)
        for p in fresh
    ]
    known = await threads.lookup(db, (mid for k in keys for mid in k.all_ids()))
    plan = plan_threads(keys, known)
    new_ids = await threads.create_many(db, plan.new_subjects)
    thread_ids, refs = plan.resolve(new_ids)
    await threads.add_refs(db, refs)
    ids = await messages.insert_many(db, [p.message for p in fresh], account_id=account_id,
                                     folder_id=folder_id, thread_ids=thread_ids)
    if rules_after_uid is not None:
        await rules_sql.queue(db, account_id, [
            i for i, p in zip(ids, fresh, strict=True)
            if p.item.uid is not None and p.item.uid > rules_after_uid])
    if after is not None:
        await after(db, [p.item.uid for p in fresh if p.item.uid is not None])
    return ids


async def store_bodies(store: Store, updates: Sequence[BodyUpdate]) -> None:
    """Store bodies fetched for messages that had headers only."""
    async with store.transaction() as db:
        await messages.attach_bodies(db, updates)


async def ingest(
    store: Store,
    *,
    account_id: int,
    folder_id: int,
    items: Sequence[Incoming],
    after: AfterStore | None = None,
) -> list[int]:
    """Parse in a worker thread, then store; see store_prepared."""
    if not items and after is None:
        return []
    prepared = await asyncio.to_thread(prepare_batch, items)
    return await store_prepared(store, account_id=account_id, folder_id=folder_id,
                                prepared=prepared, after=after)
