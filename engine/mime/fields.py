"""Typed, sanitised values read from a header block; shared by envelope and body.

Each reader may raise on some pathological value; callers guard every field separately so one
bad header never costs the others.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from engine.mime.addresses import Address, parse_addresses
from engine.mime.dates import utc_moment
from engine.mime.headers import HeaderBlock, decode_words
from engine.mime.limits import MAX_DISPLAY_HEADER_CHARS, MAX_ERROR_CHARS, MAX_SUBJECT_CHARS
from engine.sanitize import sanitize_line

__all__ = [
    "describe_error",
    "display_headers",
    "read_addresses",
    "read_date",
    "read_subject",
]

_MAX_DATE_CHARS = 200
# The form nearly every mailer writes: "Mon, 03 Aug 2026 09:40:44 -0300". A four-digit
# year from 100 on, two-digit hours, a numeric zone under a day: anything else (two-digit
# years, zone names, comments) goes to the stdlib's parser.
_PLAIN_DATE = re.compile(
    r"(?:[A-Za-z]{3}, ?)?(\d{1,2}) ([A-Za-z]{3}) ([1-9]\d{3}) (\d\d):(\d\d):(\d\d) "
    r"([+-])([01]\d|2[0-3])([0-5]\d)"
)
_ADDRESS_FIELDS = ("From", "To", "Cc", "Reply-To")


def read_subject(block: HeaderBlock) -> str:
    """Subject decoded (RFC 2047), on one line, sanitised, bounded; "" if absent."""
    value = block.get("subject")
    if value is None:
        return ""
    return sanitize_line(decode_words(value))[:MAX_SUBJECT_CHARS]


def read_addresses(block: HeaderBlock, name: str) -> tuple[Address, ...]:
    """Every address in every *name* field."""
    values = block.get_all(name)
    return parse_addresses(values) if values else ()


def read_date(block: HeaderBlock) -> datetime | None:
    """Date as an aware UTC datetime; None if missing or unparseable. A date without zone
    (``-0000``) is taken as UTC."""
    value = block.get("date")
    if not value:
        return None
    try:
        plain = _PLAIN_DATE.fullmatch(value)
        moment = utc_moment(plain.groups()) if plain else None
        if moment is not None:
            return moment
        parsed = parsedate_to_datetime(value[:_MAX_DATE_CHARS])
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


def _display_value(block: HeaderBlock, name: str) -> str:
    if name in _ADDRESS_FIELDS:
        addresses = read_addresses(block, name)
        if addresses:
            return ", ".join(a.display() for a in addresses)[:MAX_DISPLAY_HEADER_CHARS]
    if name == "Subject":
        return read_subject(block)
    value = " ".join(block.get_all(name))[:MAX_DISPLAY_HEADER_CHARS]
    return sanitize_line(decode_words(value))[:MAX_DISPLAY_HEADER_CHARS]


def display_headers(
    block: HeaderBlock, names: tuple[str, ...], errors: list[str]
) -> tuple[tuple[str, str], ...]:
    """``(name, value)`` for each of *names* present in *block*, decoded and sanitised.

    A field that fails to decode is skipped and the reason appended to *errors*.
    """
    shown: list[tuple[str, str]] = []
    for name in names:
        if not block.has(name):
            continue
        try:
            shown.append((name, _display_value(block, name)))
        except Exception as exc:
            errors.append(f"{name}: {describe_error(exc)}")
    return tuple(shown)


def describe_error(exc: BaseException) -> str:
    """A one-line, sanitised description of *exc* (its message may quote hostile input)."""
    try:
        message = str(exc)
    except Exception:  # an exception whose __str__ fails must not escape the never-raise API
        message = ""
    return sanitize_line(f"{type(exc).__name__}: {message}")[:MAX_ERROR_CHARS]
