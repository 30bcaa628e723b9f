"""Fast per-message summary used at sync time (list view, threading, full-text index).

Runs for every message synced, so it avoids the stdlib parser altogether (``policy.default`` is
~700 msg/s; even compat32 is ~1,000 msg/s once there is an attachment): the header block is
parsed by ``headers.py`` and the body scanned in place by ``scan.py``, reading at most
ENVELOPE_SCAN_BYTES of it and decoding only text parts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

from engine.mime.addresses import Address
from engine.mime.body import Attachment
from engine.mime.charsets import bytes_to_text, decode_bytes
from engine.mime.fields import describe_error, read_addresses, read_date, read_subject
from engine.mime.headers import HeaderBlock, content_fields, parse_header_block, split_message
from engine.mime.html_text import html_to_text
from engine.mime.limits import (
    ENVELOPE_HTML_MAX_CHARS,
    ENVELOPE_PART_MAX_ENCODED,
    ENVELOPE_SCAN_BYTES,
    ENVELOPE_TEXT_MAX_CHARS,
    MAX_HEADER_BLOCK_BYTES,
    SNIPPET_CHARS,
)
from engine.mime.msgids import clean_msg_id, msg_id_list
from engine.mime.partrules import decode_transfer
from engine.mime.quotes import own_words
from engine.mime.scan import Span, scan_parts
from engine.sanitize import sanitize

__all__ = [
    "UNREADABLE_SUBJECT",
    "BodySummary",
    "Envelope",
    "parse_envelope",
    "summarise_body",
]

UNREADABLE_SUBJECT = "(unreadable message)"
_NO_ADDRESS = Address(name="", addr="")
_LIST_PRECEDENCE = frozenset({"bulk", "list", "junk"})

# Every header field parse_envelope reads from a header block alone: a header pass may
# fetch only these (IMAP BODY[HEADER.FIELDS (...)]), a fifth of the whole block's bytes.
ENVELOPE_FIELDS = (
    "Message-ID", "In-Reply-To", "References", "Subject", "From", "To", "Cc", "Reply-To",
    "Date", "Auto-Submitted", "X-Autoreply", "X-Autorespond", "Precedence", "List-Id",
    "List-Unsubscribe", "List-Post", "List-Help", "List-Subscribe", "List-Archive",
    "List-Owner",
)
# Last resort when even the header block could not be parsed.
_MESSAGE_ID_LINE = re.compile(rb"(?im)^message-id:[ \t]*(<[^<>\r\n]{1,996}>)")

T = TypeVar("T")


class Envelope(NamedTuple):
    """What the list view and the index need from one message. All text is sanitised.
    A tuple: one is made for every message synced, and it is cheap to make."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    has_attachments: bool
    attachments: tuple[Attachment, ...]
    text: str
    snippet: str
    auto_submitted: bool
    list_mail: bool
    error: str | None


def _guard(errors: list[str], label: str, read: Callable[[], T], default: T) -> T:
    try:
        return read()
    except Exception as exc:
        errors.append(f"{label}: {describe_error(exc)}")
        return default


def _is_auto_submitted(block: HeaderBlock) -> bool:
    value = block.get("auto-submitted")
    if value is not None and value.partition(";")[0].strip().lower() != "no":
        return True
    return block.has("x-autoreply") or block.has("x-autorespond")


def _is_list_mail(block: HeaderBlock) -> bool:
    names = " ".join(block.names())  # field names hold no space
    if names.startswith("list-") or " list-" in names:
        return True
    return (block.get("precedence") or "").strip().lower() in _LIST_PRECEDENCE


