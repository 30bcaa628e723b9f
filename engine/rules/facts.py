"""What rules look at in a message: its addresses, subject, body text and header fields,
read once from the raw bytes. Pure CPU work, and it never raises: a field that cannot
be read is empty (the message's parse error is shown elsewhere)."""

from __future__ import annotations

from dataclasses import dataclass

from engine.mime import Address, parse_envelope
from engine.mime.fields import read_addresses
from engine.mime.headers import HeaderBlock, decode_words, parse_header_block, split_message
from engine.sanitize import sanitize_line

# Header fields naming who a message was delivered to, besides To and Cc.
DELIVERY_FIELDS = ("delivered-to", "x-original-to", "envelope-to", "resent-to", "resent-cc",
                   "bcc")


@dataclass(frozen=True)
class Facts:
    """One message as rules see it. Text is sanitised; addresses are lower-cased."""

    sender: str  # the From address
    sender_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]  # Delivered-To, X-Original-To, Resent-To ... and Bcc
    subject: str
    body: str
    has_attachment: bool
    message_id: str | None
    references: tuple[str, ...]
    return_path: str | None  # None: no Return-Path field; "": the null path <>
    reply_to: tuple[str, ...]
    headers: dict[str, tuple[str, ...]]  # lower-cased name -> decoded values

    def header(self, name: str) -> tuple[str, ...]:
        return self.headers.get(name.lower(), ())

    def has_header(self, name: str) -> bool:
        return name.lower() in self.headers


def _addresses(found: tuple[Address, ...]) -> tuple[str, ...]:
    return tuple(a.addr.strip().lower() for a in found if a.addr.strip())


def _return_path(block: HeaderBlock) -> str | None:
    value = block.get("return-path")
    if value is None:
        return None
    inner = value.strip()
    if ">" in inner:
        inner = inner[:inner.index(">")]
    return sanitize_line(inner.lstrip("<")).strip().lower()


def _headers(block: HeaderBlock) -> dict[str, tuple[str, ...]]:
    return {name: tuple(sanitize_line(decode_words(v)) for v in block.get_all(name))
            for name in block.names()}


def read_facts(raw: bytes) -> Facts:
    """The facts of one message from its raw bytes."""
    envelope = parse_envelope(raw)
    header_bytes, _, separated = split_message(raw)
    block, _ = parse_header_block(header_bytes, stop_at_garbage=not separated)
    delivered: list[str] = []
    for name in DELIVERY_FIELDS:
        try:
            delivered.extend(_addresses(read_addresses(block, name)))
        except Exception:  # a malformed field is as good as none
            continue
    return Facts(
        sender=envelope.sender.addr.strip().lower(),
        sender_name=envelope.sender.name,
        to=_addresses(envelope.to),
        cc=_addresses(envelope.cc),
        delivered_to=tuple(delivered),
        subject=envelope.subject,
        body=envelope.text,
        has_attachment=envelope.has_attachments,
        message_id=envelope.message_id,
        references=envelope.references,
        return_path=_return_path(block),
        reply_to=_addresses(envelope.reply_to),
        headers=_headers(block),
    )
