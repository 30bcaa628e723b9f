"""Split a raw message into header block and body, and decode header values.

The header block is parsed here rather than by :mod:`email`: the stdlib parser treats the first
line without a colon as the start of the body (losing every header after it, Message-ID
included), and its header-value machinery has quadratic paths on hostile input. This parser
skips a malformed line and carries on, is bounded in size and field count, and runs in one
linear pass. Values stay bytes until a caller asks for one, so unused headers cost nothing.
"""

from __future__ import annotations

import binascii
import re

from engine.mime.charsets import bytes_to_text, decode_bytes
from engine.mime.limits import (
    MAX_DECODE_HEADER_CHARS,
    MAX_HEADER_BLOCK_BYTES,
    MAX_HEADER_FIELDS,
    MAX_HEADER_VALUE_BYTES,
)

__all__ = ["HeaderBlock", "decode_words", "parse_header_block", "split_message", "split_part"]

_LOGICAL_LINE_BREAK = re.compile(rb"\n(?![ \t])")
# A Content-* field with its continuation lines.
_CONTENT_FIELD = re.compile(rb"(?im)^content-[^:\r\n]*:[^\n]*(?:\n[ \t][^\n]*)*")
# RFC 5322 field name: printable ASCII except colon.
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
# One well-formed logical line: name, colon, value with its continuation lines, line end.
_FIELD_LINE = rb"([\x21-\x39\x3b-\x7e]++)[ \t]*+:([^\n]*+(?:\n[ \t][^\n]*+)*+)(?:\n|\Z)"
_FIELD = re.compile(_FIELD_LINE)
# A block of nothing but such lines. Possessive throughout: linear on any input.
_BLOCK = re.compile(rb"(?:" + _FIELD_LINE + rb")*+")

# RFC 2047 encoded word. Encoded text cannot contain "?", so each candidate scans at most to the
# next "?": linear. Whitespace inside is tolerated because broken mailers emit it.
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([qQbB])\?([^?]*+)\?=")


class HeaderBlock:
    """The fields of one header block: lower-cased name -> unfolded raw values, in order."""

    __slots__ = ("_fields",)

    def __init__(self, fields: dict[str, list[bytes]]) -> None:
        self._fields = fields

    def get(self, name: str) -> str | None:
        """First value of *name* as text (raw 8-bit decoded, encoded words left as they are)."""
        values = self._fields.get(name.lower())
        return bytes_to_text(values[0]) if values else None

    def get_all(self, name: str) -> list[str]:
        """Every value of *name* as text."""
        return [bytes_to_text(v) for v in self._fields.get(name.lower(), ())]

    def get_bytes(self, name: str) -> bytes | None:
        """First value of *name* as the raw (unfolded) bytes."""
        values = self._fields.get(name.lower())
        return values[0] if values else None

    def has(self, name: str) -> bool:
        """Whether the field is present (even if empty)."""
        return name.lower() in self._fields

    def names(self) -> tuple[str, ...]:
        """Lower-cased names of all fields present."""
        return tuple(self._fields)


