"""How one message becomes one line of the message list: columns in mutt's order (marks,
date, sender, account badge, subject), sized to the width available."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from rich.style import Style
from rich.text import Text

from engine.models import MessageSummary

MARKS_WIDTH = 4
DATE_WIDTH = 10
COMPACT_DATE_WIDTH = 7
BADGE_MAX = 10
# A row is one line: any line break or tab left in a field becomes a space.
_FLAT = str.maketrans({"\n": " ", "\r": " ", "\t": " ", "\v": " ", "\f": " "})


def short_date(iso: str, now: datetime | None = None, *, compact: bool = False) -> str:
    """'14:05' for today, 'Nov 03' for this year, '2024-11-03' before ('2024-11' when
    `compact`)."""
    try:
        when = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).astimezone()
    except ValueError:
        return iso[:10]
    now = (now or datetime.now(UTC)).astimezone()
    if when.date() == now.date():
        return when.strftime("%H:%M")
    if when.year == now.year:
        return when.strftime("%b %d")
    return when.strftime("%Y-%m" if compact else "%Y-%m-%d")


def marks(message: MessageSummary) -> str:
    """mutt-style flags: N unread, ! flagged, r replied, @ attachment, ? unknown author."""
    return "".join(
        (
            "N" if not message.seen else " ",
            "!" if message.flagged else ("r" if message.answered else " "),
            "@" if message.has_attachments else " ",
            "?" if message.customer_id is None else " ",
        )
    )


def subject_text(message: MessageSummary) -> str:
    """The subject, led by the number of messages when the row stands for a thread."""
    subject = message.subject or "(no subject)"
    return f"({message.thread_count}) {subject}" if message.thread_count > 1 else subject


@dataclass(frozen=True)
class Columns:
    """Cell widths of one row; a width of 0 hides that column."""

    date: int
    sender: int
    badge: int

    @classmethod
    def fit(cls, width: int, badge_width: int) -> Columns:
        """Columns for a list `width` cells wide; the subject takes what is left. A narrow
        list shortens old dates and the sender, then drops the badge, then the date."""
        badge = min(badge_width, BADGE_MAX)
        if width >= 100:
            return cls(DATE_WIDTH, 24, badge)
        if width >= 60:
            return cls(DATE_WIDTH, 16, min(badge, 8))
        if width >= 50:
            return cls(COMPACT_DATE_WIDTH, 13, min(badge, 7))
        if width >= 40:
            return cls(COMPACT_DATE_WIDTH, 12, 0)
        return cls(0, 12, 0)


@dataclass(frozen=True)
class RowStyles:
    """Rich styles of the parts of a row, taken from the widget's component classes."""

    base: Style
    unread: Style
    marks: Style
    badge: Style


def _cell(text: str, width: int) -> Text:
    cell = Text(text.translate(_FLAT), no_wrap=True, overflow="ellipsis")
    cell.truncate(width, overflow="ellipsis", pad=True)
    return cell


def render_row(
    message: MessageSummary,
    *,
    width: int,
    columns: Columns,
    badge: str,
    styles: RowStyles,
    now: datetime,
) -> Text:
    """One list line, exactly `width` cells. Every value is plain Text, never markup:
    names and subjects come from strangers."""
    row = Text(no_wrap=True, overflow="ellipsis", style=styles.base)
    weight = styles.unread if not message.seen else Style()
    row.append_text(_cell(marks(message), MARKS_WIDTH))
    row.stylize(styles.marks, 0, MARKS_WIDTH)
    row.append(" ")
    if columns.date:
        compact = columns.date < DATE_WIDTH
        row.append_text(_cell(short_date(message.date, now, compact=compact), columns.date))
        row.append(" ")
    sender = _cell(message.from_name or message.from_addr or "(no sender)", columns.sender)
    sender.stylize(weight)
    row.append_text(sender)
    row.append(" ")
    if columns.badge:
        start = len(row)
        row.append_text(_cell(badge, columns.badge))
        row.stylize(styles.badge, start, len(row))
        row.append(" ")
    subject = Text(subject_text(message).translate(_FLAT), no_wrap=True, overflow="ellipsis")
    subject.stylize(weight)
    row.append_text(subject)
    row.truncate(width, overflow="ellipsis", pad=True)
    return row


def placeholder_row(width: int, style: Style) -> Text:
    """What a row shows until its page arrives from the store."""
    row = Text(" " * MARKS_WIDTH + " …", style=style, no_wrap=True)
    row.truncate(width, pad=True)
    return row
