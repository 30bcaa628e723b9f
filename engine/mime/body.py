"""Full parse of one message for the preview and reply views.

Called for one message at a time, so it decodes every text part (up to BODY_TEXT_MAX_CHARS),
converts HTML with its links, and lists attachments. Malformed mail is shown, never dropped: if
the structure cannot be parsed, the raw message is shown as text with ``error`` set.

The MIME tree is built by the same bounded compat32 parser as the envelope rather than
``email.policy.default``: the latter's header parser is quadratic on hostile part headers
(a 40 KB ``Content-Type`` of semicolons took 13 s, 80 KB 70 s, on this Python), and sharing the
parser keeps ``part_index`` identical between the two.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from email.message import Message

from engine.mime.fields import describe_error, display_headers
from engine.mime.headers import HeaderBlock, parse_header_block, split_message
from engine.mime.html_text import html_to_text
from engine.mime.limits import (
    BODY_PART_MAX_ENCODED,
    BODY_TEXT_MAX_CHARS,
    FALLBACK_RAW_MAX_BYTES,
    TRUNCATION_NOTE,
)
from engine.mime.parts import (
    PartInfo,
    decoded_payload,
    estimated_size,
    parse_structure,
    part_text,
    walk_parts,
)
from engine.sanitize import sanitize

__all__ = ["Attachment", "MessageBody", "attachment_bytes", "parse_body"]

DISPLAY_HEADERS = ("From", "To", "Cc", "Reply-To", "Date", "Subject")


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as listed to the agent; fetch its bytes with :func:`attachment_bytes`."""

    filename: str
    """Sanitised, without directories; ``attachment-N`` when the message gives none."""
    content_type: str
    size: int
    """Decoded size in bytes, estimated from the encoded length."""
    part_index: int
    """Index in ``Message.walk()`` order."""


@dataclass(frozen=True, slots=True)
class MessageBody:
    """Everything the preview shows. All strings are sanitised."""

    headers: tuple[tuple[str, str], ...]
    """Present fields among From, To, Cc, Reply-To, Date, Subject, in that order."""
    text: str
    """The text/plain part(s); the converted HTML when there is no plain part."""
    html_text: str | None
    links: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    error: str | None


class _Text:
    """Accumulates text parts up to BODY_TEXT_MAX_CHARS."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.size = 0
        self.truncated = False

    def add(self, text: str) -> None:
        if self.size >= BODY_TEXT_MAX_CHARS:
            self.truncated = True
            return
        self.chunks.append(text)
        self.size += len(text)

    def result(self) -> str:
        text = "\n\n".join(c for c in self.chunks if c.strip())
        if len(text) > BODY_TEXT_MAX_CHARS:
            text, self.truncated = text[:BODY_TEXT_MAX_CHARS], True
        text = sanitize(text).strip("\n")
        return f"{text}\n\n{TRUNCATION_NOTE}" if self.truncated else text


def _split(raw: bytes) -> tuple[HeaderBlock, bytes]:
    header_bytes, body_offset, separated = split_message(raw)
    block, stopped_at = parse_header_block(header_bytes, stop_at_garbage=not separated)
    if not separated and stopped_at < len(header_bytes):
        body_offset = stopped_at
    return block, raw[body_offset:]


def _attachment(info: PartInfo, number: int) -> Attachment:
    try:
        size = estimated_size(info.part)
    except Exception:
        size = 0
    return Attachment(
        filename=info.filename or f"attachment-{number}",
        content_type=info.content_type,
        size=size,
        part_index=info.index,
    )


def _parse(raw: bytes) -> MessageBody:
    errors: list[str] = []
    block, body = _split(raw)
    headers = display_headers(block, DISPLAY_HEADERS, errors)
    try:
        infos, cut_short = walk_parts(parse_structure(block, body))
    except Exception as exc:
        # The structure is unusable: show the raw message rather than nothing.
        return _fallback(raw, headers, f"body: {describe_error(exc)}")
    if cut_short:
        errors.append("MIME structure too deep or too many parts; some parts not shown")
    plain, html = _Text(), _Text()
    links: dict[str, None] = {}
    attachments: list[Attachment] = []
    for info in infos:
        if info.kind == "plain":
            plain.add(part_text(info, BODY_PART_MAX_ENCODED))
        elif info.kind == "html":
            converted, found = html_to_text(part_text(info, BODY_PART_MAX_ENCODED))
            html.add(converted)
            links.update(dict.fromkeys(found))
        elif info.kind == "attachment":
            attachments.append(_attachment(info, len(attachments) + 1))
    html_text = html.result() if html.chunks else None
    return MessageBody(
        headers=headers,
        text=plain.result() if plain.chunks else (html_text or ""),
        html_text=html_text,
        links=tuple(links),
        attachments=tuple(attachments),
        error="; ".join(errors) or None,
    )


def _fallback(raw: bytes, headers: tuple[tuple[str, str], ...], error: str) -> MessageBody:
    text = sanitize(raw[:FALLBACK_RAW_MAX_BYTES].decode("utf-8", errors="replace"))
    if len(raw) > FALLBACK_RAW_MAX_BYTES:
        text = f"{text}\n\n{TRUNCATION_NOTE}"
    return MessageBody(
        headers=headers, text=text, html_text=None, links=(), attachments=(), error=error
    )


def parse_body(raw: bytes) -> MessageBody:
    """Parse one raw message for display. Never raises.

    Each display header is decoded under its own guard. If the MIME structure cannot be parsed
    the raw message is returned as ``text`` (UTF-8 with replacement, sanitised, bounded) with
    ``error`` set.
    """
    try:
        return _parse(raw)
    except Exception as exc:
        headers: tuple[tuple[str, str], ...] = ()
        with contextlib.suppress(Exception):
            headers = display_headers(_split(raw)[0], DISPLAY_HEADERS, [])
        return _fallback(raw, headers, describe_error(exc))


def attachment_bytes(raw: bytes, part_index: int) -> bytes | None:
    """The decoded content of the part at *part_index* (as listed by :func:`parse_body`).

    An attached message comes back re-serialised. Returns None if there is no such part or it
    is a multipart container. Never raises. The bytes are untrusted content:
    never display them without decoding and sanitising.
    """
    try:
        block, body = _split(raw)
        infos, _ = walk_parts(parse_structure(block, body))
        for info in infos:
            if info.index != part_index:
                continue
            if not info.part.is_multipart():
                return decoded_payload(info.part, max(len(raw), 1))
            inner = info.part.get_payload()
            if info.content_type.startswith("message/") and isinstance(inner, list) and inner:
                attached = inner[0]
                if isinstance(attached, Message):
                    return attached.as_bytes()  # an attached message, re-serialised
            return None
    except Exception:
        pass
    return None
