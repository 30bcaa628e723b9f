"""The message list pane: one row per message, newest first, loaded a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from engine.models import MessageSummary


def short_date(iso: str, now: datetime | None = None) -> str:
    """'14:05' for today, 'Nov 03' for this year, '2024-11-03' before."""
    try:
        when = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).astimezone()
    except ValueError:
        return iso[:10]
    now = (now or datetime.now(UTC)).astimezone()
    if when.date() == now.date():
        return when.strftime("%H:%M")
    if when.year == now.year:
        return when.strftime("%b %d")
    return when.strftime("%Y-%m-%d")


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


class MessageList(DataTable[Text]):
    """Rows of MessageSummary. Cells are Text objects: DataTable would parse plain
    strings as markup, and subjects and names come from strangers."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="list.down"),
        Binding("k", "cursor_up", "Up", show=False, id="list.up"),
        Binding("g", "scroll_top", "Top", show=False, id="list.top"),
        Binding("G", "scroll_bottom", "Bottom", show=False, id="list.bottom"),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False, id="list.half_down"),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False, id="list.half_up"),
        Binding("enter", "select_cursor", "Open", id="list.open"),
    ]

    class Highlighted(Message):
        """The cursor rests on a message."""

        def __init__(self, message_id: int, row: int) -> None:
            super().__init__()
            self.message_id = message_id
            self.row = row

    class Opened(Message):
        """The agent pressed Enter on a message."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.total = 0

    def on_mount(self) -> None:
        # mutt's index order: the subject comes last, so a narrow terminal cuts only it.
        self.add_column("", key="marks", width=4)
        self.add_column("Date", key="date", width=10)
        self.add_column("From", key="from", width=20)
        self.add_column("Subject", key="subject")

    def show(self, messages: list[MessageSummary], total: int) -> None:
        """Replace the rows."""
        self.clear()
        self.total = total
        self.append(messages)

    def append(self, messages: list[MessageSummary]) -> None:
        """Add a further page of rows."""
        for m in messages:
            style = "bold" if not m.seen else ""
            sender = m.from_name or m.from_addr or "(no sender)"
            self.add_row(
                Text(marks(m)),
                Text(short_date(m.date)),
                Text(sender, style=style, overflow="ellipsis", no_wrap=True),
                Text(m.subject or "(no subject)", style=style, overflow="ellipsis", no_wrap=True),
                key=str(m.id),
            )

    def action_half_page_down(self) -> None:
        self.move_cursor(row=min(self.row_count - 1, self.cursor_row + self._half_page()))

    def action_half_page_up(self) -> None:
        self.move_cursor(row=max(0, self.cursor_row - self._half_page()))

    def _half_page(self) -> int:
        return max(1, self.scrollable_content_region.height // 2)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Highlighted(int(event.row_key.value), event.cursor_row))

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            self.post_message(self.Opened(int(event.row_key.value)))
