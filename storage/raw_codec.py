"""How raw RFC 5322 bytes are kept at rest. Pure functions: safe to call in worker threads."""

from __future__ import annotations

import zlib

# Level 1: mail compresses ~3x already at the cheapest level; higher levels cost CPU at
# sync time for a few percent of disk.
_LEVEL = 1


def compress(raw: bytes) -> tuple[str, bytes]:
    """Return (codec, data) for storing `raw` in message_raw."""
    return "zlib", zlib.compress(raw, _LEVEL)


def decompress(codec: str, data: bytes) -> bytes:
    """Return the original bytes of a message_raw row."""
    if codec == "zlib":
        return zlib.decompress(data)
    if codec == "none":
        return bytes(data)
    raise ValueError(f"unknown raw codec {codec!r}")
