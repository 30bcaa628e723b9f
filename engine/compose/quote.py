"""The text a reply or forward starts with.

Replies are top-posted, as support teams write them: the cursor's empty line first, then the
signature, then the attribution line and the quoted original. The attribution is fixed
English with the time in UTC (``On 1 Oct 2026 at 09:00 UTC, Jane Doe <jane@x.example>
wrote:``), so the same message always gives the same draft, whatever the machine's locale.
"""

from __future__ import annotations

from datetime import UTC, datetime

from engine.compose.headers import clean_header_text
from engine.compose.models import Original

__all__ = [
    "FORWARD_MARKER",
    "attribution",
    "forward_body",
    "quoted",
    "reply_body",
    "signature_block",
]

FORWARD_MARKER = "---------- Forwarded message ----------"
_SIGNATURE_SEPARATOR = "-- "
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _lines(text: str) -> list[str]:
    """The lines of *text* (any line ends), without blank lines at either end."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    while lines and not lines[0].strip():
        lines.pop(0)
    return lines


def _when(iso: str) -> str | None:
    """``1 Oct 2026 at 09:00 UTC`` from an ISO 8601 time; None when it is not one."""
    try:
        moment = datetime.fromisoformat(iso.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return f"{moment.day} {_MONTHS[moment.month - 1]} {moment.year} at {moment:%H:%M} UTC"


def _sender(original: Original) -> str:
    name = clean_header_text(original.from_name, limit=200)
    addr = clean_header_text(original.from_addr, limit=254)
    if name and addr and name != addr:
        return f"{name} <{addr}>"
    return addr or name or "Unknown sender"


def attribution(original: Original) -> str:
    """The line above the quote: ``On 1 Oct 2026 at 09:00 UTC, Jane Doe <jane@x.example>
    wrote:``; without a readable date, ``Jane Doe <jane@x.example> wrote:``."""
    when = _when(original.date)
    sender = _sender(original)
    return f"On {when}, {sender} wrote:" if when else f"{sender} wrote:"


def quoted(text: str) -> str:
    """*text* quoted: ``"> "`` before each line, ``">"`` before lines already quoted (so
    ``"> x"`` becomes ``">> x"``), and ``">"`` alone for blank lines. Blank lines at either
    end are dropped; "" for empty text."""
    out = []
    for line in _lines(text):
        if line.startswith(">"):
            out.append(">" + line)
        elif not line.strip():
            out.append(">")
        else:
            out.append("> " + line)
    return "\n".join(out)


def signature_block(signature: str) -> str:
    """``"-- \\n"`` and the signature, or "" without one. A signature already starting with
    its own separator line keeps just one."""
    lines = _lines(signature)
    if lines and lines[0].rstrip() == "--":
        lines = _lines("\n".join(lines[1:]))
    if not lines:
        return ""
    return "\n".join([_SIGNATURE_SEPARATOR, *lines])


def _top(signature: str) -> str:
    """The top of a draft: an empty line for the cursor, a gap, and the signature."""
    block = signature_block(signature)
    return "\n\n" + (block + "\n\n" if block else "")


def reply_body(original: Original, signature: str = "") -> str:
    """The body a reply starts with, top-posted: an empty line for the person's words, the
    signature, then the attribution and the quoted original text."""
    quote = quoted(original.text)
    return _top(signature) + attribution(original) + "\n" + (quote + "\n" if quote else "")


def forward_body(original: Original, signature: str = "") -> str:
    """The body a forward starts with: an empty line for the person's words, the signature,
    then a "Forwarded message" block with the original's From, Date, Subject, To and Cc and
    its text, unquoted."""
    lines = [FORWARD_MARKER, f"From: {_sender(original)}"]
    when = _when(original.date) or clean_header_text(original.date, limit=100)
    if when:
        lines.append(f"Date: {when}")
    lines.append(f"Subject: {clean_header_text(original.subject)}")
    for label, mailboxes in (("To", original.to), ("Cc", original.cc)):
        shown = [clean_header_text(mailbox) for mailbox in mailboxes]
        if any(shown):
            lines.append(f"{label}: {', '.join(m for m in shown if m)}")
    text = "\n".join(_lines(original.text))
    return _top(signature) + "\n".join(lines) + "\n\n" + (text + "\n" if text else "")