def blank_line(data: bytes, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
    """(start, end) of the first empty line in data[start:end], as the regular expression
    \r?\n\r?\n would find it, or None. Two searches for fixed bytes run in C at memory
    speed, where the expression tried every position of a long header block."""
    stop = len(data) if end is None else end
    crlf = data.find(b"\n\r\n", start, stop)
    # The second search stops where the first found one: a CRLF message has no \n\n,
    # and looking for one would read all of it.
    lf = data.find(b"\n\n", start, stop if crlf < 0 else crlf + 1)
    if lf < 0 and crlf < 0:
        return None
    first = lf if lf >= 0 else crlf
    begin = first - 1 if first > start and data[first - 1] == 13 else first  # 13: \r
    return begin, first + (2 if first == lf else 3)


def split_message(raw: bytes) -> tuple[bytes, int, bool]:
    """Find the header block of *raw*.

    Returns ``(header_bytes, body_offset, separator_found)``. Without a blank line the whole
    message is a candidate header block and :func:`parse_header_block` decides where it ends.
    """
    if raw.startswith(b"\n"):
        return b"", 1, True
    if raw.startswith(b"\r\n"):
        return b"", 2, True
    found = blank_line(raw)
    if found is None:
        return raw[:MAX_HEADER_BLOCK_BYTES], len(raw), False
    return raw[: min(found[0], MAX_HEADER_BLOCK_BYTES)], found[1], True


def split_part(data: bytes, start: int, end: int) -> tuple[HeaderBlock, int]:
    """Headers of the MIME part ``data[start:end]`` and the absolute offset of its body.

    Inside a multipart the first line that is not a header ends the headers (as in the stdlib
    parser), blank line or not. Works on offsets so a large part is never copied.
    """
    if data.startswith(b"\n", start, end):
        return HeaderBlock({}), start + 1
    if data.startswith(b"\r\n", start, end):
        return HeaderBlock({}), start + 2
    found = blank_line(data, start, end)
    header_end = found[0] if found else end
    header = data[start : min(header_end, start + MAX_HEADER_BLOCK_BYTES)]
    block, stopped_at = parse_header_block(header, stop_at_garbage=True)
    if stopped_at < len(header):
        return block, start + stopped_at
    return block, found[1] if found else end


def content_fields(data: bytes) -> bytes:
    """Only the Content-* fields of a header block: all a MIME scan of the body reads, and
    a small part of a block full of Received and DKIM lines."""
    data = data[:MAX_HEADER_BLOCK_BYTES]
    # Lines starting with "content-" are found by searching for fixed bytes: an expression
    # anchored at every line start tries each position of the block.
    lowered = data.lower()
    starts = [0] if lowered.startswith(b"content-") else []
    at = lowered.find(b"\ncontent-")
    while at >= 0:
        starts.append(at + 1)
        at = lowered.find(b"\ncontent-", at + 1)
    return b"\n".join([m.group() for start in starts
                       if (m := _CONTENT_FIELD.match(data, start)) is not None])


def parse_header_block(data: bytes, *, stop_at_garbage: bool = False) -> tuple[HeaderBlock, int]:
    """Parse header lines from *data* (bounded to MAX_HEADER_BLOCK_BYTES).

    Lines that are neither ``name: value`` nor a continuation are skipped, unless
    *stop_at_garbage* is set, in which case such a line is taken as the start of the body, as
    RFC 5322 parsers do. Returns the block and the offset where parsing stopped (the body start
    when it stopped at garbage, else ``len(data)``).
    """
    data = data[:MAX_HEADER_BLOCK_BYTES]
    fields = _well_formed(data)
    if fields is not None:
        return HeaderBlock(fields), len(data)
    return _line_by_line(data, stop_at_garbage)


def _line_by_line(data: bytes, stop_at_garbage: bool) -> tuple[HeaderBlock, int]:
    """parse_header_block for any block: one logical line at a time, skipping (or
    stopping at) what is no field."""
    fields: dict[str, list[bytes]] = {}
    offset = 0
    count = 0
    # Each item is one logical line: a field with its continuation lines still attached.
    for index, line in enumerate(_LOGICAL_LINE_BREAK.split(data)):
        line_start = offset
        offset += len(line) + 1
        colon = line.find(b":")
        field = line[:colon].rstrip(b" \t") if colon > 0 else b""
        if not field or not _FIELD_NAME.fullmatch(field):
            if index == 0 and line.startswith(b"From "):
                continue  # mbox separator line
            if stop_at_garbage and line.strip():
                return HeaderBlock(fields), line_start
            continue
        count += 1
        if count > MAX_HEADER_FIELDS:
            break
        value = line[colon + 1 :]
        if b"\n" in value:  # unfold: drop the line breaks, keep the whitespace after them
            value = value.replace(b"\r\n", b"").replace(b"\n", b"")
        value = value.strip()[:MAX_HEADER_VALUE_BYTES]
        fields.setdefault(field.decode("ascii").lower(), []).append(value)
    return HeaderBlock(fields), len(data)


def _well_formed(data: bytes) -> dict[str, list[bytes]] | None:
    """The fields of a block made only of well-formed fields (nearly every block), read
    by two expressions; None when any line is not one, for parse_header_block's own loop
    (which knows what to skip). The same fields that loop finds, several times faster."""
    if _BLOCK.fullmatch(data) is None:
        return None
    # The whole block is fields, so each match starts where the one before ended.
    found = _FIELD.findall(data)
    if len(found) > MAX_HEADER_FIELDS:
        return None
    fields: dict[str, list[bytes]] = {}
    for raw_name, value in found:
        name = raw_name.decode("ascii").lower()
        if b"\n" in value:
            value = value.replace(b"\r\n", b"").replace(b"\n", b"")
        value = value.strip()[:MAX_HEADER_VALUE_BYTES]
        if name in fields:
            fields[name].append(value)
        else:
            fields[name] = [value]
    return fields


def _decode_word(charset: str, encoding: str, text: str) -> bytes | None:
    """Bytes of one encoded word's payload, or None when it cannot be decoded."""
    data = text.encode("utf-8", errors="replace")
    try:
        if encoding in "qQ":
            return binascii.a2b_qp(data, header=True)
        data = data.strip()
        missing = -len(data) % 4
        if missing == 3:  # one stray character can never be base64; drop it
            data = data[:-1]
        elif missing:
            data += b"=" * missing
        return binascii.a2b_base64(data)
    except (binascii.Error, ValueError):
        return None


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in a header value; never raises.

    Whitespace between adjacent encoded words is dropped (RFC 2047 section 6.2), and adjacent
    words in the same charset are joined before decoding, because mailers split multi-byte
    characters across words. Undecodable words are left as written. The result is NOT
    sanitised: decoded text may contain anything, including CR/LF and ESC.
    """
    if "=?" not in value:
        return value
    value = value[:MAX_DECODE_HEADER_CHARS]
    out: list[str] = []
    pending = bytearray()
    pending_charset: str | None = None  # set while the previous token was an encoded word
    pos = 0

    def flush() -> None:
        nonlocal pending_charset
        if pending_charset is not None:
            out.append(decode_bytes(bytes(pending), pending_charset))
            pending.clear()
            pending_charset = None

    for match in _ENCODED_WORD.finditer(value):
        gap = value[pos : match.start()]
        pos = match.end()
        charset = match.group(1).split("*", 1)[0].lower()  # RFC 2231 language suffix
        decoded = _decode_word(charset, match.group(2), match.group(3))
        if decoded is None:
            flush()
            out.append(gap + match.group(0))
            continue
        if gap and not (pending_charset is not None and gap.isspace()):
            flush()
            out.append(gap)
        if pending_charset is not None and charset != pending_charset:
            flush()
        pending += decoded
        pending_charset = charset
    flush()
    out.append(value[pos:])
    return "".join(out)
