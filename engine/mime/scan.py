"""Locate and classify MIME parts directly in the raw bytes, for the sync-time envelope.

The stdlib feed parser reads a message line by line in Python and compiles a fresh regex for
every boundary; on ordinary mail with an attachment that is ~1,000 msg/s. Here delimiters are
found with ``bytes.find`` and only the text parts' bytes are ever copied or decoded, so an
attachment costs almost nothing. Rules follow RFC 2046 as the stdlib parser applies them (a
delimiter line may carry trailing whitespace; a missing close delimiter ends the last part at
the end of input; no delimiter at all means the multipart is shown as text) and parts are
classified by :func:`engine.mime.partrules.classify`, so the result agrees with
:mod:`engine.mime.parts` on well-formed mail.
"""

from __future__ import annotations

from typing import NamedTuple

from engine.mime.headers import HeaderBlock, split_part
from engine.mime.limits import (
    MAX_CONTENT_TYPE_CHARS,
    MAX_MIME_DEPTH,
    MAX_MIME_PARTS,
    MAX_PART_HEADER_CHARS,
)
from engine.mime.params import header_params
from engine.mime.partrules import PartKind, classify, filename_from
from engine.sanitize import sanitize_line

__all__ = ["Span", "scan_parts"]

_MAX_DELIMITER_TAIL = 256  # "--" plus trailing whitespace; anything longer is not a delimiter


class Span(NamedTuple):
    """One part, with its body at ``data[start:end]`` (still transfer-encoded)."""

    kind: PartKind
    content_type: str
    charset: str | None
    encoding: str
    start: int
    end: int
    filename: str


def _split(data: bytes, start: int, end: int, boundary: str) -> list[tuple[int, int]] | None:
    """Body ranges of the parts of a multipart; None if no delimiter line is found."""
    delimiter = b"--" + boundary.encode("utf-8", errors="replace")
    ranges: list[tuple[int, int]] = []
    part_start: int | None = None
    found = False
    pos = start
    while len(ranges) < MAX_MIME_PARTS:
        i = data.find(delimiter, pos, end)
        if i < 0:
            break
        pos = i + 1
        if i != start and data[i - 1] != 0x0A:  # only at the start of a line
            continue
        eol = data.find(b"\n", i + len(delimiter), end)
        line_end = end if eol < 0 else eol
        if line_end - i - len(delimiter) > _MAX_DELIMITER_TAIL:
            continue
        tail = data[i + len(delimiter) : line_end].rstrip(b"\r").rstrip(b" \t")
        if tail not in (b"", b"--"):
            continue  # a longer boundary sharing this prefix
        found = True
        if part_start is not None:
            part_end = i
            # The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
            if part_end > part_start and data[part_end - 1] == 0x0A:
                part_end -= 1
                if part_end > part_start and data[part_end - 1] == 0x0D:
                    part_end -= 1
            ranges.append((part_start, part_end))
        if tail == b"--":
            return ranges
        part_start = pos = end if eol < 0 else eol + 1
    if not found:
        return None
    if part_start is not None and len(ranges) < MAX_MIME_PARTS:
        ranges.append((part_start, end))  # no close delimiter: the message was cut short
    return ranges


def _content_type(block: HeaderBlock, default: str) -> tuple[str, dict[str, str]]:
    value = block.get("content-type")
    if value is None:
        return default, {}
    main, params = header_params(value[:MAX_PART_HEADER_CHARS])
    if main.count("/") != 1:
        main = "text/plain"  # what the stdlib does with an invalid type
    return sanitize_line(main)[:MAX_CONTENT_TYPE_CHARS] or "text/plain", params


def scan_parts(block: HeaderBlock, data: bytes) -> tuple[list[Span], bool]:
    """Classify the parts of the message whose headers are *block* and body is *data*.

    Returns spans in ``walk()`` order (containers included) and whether the scan stopped at
    MAX_MIME_DEPTH / MAX_MIME_PARTS. Attached messages are not entered. Never copies a part.
    """
    spans: list[Span] = []
    stack: list[tuple[HeaderBlock, int, int, int, str]] = [(block, 0, len(data), 0, "text/plain")]
    while stack:
        part, start, end, depth, default_type = stack.pop()
        if depth > MAX_MIME_DEPTH or len(spans) >= MAX_MIME_PARTS:
            return spans, True
        content_type, type_params = _content_type(part, default_type)
        children = None
        if content_type.startswith("multipart/"):
            boundary = type_params.get("boundary", "").rstrip()
            if boundary:
                children = _split(data, start, end, boundary)
        disposition, disposition_params = header_params(
            (part.get("content-disposition") or "")[:MAX_PART_HEADER_CHARS]
        )
        container = children is not None or content_type.startswith("message/")
        filename = filename_from(disposition_params, type_params)
        kind = classify(content_type, disposition, filename, container=container, nested=False)
        encoding = (part.get("content-transfer-encoding") or "")[:64]
        spans.append(
            Span(kind, content_type, type_params.get("charset"), encoding, start, end, filename)
        )
        if children:
            child_default = "message/rfc822" if content_type == "multipart/digest" else "text/plain"
            for child_start, child_end in reversed(children):
                child_block, body_start = split_part(data, child_start, child_end)
                stack.append((child_block, body_start, child_end, depth + 1, child_default))
    return spans, False
