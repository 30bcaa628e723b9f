"""The TUI benchmark's peer: Textual's stock DataTable holding the unified inbox whole,
as a simple console would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable

from benchmarks.tui_frames import FrameProbe, ListView, record_frame
from engine.listing import Listing
from engine.models import Agent, MessageSummary
from engine.service import MAX_PAGE, Service
from tui.widgets.message_row import marks, short_date, subject_text

UNIFIED_INBOX = Listing(scope="unified:inbox")


class PeerTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", show=False),
        Binding("k", "cursor_up", show=False),
        Binding("g", "scroll_top", show=False),
        Binding("G", "scroll_bottom", show=False),
        Binding("ctrl+d", "half_page_down", show=False),
    ]

    def rows_in_view(self) -> int:
        return max(1, self.scrollable_content_region.height - self.header_height)

    def action_half_page_down(self) -> None:
        self.move_cursor(row=self.cursor_row + max(1, self.rows_in_view() // 2))


def peer_cells(message: MessageSummary, badges: dict[int, str], now: datetime) -> list[Text]:
    return [
        Text(marks(message)),
        Text(short_date(message.date, now)),
        Text(message.from_name or message.from_addr or "(no sender)"),
        Text(badges.get(message.account_id, "")),
        Text(subject_text(message)),
    ]


async def whole_listing(service: Service, agent: Agent, listing: Listing) -> list[MessageSummary]:
    rows: list[MessageSummary] = []
    while True:
        page = await service.list_listing(agent, listing, offset=len(rows), limit=MAX_PAGE)
        rows.extend(page)
        if len(page) < MAX_PAGE:
            return rows


class PeerConsole(App[None]):
    """A simple console: the whole unified inbox in a DataTable."""

    def __init__(self, probe: FrameProbe, service: Service, agent: Agent) -> None:
        super().__init__()
        self.probe = probe
        self.service = service
        self.agent = agent
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield PeerTable(cursor_type="row")

    def on_mount(self) -> None:
        self.load_inbox()

    @work(exclusive=True)
    async def load_inbox(self) -> None:
        accounts = await self.service.list_accounts(self.agent)
        badges = {a.id: a.name for a in accounts}
        rows = await whole_listing(self.service, self.agent, UNIFIED_INBOX)
        now = datetime.now(UTC)
        table = self.query_one(PeerTable)
        table.add_columns("", "Date", "From", "Account", "Subject")
        table.add_rows(peer_cells(m, badges, now) for m in rows)
        table.focus()
        self.loaded = True

    def _display(self, screen: Screen[Any], renderable: RenderableType | None) -> None:
        super()._display(screen, renderable)
        record_frame(self, renderable, self.probe)


def peer_view(table: PeerTable) -> ListView:
    def viewport() -> range:
        top = round(table.scroll_y)
        return range(top, min(table.row_count, top + table.rows_in_view()))

    return ListView(
        cursor=lambda: table.cursor_row,
        total=lambda: table.row_count,
        viewport=viewport,
        loaded=lambda row: 0 <= row < table.row_count,
    )


def peer_painted(app: PeerConsole) -> bool:
    if not app.loaded:
        return False
    table = app.query_one(PeerTable)
    sized = table.virtual_size.height >= table.row_count + table.header_height
    return table.row_count > 0 and sized
