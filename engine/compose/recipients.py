"""Who a reply goes to, and the addresses a person types into To and Cc.

Addresses travel as header-style mailboxes, ``"Jane Doe <jane@x.example>"`` or a bare
``"jane@x.example"``; two mailboxes are the same person when their addresses are equal
ignoring case.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.utils import getaddresses

from engine.compose.headers import clean_header_text
from engine.compose.models import Original

__all__ = [
    "addr_spec",
    "ascii_addr",
    "format_mailbox",
    "invalid_addresses",
    "parse_address_list",
    "reply_all",
    "reply_to_addresses",
    "split_mailbox",
]

MAX_NAME_CHARS = 200
"""A display name; keeps a quoted name within one header line."""
MAX_ADDRESS_CHARS = 254
"""RFC 5321's limit on a forward path, which holds the address."""

_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_NEEDS_QUOTES = re.compile(r'[()<>\[\]:;@\\,."]')
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f-\x9f\s]")
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DNS_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")


def _unquote(name: str) -> str:
    """A display name with its quoted-string parts unquoted."""
    return _QUOTED.sub(lambda match: _ESCAPE.sub(r"\1", match.group(1)), name).strip()


def _angle_form(mailbox: str) -> tuple[str, str] | None:
    """``(name, addr)`` of ``Name <addr>`` where the name holds no brackets outside quotes;
    None for any other shape."""
    text = mailbox.strip()
    start = text.rfind("<")
    if not text.endswith(">") or start < 0:
        return None
    name = text[:start]
    quoted = escaped = False
    for char in name:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in "<>" and not quoted:
            return None
    if quoted or ">" in text[start:-1]:
        return None
    return _unquote(name), text[start + 1 : -1].strip()


def split_mailbox(mailbox: str) -> tuple[str, str] | None:
    """``(display name, address)`` of one mailbox, as written; None unless *mailbox* holds
    exactly one mailbox with an address.

    ``Name <addr>`` is read with everything before the brackets as the name, quoted or not,
    so a name shown as ``Doe, Jane <jane@x.example>`` stays one mailbox.
    """
    angle_form = _angle_form(mailbox)
    if angle_form is not None:
        return angle_form if angle_form[1] else None
    try:
        pairs = [pair for pair in getaddresses([mailbox]) if pair[0] or pair[1]]
    except Exception:  # getaddresses recurses on nested comments and can fail
        return None
    # getaddresses mends some typing ("jane@x .example"); take only what was written.
    if len(pairs) != 1 or not pairs[0][1] or pairs[0][1] not in mailbox:
        return None
    return pairs[0]


def addr_spec(mailbox: str) -> str:
    """The address of one mailbox (``jane@x.example``); "" when it holds none."""
    parsed = split_mailbox(mailbox)
    return parsed[1] if parsed else ""


