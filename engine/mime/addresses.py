"""Mail addresses as shown to agents, parsed from untrusted header values."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from email.utils import getaddresses
from typing import NamedTuple

from engine.mime.headers import decode_words
from engine.mime.limits import MAX_ADDRESS_PART_CHARS, MAX_ADDRESSES, MAX_DECODE_HEADER_CHARS
from engine.sanitize import sanitize_line

__all__ = ["Address", "parse_addresses"]


class Address(NamedTuple):
    """One mailbox. Both fields are decoded and single-line sanitised by the parsers.
    A tuple: sync makes several for every message."""

    name: str
    """Display name, "" if none."""
    addr: str
    """The address as written (case preserved), "" if none."""

    def display(self) -> str:
        """``Name <addr>``, or just whichever of the two is present."""
        if self.name and self.addr:
            return f"{self.name} <{self.addr}>"
        return self.addr or self.name


def _clean(text: str) -> str:
    return sanitize_line(text)[:MAX_ADDRESS_PART_CHARS]


# "Name <local@domain>" or "local@domain" with nothing getaddresses would treat specially
# (quotes, comments, groups, routes, domain literals, escapes). Covers nearly all real headers
# and is several times faster than getaddresses, which is a character loop in Python.
_SPECIALS = '<>"(),;:\\@[]'
# Possessive runs over classes that exclude the next token's first character: linear time.
_ATOMS = rf"[^{re.escape(_SPECIALS)}]++"
_ADDR_SPEC = rf"[^\s{re.escape(_SPECIALS)}]++@[^\s{re.escape(_SPECIALS)}]++"
_SIMPLE = re.compile(rf"\s*+(?:({_ATOMS})?<\s*+({_ADDR_SPEC})\s*+>|({_ADDR_SPEC}))\s*+")


def _simple_pairs(value: str) -> list[tuple[str, str]] | None:
    """getaddresses() for the simple forms, or None when the value needs the full parser."""
    pairs = []
    for piece in value.split(","):
        if not piece or piece.isspace():
            return None  # getaddresses reports empty entries; let it
        match = _SIMPLE.fullmatch(piece)
        if match is None:
            return None
        name, addr, bare = match.groups()
        pairs.append(("", bare) if bare else ((name or "").strip(), addr))
    return pairs


def _parse_value(value: str) -> list[Address]:
    value = value[:MAX_DECODE_HEADER_CHARS]
    try:
        pairs = _simple_pairs(value) or getaddresses([value])
        # Some mailers encode the whole "Name <addr>" as one encoded word; parse it decoded.
        if "=?" in value and any("=?" in addr for _, addr in pairs):
            decoded = decode_words(value)
            if decoded != value:
                pairs = getaddresses([decoded])
    except Exception:
        # getaddresses recurses on nested comments/groups and can fail; show the text instead.
        return [Address(name=_clean(decode_words(value)), addr="")]
    found: list[Address] = []
    for name, addr in pairs:
        address = Address(_clean(decode_words(name)) if name else "", _clean(addr))
        if address.name or address.addr:
            found.append(address)
    return found


# A mailbox's senders and recipients come back message after message: short values are
# parsed once per process. What a value parses to depends on the value alone.
_REMEMBERED_CHARS = 256


@functools.lru_cache(maxsize=4096)
def _parse_remembered(value: str) -> tuple[Address, ...]:
    return tuple(_parse_value(value))


def parse_addresses(values: Iterable[str]) -> tuple[Address, ...]:
    """Parse address header values (e.g. every ``To`` field) into sanitised addresses.

    Never raises; a value that cannot be parsed becomes one name-only Address holding its text.
    At most MAX_ADDRESSES are returned.
    """
    found: list[Address] = []
    for value in values:
        found.extend(_parse_remembered(value) if len(value) <= _REMEMBERED_CHARS
                     else _parse_value(value))
        if len(found) >= MAX_ADDRESSES:
            break
    return tuple(found[:MAX_ADDRESSES])
