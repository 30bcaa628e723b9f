"""The message being answered or forwarded, read from the store for composing."""

from __future__ import annotations

import asyncio

from engine.compose.models import Original, OutgoingAttachment
from engine.errors import NotFoundError
from engine.mime import attachment_bytes, parse_addresses, parse_body, parse_envelope
from engine.mime.addresses import Address
from storage import Db, messages
from storage.records import MessageHeaders

MAX_FORWARDED_BYTES = 25 * 1024 * 1024  # attachments a forward carries, in all


def _mailbox(address: Address) -> str:
    return address.display() if address.name else address.addr


def _mailboxes(stored: str) -> tuple[str, ...]:
    return tuple(_mailbox(a) for a in parse_addresses([stored]) if a.addr)


def _read(raw: bytes, head: MessageHeaders, *, with_attachments: bool) -> Original:
    envelope = parse_envelope(raw)
    body = parse_body(raw)
    carried: list[OutgoingAttachment] = []
    total = 0
    for attachment in body.attachments if with_attachments else ():
        data = attachment_bytes(raw, attachment.part_index)
        if data is None or total + len(data) > MAX_FORWARDED_BYTES:
            continue
        total += len(data)
        carried.append(OutgoingAttachment(attachment.filename or "attachment",
                                          attachment.content_type, data))
    return Original(
        message_id=envelope.message_id or head.message_id,
        references=envelope.references,
        in_reply_to=envelope.in_reply_to,
        subject=envelope.subject or head.subject,
        from_name=envelope.sender.name or head.from_name,
        from_addr=envelope.sender.addr or head.from_addr,
        reply_to=tuple(a.addr for a in envelope.reply_to if a.addr),
        to=tuple(_mailbox(a) for a in envelope.to if a.addr),
        cc=tuple(_mailbox(a) for a in envelope.cc if a.addr),
        date=head.date,
        text=body.text,
        attachments=tuple(carried),
    )


async def load_original(
    db: Db, message_id: int, visible: frozenset[int], *, with_attachments: bool
) -> tuple[MessageHeaders, Original]:
    """A message the agent may see, ready to answer or forward (NotFoundError else). A
    message whose body has not arrived is answered from its stored headers."""
    head = await messages.headers(db, message_id=message_id, account_ids=visible)
    if head is None:
        raise NotFoundError(f"message {message_id} not found")
    raw = await messages.raw(db, message_id=message_id, account_ids=visible)
    if raw is None:
        return head, Original(
            message_id=head.message_id, references=(), in_reply_to=None,
            subject=head.subject, from_name=head.from_name, from_addr=head.from_addr,
            reply_to=(), to=_mailboxes(head.to_addrs), cc=_mailboxes(head.cc_addrs),
            date=head.date, text="", attachments=(),
        )
    # Parsing possibly large mail is CPU work: keep it off the event loop.
    return head, await asyncio.to_thread(_read, raw, head, with_attachments=with_attachments)
