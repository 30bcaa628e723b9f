"""Message-ID validation. IDs are copied into the headers of replies, so they must be inert."""

from __future__ import annotations

import re

from engine.mime.limits import MAX_DECODE_HEADER_CHARS, MAX_MSGID_CHARS, MAX_REFERENCES

__all__ = ["clean_msg_id", "msg_id_list"]

# Scans from one "<" to the next "<" or ">": linear.
_BRACKETED = re.compile(r"<([^<>]*)>")
# Printable ASCII without angle brackets. Anything else (CR/LF, spaces, controls, non-ASCII)
# could inject a header or break SMTP when the ID is written back into a reply.
_ID_TEXT = re.compile(r"[\x21-\x3b\x3d\x3f-\x7e]+")


def _valid(inner: str) -> str | None:
    if len(inner) + 2 > MAX_MSGID_CHARS or not _ID_TEXT.fullmatch(inner):
        return None
    return f"<{inner}>"


def clean_msg_id(value: str | None) -> str | None:
    """Return the first ``<...>`` message ID in *value*, validated, or None.

    Outer whitespace is stripped. The ID must be printable ASCII without spaces, controls or
    nested brackets and at most 998 characters including the brackets. A bare ``local@domain``
    token without brackets (sent by some broken mailers) is accepted and bracketed.
    """
    if not value:
        return None
    value = value.strip()[:MAX_DECODE_HEADER_CHARS]
    match = _BRACKETED.search(value)
    if match is not None:
        return _valid(match.group(1))
    if "@" in value:
        return _valid(value)
    return None


def msg_id_list(value: str | None, limit: int = MAX_REFERENCES) -> tuple[str, ...]:
    """All valid bracketed IDs in a References/In-Reply-To value, bounded to *limit*.

    When trimming, the first ID (the thread root) and the most recent ones are kept, as RFC 5322
    section 3.6.4 recommends.
    """
    if not value or limit <= 0:
        return ()
    ids: list[str] = []
    for match in _BRACKETED.finditer(value):
        cleaned = _valid(match.group(1))
        if cleaned is not None:
            ids.append(cleaned)
    if len(ids) > limit:
        ids = [ids[0], *ids[len(ids) - limit + 1 :]]
    return tuple(ids)