def _encoded_size(body: bytes, span: Span) -> int:
    """Decoded size estimated from the encoded bytes, without decoding them."""
    length = span.end - span.start
    if span.encoding.strip().lower() == "base64":
        lines = body.count(b"\n", span.start, span.end)
        return max((length - 2 * lines) * 3 // 4, 0)
    return length


def _attachments(body: bytes, spans: list[Span]) -> tuple[Attachment, ...]:
    found: list[Attachment] = []
    for index, span in enumerate(spans):
        if span.kind == "attachment":
            found.append(Attachment(
                filename=span.filename or f"attachment-{len(found) + 1}",
                content_type=span.content_type,
                size=_encoded_size(body, span),
                part_index=index,
            ))
    return tuple(found)


def _body_text(block: HeaderBlock, body: bytes) -> tuple[str, tuple[Attachment, ...]]:
    """(index text, attachments) for the body."""
    spans, _ = scan_parts(block, body)

    def decoded(span: Span) -> str:
        end = min(span.end, span.start + ENVELOPE_PART_MAX_ENCODED)
        return decode_bytes(decode_transfer(body[span.start : end], span.encoding), span.charset)

    chunks: list[str] = []
    size = 0
    for span in spans:
        if span.kind == "plain" and size < ENVELOPE_TEXT_MAX_CHARS:
            chunks.append(decoded(span))
            size += len(chunks[-1])
    if not chunks:
        for span in spans:
            if span.kind == "html" and size < ENVELOPE_TEXT_MAX_CHARS:
                chunks.append(html_to_text(decoded(span), max_chars=ENVELOPE_HTML_MAX_CHARS)[0])
                size += len(chunks[-1])
    text = own_words("\n\n".join(chunks)[:ENVELOPE_TEXT_MAX_CHARS])
    return sanitize(text).strip(), _attachments(body, spans)


def _snippet(text: str) -> str:
    """The first SNIPPET_CHARS of the text with its whitespace runs made single spaces,
    looking no further than SNIPPET_CHARS * 8 characters in."""
    # Most texts fill a snippet from their first lines: those are tried first. The last
    # word there may be cut short, so only the words before it count.
    words = text[: SNIPPET_CHARS * 2].split()[:-1]
    head = " ".join(words)
    if len(head) >= SNIPPET_CHARS and len(text) > SNIPPET_CHARS * 2:
        return head[:SNIPPET_CHARS]
    return " ".join(text[: SNIPPET_CHARS * 8].split())[:SNIPPET_CHARS]


def _first_id(value: str | None) -> str | None:
    ids = msg_id_list(value, limit=1)
    return ids[0] if ids else None


# What parse_envelope reads from the header block: (label for errors, reader, value when
# the reader fails), in the order of Envelope's first fields.
_HEADER_READERS: tuple[tuple[str, Callable[[HeaderBlock], Any], Any], ...] = (
    ("Message-ID", lambda block: clean_msg_id(block.get("message-id")), None),
    ("In-Reply-To", lambda block: _first_id(block.get("in-reply-to")), None),
    ("References", lambda block: msg_id_list(block.get("references")), ()),
    ("Subject", lambda block: read_subject(block), ""),
    ("From", lambda block: (*read_addresses(block, "from"), _NO_ADDRESS)[0], _NO_ADDRESS),
    ("To", lambda block: read_addresses(block, "to"), ()),
    ("Cc", lambda block: read_addresses(block, "cc"), ()),
    ("Reply-To", lambda block: read_addresses(block, "reply-to"), ()),
    ("Date", lambda block: read_date(block), None),
    ("Auto-Submitted", lambda block: _is_auto_submitted(block), False),
    ("List", lambda block: _is_list_mail(block), False),
)


def _header_values(block: HeaderBlock, errors: list[str]) -> list[Any]:
    """Every reader's value. All at once first (nearly every message); when one raises,
    again each under its own guard, so a bad header costs only itself."""
    try:
        return [read(block) for _, read, _ in _HEADER_READERS]
    except Exception:
        return [_guard(errors, label, functools.partial(read, block), default)
                for label, read, default in _HEADER_READERS]


def _parse(raw: bytes) -> Envelope:
    errors: list[str] = []
    header_bytes, body_offset, separated = split_message(raw)
    block, stopped_at = parse_header_block(header_bytes, stop_at_garbage=not separated)
    if not separated and stopped_at < len(header_bytes):
        body_offset = stopped_at
    body = raw[body_offset : body_offset + ENVELOPE_SCAN_BYTES]
    none: tuple[Attachment, ...] = ()
    if body and not body.isspace():  # (isspace: no stripped copy of a large body)
        text, attachments = _guard(errors, "body", lambda: _body_text(block, body), ("", none))
    else:
        text, attachments = "", none  # a header block alone: nothing to scan
    (message_id, in_reply_to, references, subject, sender, to, cc, reply_to, date,
     auto_submitted, list_mail) = _header_values(block, errors)
    return Envelope(
        message_id, in_reply_to, references, subject, sender, to, cc, reply_to, date,
        has_attachments=bool(attachments),
        attachments=attachments,
        text=text,
        snippet=_snippet(text) if text else "",
        auto_submitted=auto_submitted,
        list_mail=list_mail,
        error="; ".join(errors) or None,
    )


def _unreadable(raw: bytes, exc: BaseException) -> Envelope:
    message_id = None
    text = ""
    try:
        match = _MESSAGE_ID_LINE.search(raw, 0, MAX_HEADER_BLOCK_BYTES)
        message_id = clean_msg_id(match.group(1).decode("ascii")) if match else None
        text = sanitize(bytes_to_text(raw[:ENVELOPE_TEXT_MAX_CHARS]))[:ENVELOPE_TEXT_MAX_CHARS]
    except Exception:
        pass
    return Envelope(
        message_id=message_id,
        in_reply_to=None,
        references=(),
        subject=UNREADABLE_SUBJECT,
        sender=_NO_ADDRESS,
        to=(),
        cc=(),
        reply_to=(),
        date=None,
        has_attachments=False,
        attachments=(),
        text=text,
        snippet=_snippet(text),
        auto_submitted=False,
        list_mail=False,
        error=describe_error(exc),
    )


@dataclass(frozen=True)
class BodySummary:
    """What the body adds to a message whose headers were stored first."""

    text: str
    snippet: str
    attachments: tuple[Attachment, ...]
    error: str | None


def summarise_body(raw: bytes) -> BodySummary:
    """Index text, snippet and attachments of a whole message; never raises. Skips the
    header fields parse_envelope decodes (addresses, dates, subject): the header pass
    has them already."""
    try:
        header_bytes, body_offset, separated = split_message(raw)
        if separated:
            block, _ = parse_header_block(content_fields(header_bytes))
        else:
            block, stopped_at = parse_header_block(header_bytes, stop_at_garbage=True)
            if stopped_at < len(header_bytes):
                body_offset = stopped_at
        body = raw[body_offset : body_offset + ENVELOPE_SCAN_BYTES]
        text, attachments = (_body_text(block, body) if body and not body.isspace()
                             else ("", ()))
        return BodySummary(text, _snippet(text), attachments, None)
    except Exception as exc:
        text = sanitize(bytes_to_text(raw[:ENVELOPE_TEXT_MAX_CHARS])).strip()
        return BodySummary(text, _snippet(text), (), describe_error(exc))


def parse_envelope(raw: bytes) -> Envelope:
    """Summarise one raw RFC 5322 message. Never raises.

    Each header is decoded under its own guard, so a malformed one only loses itself (the
    reason is recorded in ``error``). If the message cannot be split at all, the result has
    subject ``"(unreadable message)"``, the Message-ID if one can still be found, and ``error``
    set.
    """
    try:
        return _parse(raw)
    except Exception as exc:
        return _unreadable(raw, exc)
