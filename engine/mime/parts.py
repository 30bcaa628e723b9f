"""MIME tree for the full parse: build it with the stdlib parser, walk it within bounds.

The stdlib feed parser builds the tree, but only ever sees a synthetic header block holding the
message's Content-* fields (our own parser reads the real one, see ``headers.py``), and it runs
under a policy that caps every header value it fetches: its parameter parsing is quadratic in
the value length.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from email.policy import Compat32

from engine.mime.charsets import bytes_to_text, decode_bytes
from engine.mime.headers import HeaderBlock
from engine.mime.limits import (
    MAX_CONTENT_TYPE_CHARS,
    MAX_MIME_DEPTH,
    MAX_MIME_PARTS,
    MAX_PART_HEADER_CHARS,
)
from engine.mime.params import header_params
from engine.mime.partrules import PartKind, classify, decode_transfer, filename_from
from engine.sanitize import sanitize_line

__all__ = [
    "PartInfo",
    "decoded_payload",
    "estimated_size",
    "parse_structure",
    "part_text",
    "walk_parts",
]


class _BoundedCompat32(Compat32):
    """compat32 whose header reads are capped (and never turned into ``Header`` objects)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return str(value)[:MAX_PART_HEADER_CHARS]


_POLICY = _BoundedCompat32()
_STRUCTURE_FIELDS = ("Content-Type", "Content-Transfer-Encoding", "Content-Disposition")


@dataclass(frozen=True, slots=True)
class PartInfo:
    """One part of the tree, classified."""

    index: int
    """Position in ``Message.walk()`` order."""
    part: Message
    content_type: str
    """Lower-cased ``main/sub``, sanitised."""
    charset: str | None
    filename: str
    """Decoded, sanitised, without directories; "" if none."""
    kind: PartKind


def parse_structure(block: HeaderBlock, body: bytes) -> Message:
    """Parse *body* as the MIME tree described by the Content-* fields of *block*. May raise."""
    lines = []
    for name in _STRUCTURE_FIELDS:
        value = block.get_bytes(name)
        if value is not None:
            value = value.replace(b"\r", b" ").replace(b"\n", b" ")
            lines.append(b"%s: %s\r\n" % (name.encode("ascii"), value))
    lines.append(b"\r\n")
    return BytesParser(policy=_POLICY).parsebytes(b"".join(lines) + body)


def _header(part: Message, name: str) -> str:
    value = part.get(name)
    if value is None:
        return ""
    value = str(value)
    try:
        # The parser keeps raw 8-bit header bytes as surrogate escapes.
        return bytes_to_text(value.encode("ascii", errors="surrogateescape"))
    except UnicodeEncodeError:
        return value


def _classify(part: Message, index: int, nested: bool) -> PartInfo:
    content_type = sanitize_line(part.get_content_type())[:MAX_CONTENT_TYPE_CHARS] or "text/plain"
    _, type_params = header_params(_header(part, "content-type"))
    disposition, disposition_params = header_params(_header(part, "content-disposition"))
    filename = filename_from(disposition_params, type_params)
    kind = classify(
        content_type, disposition, filename, container=part.is_multipart(), nested=nested
    )
    return PartInfo(index, part, content_type, type_params.get("charset"), filename, kind)


def walk_parts(root: Message) -> tuple[list[PartInfo], bool]:
    """Classify parts in ``Message.walk()`` order within MAX_MIME_DEPTH / MAX_MIME_PARTS.

    Returns the parts and whether the walk stopped early. It stops outright at the first part
    that is too deep, so the indices of the parts returned still match ``walk()``.
    """
    infos: list[PartInfo] = []
    stack: list[tuple[Message, int, bool]] = [(root, 0, False)]
    while stack:
        part, depth, nested = stack.pop()
        if depth > MAX_MIME_DEPTH or len(infos) >= MAX_MIME_PARTS:
            return infos, True
        info = _classify(part, len(infos), nested)
        infos.append(info)
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list):
            inner = nested or info.content_type.startswith("message/")
            stack.extend(
                (child, depth + 1, inner)
                for child in reversed(children[:MAX_MIME_PARTS])
                if isinstance(child, Message)
            )
    return infos, False


def _raw_payload(part: Message) -> str | None:
    """The leaf payload exactly as parsed (8-bit bytes as surrogate escapes).

    ``get_payload()`` cannot be used: given 8-bit content it decodes with the declared charset
    (default ASCII) and errors="replace", destroying undeclared UTF-8; ``get_payload(decode=True)``
    decodes the whole part, however large. Hence the private attribute.
    """
    payload = getattr(part, "_payload", None)
    return payload if isinstance(payload, str) else None


def decoded_payload(part: Message, max_encoded: int) -> bytes:
    """The transfer-decoded payload of a leaf part, reading at most *max_encoded* characters.

    Never raises; a container part gives ``b""``.
    """
    payload = _raw_payload(part)
    if payload is None:
        return b""
    payload = payload[:max_encoded]
    try:
        data = payload.encode("ascii", errors="surrogateescape")
    except UnicodeEncodeError:
        data = payload.encode("utf-8", errors="replace")
    return decode_transfer(data, _header(part, "content-transfer-encoding"))


def part_text(info: PartInfo, max_encoded: int) -> str:
    """A text part's payload decoded to (unsanitised) text."""
    return decode_bytes(decoded_payload(info.part, max_encoded), info.charset)


def estimated_size(part: Message) -> int:
    """Decoded size of a part in bytes, estimated from the encoded length (no decoding)."""
    total = 0
    stack = [part]
    seen = 0
    while stack and seen < MAX_MIME_PARTS:
        current = stack.pop()
        seen += 1
        if current.is_multipart():
            children = current.get_payload()
            if isinstance(children, list):
                stack.extend(p for p in children if isinstance(p, Message))
            continue
        payload = _raw_payload(current)
        if payload is None:
            continue
        if _header(current, "content-transfer-encoding").strip().lower() == "base64":
            chars = len(payload) - sum(payload.count(c) for c in "\r\n\t ")
            total += max(chars * 3 // 4 - payload.rstrip().count("=", -2), 0)
        else:
            total += len(payload)
    return total
