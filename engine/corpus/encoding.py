"""Wire-format helpers: RFC 2047 encoded words, header folding, transfer encodings, MIME
entities and multiparts, all producing CRLF bytes.

Written by hand rather than through email.generator: the corpus must be byte-for-byte
reproducible (the stdlib draws MIME boundaries from the global random module) and building
20,000 messages through EmailMessage would be several times too slow for the benchmarks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

CRLF = "\r\n"
FOLD = "\r\n "
_WORD_MAX = 75  # RFC 2047 limit for one encoded word
_LINE_SOFT = 78
_Q_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
# atext plus space: display names made only of these need no quoting (RFC 5322 3.2.3).
_ATEXT = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~ "
)


def fits(text: str, charset: str) -> bool:
    """Whether `text` can be written in `charset` without loss."""
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def encoded_words(text: str, *, method: str = "B", charset: str = "UTF-8") -> list[str]:
    """`text` as RFC 2047 encoded words of at most 75 characters each.

    Words are split on character boundaries, never inside a multi-byte sequence, since
    decoders handle each word on its own.
    """
    prefix = f"=?{charset}?{method}?"
    budget = _WORD_MAX - len(prefix) - 2
    words: list[str] = []
    if method.upper() == "B":
        raw_max = budget // 4 * 3
        chunk = bytearray()
        for ch in text:
            data = ch.encode(charset)
            if chunk and len(chunk) + len(data) > raw_max:
                words.append(prefix + base64.b64encode(chunk).decode("ascii") + "?=")
                chunk = bytearray()
            chunk += data
        if chunk or not words:
            words.append(prefix + base64.b64encode(chunk).decode("ascii") + "?=")
        return words
    current: list[str] = []
    used = 0
    for ch in text:
        if ch in _Q_SAFE:
            token = ch
        elif ch == " ":
            token = "_"
        else:
            token = "".join(f"={b:02X}" for b in ch.encode(charset))
        if current and used + len(token) > budget:
            words.append(prefix + "".join(current) + "?=")
            current, used = [], 0
        current.append(token)
        used += len(token)
    words.append(prefix + "".join(current) + "?=")
    return words


def fold_text(value: str, name_len: int) -> str:
    """Fold an ASCII unstructured value at spaces so lines stay near 78 characters."""
    if name_len + 2 + len(value) <= _LINE_SOFT:
        return value
    lines: list[str] = []
    line = ""
    limit = _LINE_SOFT - name_len - 2
    for word in value.split(" "):
        if line and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line, limit = word, _LINE_SOFT - 1
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return FOLD.join(lines)


@dataclass(frozen=True, slots=True)
class WordStyle:
    """How one sender encodes non-ASCII header text."""

    method: str = "B"
    charset: str = "UTF-8"

    def encode(self, text: str) -> str:
        charset = self.charset if fits(text, self.charset) else "UTF-8"
        return FOLD.join(encoded_words(text, method=self.method, charset=charset))

    def encode_phrase(self, text: str) -> str:
        """Encoded words for a display name, in a single word whenever B allows it.

        Decoders disagree about the whitespace between adjacent encoded words inside a
        phrase (Python's parser keeps it, RFC 2047 drops it), so names are not split.
        """
        charset = self.charset if fits(text, self.charset) else "UTF-8"
        words = encoded_words(text, method=self.method, charset=charset)
        if len(words) > 1 and self.method == "Q":
            words = encoded_words(text, method="B", charset=charset)
        return FOLD.join(words)


def pick_word_style(rng: random.Random) -> WordStyle:
    """A mix of B and Q, UTF-8 and Latin-1 labels, as seen from different mailers."""
    roll = rng.random()
    if roll < 0.45:
        return WordStyle("B", "UTF-8")
    if roll < 0.8:
        return WordStyle("Q", "UTF-8" if roll < 0.7 else "utf-8")
    return WordStyle("Q", "iso-8859-1")


def unstructured(name: str, text: str, style: WordStyle) -> str:
    """A Subject-like header value: folded if ASCII, encoded words otherwise."""
    if text.isascii():
        return fold_text(text, len(name))
    return style.encode(text)


def address(display: str | None, email: str, style: WordStyle) -> str:
    """One mailbox: `Name <addr>`, with the name encoded or quoted as it needs."""
    if not display:
        return f"<{email}>" if display == "" else email
    if not display.isascii():
        return f"{style.encode_phrase(display)} <{email}>"
    if all(ch in _ATEXT for ch in display):
        return f"{display} <{email}>"
    quoted = display.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{quoted}" <{email}>'


def address_list(pairs: Iterable[tuple[str | None, str]], style: WordStyle) -> str:
    return ("," + FOLD).join(address(name, email, style) for name, email in pairs)


@dataclass(slots=True)
class Headers:
    """An ordered header block; values must already be folded and ASCII."""

    lines: list[str] = field(default_factory=list)

    def add(self, name: str, value: str) -> None:
        self.lines.append(f"{name}: {value}")

    def extend(self, other: Sequence[str]) -> None:
        self.lines.extend(other)


@dataclass(slots=True)
class Entity:
    """A MIME entity: its own header lines and a CRLF-terminated body."""

    headers: list[str]
    body: bytes


def transfer_encode(data: bytes, cte: str) -> bytes:
    """Apply a Content-Transfer-Encoding to LF-terminated `data`, giving CRLF lines."""
    if cte == "quoted-printable":
        data = binascii.b2a_qp(data, istext=True)
    elif cte == "base64":
        data = base64.encodebytes(data)
    return data.replace(b"\n", b"\r\n")


def text_entity(
    text: str, *, subtype: str = "plain", charset: str = "utf-8", cte: str | None = None,
    extra: Sequence[str] = (),
) -> Entity:
    """A text/* entity; `cte` defaults to 7bit for ASCII and quoted-printable otherwise."""
    if not text.endswith("\n"):
        text += "\n"
    data = text.encode(charset)
    if cte is None:
        cte = "7bit" if data.isascii() else "quoted-printable"
    if cte == "7bit" and not data.isascii():
        cte = "8bit"
    if cte in ("7bit", "8bit") and max(map(len, data.split(b"\n"))) > 990:
        # RFC 5322 caps lines at 998 octets; long HTML lines need an encoding that wraps.
        cte = "quoted-printable"
    param = f"charset={charset}" if charset == "utf-8" else f'charset="{charset}"'
    headers = [f"Content-Type: text/{subtype}; {param}", f"Content-Transfer-Encoding: {cte}"]
    headers.extend(extra)
    return Entity(headers, transfer_encode(data, cte))


def disposition_filename(filename: str) -> str:
    """`filename=` parameter, RFC 2231-encoded when the name is not ASCII."""
    if filename.isascii():
        return f'filename="{filename}"'
    quoted = "".join(
        chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in "-._") else f"%{b:02X}"
        for b in filename.encode("utf-8")
    )
    return f"filename*=UTF-8''{quoted}"


def attachment_entity(data: bytes, mime_type: str, filename: str, *,
                      encoded: bytes | None = None) -> Entity:
    """A base64 attachment with 76-character lines (`encoded`: body already encoded)."""
    name_param = disposition_filename(filename)
    ctype_name = name_param.replace("filename", "name", 1)
    headers = [
        f"Content-Type: {mime_type};{FOLD}{ctype_name}",
        f"Content-Disposition: attachment;{FOLD}{name_param}",
        "Content-Transfer-Encoding: base64",
    ]
    if encoded is None:
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return Entity(headers, encoded)


_B64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Maps every byte value onto the alphabet (b % 64), so random bytes become random base64.
_B64_TABLE = bytes(_B64_ALPHABET[b % 64] for b in range(256))


_LINE = 78  # 76 base64 characters and CRLF


class Base64Pool:
    """Lines of random base64 that attachment bodies are cut from.

    Encoding hundreds of kilobytes per attachment dominated generation time, and so did
    drawing that many random bytes. Random base64 text decodes to random bytes just as
    well, so one block is drawn per corpus (SHAKE-128 keyed from the corpus rng, mapped
    onto the alphabet, line breaks written in by slice assignment, all at C speed) and
    each attachment takes a run of lines at a random offset.
    """

    def __init__(self, key: bytes, lines: int = 24_000) -> None:
        block = bytearray(hashlib.shake_128(key).digest(lines * _LINE).translate(_B64_TABLE))
        block[76::_LINE] = b"\r" * lines
        block[77::_LINE] = b"\n" * lines
        self.data = bytes(block)
        self.lines = lines

    def take(self, rng: random.Random, lines: int) -> bytes:
        parts: list[bytes] = []
        while lines > 0:
            n = min(lines, self.lines)
            start = rng.randrange(self.lines - n + 1) * _LINE
            parts.append(self.data[start:start + n * _LINE])
            lines -= n
        return b"".join(parts)


def random_base64(rng: random.Random, pool: Base64Pool, head: bytes, size: int,
                  tail: bytes = b"") -> bytes:
    """Base64 body (CRLF, 76-character lines) of a file: `head`, about `size` bytes of
    pseudo-random filler from `pool`, then `tail`."""
    head += rng.randbytes(-len(head) % 57)  # whole lines, so the filler stays aligned
    first = base64.encodebytes(head).replace(b"\n", b"\r\n")
    lines = max(0, size - len(head) - len(tail)) // 57
    last = base64.encodebytes(tail).replace(b"\n", b"\r\n") if tail else b""
    return b"".join((first, pool.take(rng, lines), last))


def make_boundary(rng: random.Random, style: str) -> str:
    """A boundary in the house style of a mailer, drawn from `rng` for reproducibility."""
    if style == "gmail":
        return f"000000000000{rng.getrandbits(64):016x}"[:28]
    if style == "outlook":
        return f"_000_{rng.getrandbits(80):020X}_"
    if style == "apple":
        n = rng.getrandbits(128)
        h = f"{n:032X}"
        return f"Apple-Mail={h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    if style == "thunderbird":
        return f"------------{rng.getrandbits(120):030x}"[:36]
    return f"=_{rng.getrandbits(128):032x}"


def multipart(subtype: str, boundary: str, parts: Sequence[Entity], *,
              close: bool = True, preamble: bool = False) -> Entity:
    """A multipart entity. `close=False` leaves out the closing delimiter (malformed)."""
    sep = f"--{boundary}\r\n".encode("ascii")
    chunks: list[bytes] = []
    if preamble:
        chunks.append(b"This is a multi-part message in MIME format.\r\n\r\n")
    for part in parts:
        chunks.append(sep)
        chunks.append((CRLF.join(part.headers) + CRLF + CRLF).encode("ascii"))
        chunks.append(part.body)
        if not part.body.endswith(b"\r\n"):
            chunks.append(b"\r\n")
    if close:
        chunks.append(f"--{boundary}--\r\n".encode("ascii"))
    headers = [f'Content-Type: multipart/{subtype};{FOLD}boundary="{boundary}"']
    return Entity(headers, b"".join(chunks))


def message_bytes(headers: Headers, entity: Entity) -> bytes:
    """The complete message: top-level headers, the entity's headers, blank line, body."""
    head = CRLF.join([*headers.lines, "MIME-Version: 1.0", *entity.headers]) + CRLF + CRLF
    return head.encode("ascii") + entity.body
