"""Turn bytes in a declared (and often wrong) charset into text, never failing."""

from __future__ import annotations

import codecs
import functools

__all__ = ["bytes_to_text", "decode_bytes"]

# Labels mail gets wrong in practice, mapped the way browsers (WHATWG Encoding) do: the declared
# charset is usually the legacy subset of what the sender's software really used.
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "euc_kr": "cp949",
}

# Text codecs that are not charsets: decoding with them turns escapes into characters, and
# punycode/idna are slow on long input.
_REFUSED = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})


@functools.lru_cache(maxsize=256)
def _codec_for(label: str) -> str | None:
    """Python codec name for a charset label, or None when unknown or not a text charset."""
    if not label or len(label) > 40:
        return None
    try:
        name = codecs.lookup(label).name
        # bytes.decode() refuses non-text codecs (base64, zlib, rot13...) with LookupError.
        b"".decode(name)
    except (LookupError, ValueError, TypeError):
        return None
    if name in _REFUSED:
        return None
    return _SUPERSETS.get(name, name)


def bytes_to_text(data: bytes) -> str:
    """Decode bytes with no declared charset: UTF-8 if valid, else windows-1252.

    Raw 8-bit headers and undeclared bodies are UTF-8 in modern mail and windows-1252 in old
    mail; invalid UTF-8 is a strong signal for the latter. Never raises.
    """
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode *data* declared as *charset*; never raises.

    Unknown, missing or ASCII labels fall back to :func:`bytes_to_text` (UTF-8, else
    windows-1252, a superset of latin-1 that maps 0x80-0x9F to printable characters instead of
    C1 controls). Known charsets decode with ``errors="replace"``.
    """
    label = (charset or "").strip().strip("\"'").lower()
    codec = _codec_for(label)
    if codec is None or codec == "ascii":
        return bytes_to_text(data)
    try:
        return data.decode(codec, errors="replace")
    except Exception:  # a codec bug must not lose the text
        return bytes_to_text(data)
