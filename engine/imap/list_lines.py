"""A tolerant reader of LIST responses, for the ones imapclient's parser refuses.

A folder name may be sent as a bare astring, and an astring may hold "[" and "]" (RFC
3501: ASTRING-CHAR includes resp-specials). imapclient reads "[" in a bare word as the
start of a BODY[...] section and gives up on a name such as `[b]x[`, which a server
happily creates; the whole listing then failed, and with it every sync of the account.
This reader takes each response on its own terms: flags, a delimiter, then the name as
a quoted string, a literal, or the rest of the line.
"""

from __future__ import annotations

import re
from typing import Any

from imapclient.imap_utf7 import decode as decode_utf7

# (flags) SP ("d" / NIL) SP name: the delimiter is one (maybe escaped) character.
_HEAD = re.compile(rb'^\((?P<flags>[^)]*)\) +(?:"(?P<delim>\\.|[^"\\])"|NIL) *', re.I)
_LITERAL = re.compile(rb"^\{\d+\}$")

Listed = tuple[tuple[bytes, ...], bytes | None, str]


def read_list_responses(data: list[Any]) -> list[Listed]:
    """(flags, delimiter, name) of each LIST response in imaplib's untagged data; a
    response this reader cannot make sense of is left out rather than failing the rest."""
    found: list[Listed] = []
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            head, literal = item
            parsed = _one(bytes(head), bytes(literal))
        elif isinstance(item, bytes) and item:
            parsed = _one(item, None)
        else:
            continue
        if parsed is not None:
            found.append(parsed)
    return found


def _one(line: bytes, literal: bytes | None) -> Listed | None:
    match = _HEAD.match(line)
    if match is None:
        return None
    flags = tuple(match["flags"].split())
    delim = match["delim"]
    if delim is not None and delim.startswith(b"\\"):
        delim = delim[1:]
    rest = line[match.end():].rstrip(b"\r\n")
    if literal is not None:
        if not _LITERAL.match(rest):
            return None
        raw = literal
    elif rest.startswith(b'"'):
        if len(rest) < 2 or not rest.endswith(b'"'):
            return None
        raw = re.sub(rb"\\(.)", rb"\1", rest[1:-1])
    else:
        raw = rest
    if not raw:
        return None
    return flags, delim, _name(raw)


def _name(raw: bytes) -> str:
    """The folder name as imapclient gives it: modified UTF-7 decoded."""
    try:
        return str(decode_utf7(raw))
    except (ValueError, UnicodeError):
        return raw.decode("utf-8", "replace")