def format_mailbox(name: str, addr: str) -> str:
    """``Name <addr>`` with the name cleaned to one line and quoted where the header syntax
    needs it, or the bare address when there is no name."""
    name = clean_header_text(name, limit=MAX_NAME_CHARS)
    addr = clean_header_text(addr, limit=MAX_ADDRESS_CHARS)
    if not name or name == addr:
        return addr
    if _NEEDS_QUOTES.search(name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{addr}>"


def _unique(mailboxes: Iterable[str], skip: set[str]) -> list[str]:
    """The mailboxes re-formatted, without those whose address is in *skip* (lower-cased)
    or came earlier; *skip* is extended with the addresses kept."""
    kept: list[str] = []
    for mailbox in mailboxes:
        parsed = split_mailbox(mailbox)
        if parsed is None:
            continue
        key = parsed[1].lower()
        if key in skip:
            continue
        skip.add(key)
        kept.append(format_mailbox(*parsed))
    return kept


def reply_to_addresses(original: Original) -> tuple[str, ...]:
    """Where a reply to *original* goes: its Reply-To when it has one, else its sender."""
    reply_to = _unique(original.reply_to, set())
    if reply_to:
        return tuple(reply_to)
    if original.from_addr:
        return tuple(_unique([format_mailbox(original.from_name, original.from_addr)], set()))
    return ()


def reply_all(original: Original, own: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(to, cc)`` of a reply to everyone on *original*.

    *to* is where a reply goes (:func:`reply_to_addresses`); *cc* is the original's To and
    Cc. The agent's own addresses (*own*, the addresses of their accounts) are left out, and
    each person appears once. When that leaves *to* empty the agent wrote the original, so the
    reply goes to the original's To; should that be only the agent too, to the original's
    sender after all, so a draft never starts without a recipient.
    """
    own_keys = {addr.lower() for addr in map(addr_spec, own) if addr}
    skip = set(own_keys)
    to = _unique(reply_to_addresses(original), skip)
    if not to:
        to = _unique(original.to, skip) or list(reply_to_addresses(original))
        skip.update(addr_spec(mailbox).lower() for mailbox in to)
    cc = _unique([*original.to, *original.cc], skip)
    return tuple(to), tuple(cc)


def _split_typed(text: str) -> list[str]:
    """Split at commas and semicolons outside quotes, angle brackets and comments."""
    entries: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    angle = comment = 0
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and not comment:
            quoted = not quoted
        elif not quoted:
            if char == "<":
                angle += 1
            elif char == ">":
                angle = max(angle - 1, 0)
            elif char == "(":
                comment += 1
            elif char == ")":
                comment = max(comment - 1, 0)
            elif char in ",;" and not angle and not comment:
                entries.append("".join(current))
                current = []
                continue
        current.append(char)
    entries.append("".join(current))
    return [entry.strip() for entry in entries if entry.strip()]


def parse_address_list(text: str) -> tuple[str, ...]:
    """The mailboxes a person typed into To or Cc, separated by commas or semicolons
    (``"Doe, Jane" <jane@x.example>; bob@y.example``).

    Each is re-formatted as a mailbox; an entry that is not one valid mailbox is kept as
    typed (on one line), so :func:`invalid_addresses` can name it.
    """
    found: list[str] = []
    for entry in _split_typed(text):
        parsed = split_mailbox(entry)
        if parsed is not None and _valid_addr(parsed[1]):
            found.append(format_mailbox(*parsed))
        else:
            found.append(clean_header_text(entry))
    return tuple(found)


def ascii_addr(addr: str) -> str | None:
    """*addr* as it is written on the wire (an internationalised domain in its ASCII
    form), or None when it is not an address mail can be sent to.

    It must have one "@", a local part of RFC 5322 atoms (ASCII, no spaces or controls) and a
    domain of at least two labels, or ``localhost``.
    """
    if len(addr) > MAX_ADDRESS_CHARS or _CONTROL_OR_SPACE.search(addr) or addr.count("@") != 1:
        return None
    local, _, domain = addr.partition("@")
    if not _LOCAL_PART.fullmatch(local) or "=?" in local:
        return None
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = domain.split(".")
    if domain.lower() != "localhost" and len(labels) < 2:
        return None
    if not all(_DNS_LABEL.fullmatch(label) for label in labels):
        return None
    ascii_form = f"{local}@{domain}"
    return ascii_form if len(ascii_form) <= MAX_ADDRESS_CHARS else None


def _valid_addr(addr: str) -> bool:
    return ascii_addr(addr) is not None


def invalid_addresses(addresses: Iterable[str]) -> list[str]:
    """The entries of *addresses* mail cannot be sent to, as given, to name in a refusal.

    Each entry must be one mailbox whose address has exactly one "@", a non-empty local part
    and a domain with a dot (or ``localhost``), without spaces or control characters.
    """
    bad: list[str] = []
    for mailbox in addresses:
        parsed = split_mailbox(mailbox)
        if parsed is None or _CONTROLS.search(mailbox) or not _valid_addr(parsed[1]):
            bad.append(mailbox)
    return bad
