"""The message list pane: a virtual list over a listing of any size.

Like Toolong's log view, it is a ScrollView on Textual's Line API: its height is the
listing's row count, and it renders only the lines on screen from a small cache of pages
that a RowSource fills on demand, so 100,000 rows cost what 200 do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from rich.style import Style
from textual import events
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from engine.models import MessageSummary
from tui import keymap
from tui.widgets.message_row import Columns, RowStyles, placeholder_row, render_row
from tui.widgets.page_cache import PageCache

PAGE_SIZE = 200
CACHED_PAGES = 6


class RowSource(Protocol):
    """Where the list's rows come from: one listing, counted and read by offset."""

    async def count(self) -> int: ...

    async def fetch(self, offset: int, limit: int) -> list[MessageSummary]: ...

    async def position(self, message_id: int) -> int | None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MessageList(ScrollView, can_focus=True):
    """One line per message (or per thread), newest first, with a cursor."""

    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--unread",
        "message-list--marks",
        "message-list--badge",
        "message-list--placeholder",
        "message-list--marked",
    }

    DEFAULT_CSS = """
    MessageList {
        background: $surface;
        overflow-x: hidden;
        overflow-y: auto;
        scrollbar-size-vertical: 1;
        & > .message-list--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .message-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .message-list--unread {
            text-style: bold;
        }
        & > .message-list--marks {
            color: $text-warning;
        }
        & > .message-list--badge {
            color: $text-secondary;
        }
        & > .message-list--placeholder {
            color: $text-disabled;
        }
        & > .message-list--marked {
            background: $accent 35%;
            text-style: underline;
        }
    }
    """

    BINDINGS = [
        keymap.binding("list.down", "cursor_down", show=False),
        keymap.binding("list.up", "cursor_up", show=False),
        keymap.binding("list.top", "cursor_top", show=False),
        keymap.binding("list.bottom", "cursor_bottom", show=False),
        keymap.binding("list.half_down", "half_page_down", show=False),
        keymap.binding("list.half_up", "half_page_up", show=False),
        keymap.binding("list.open", "open"),
        keymap.binding("list.mark", "toggle_mark", show=False),
    ]

    class Highlighted(Message):
        """The cursor rests on a message."""

        def __init__(self, message_id: int, row: int) -> None:
            super().__init__()
            self.message_id = message_id
            self.row = row

    class MarksChanged(Message):
        """Messages were marked or unmarked (triage actions act on the marked ones)."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    class Opened(Message):
        """The agent pressed Enter on a message."""

        def __init__(self, message_id: int) -> None:
            super().__init__()
            self.message_id = message_id

    def __init__(
        self, *, id: str | None = None, page_size: int | None = None,
        on_loaded: Callable[[int], None] | None = None,
    ) -> None:
        """`on_loaded(total)` is called when a listing is shown, or shown again
        after the store changed, before the new rows are painted: what it changes on
        screen (a status line) goes out in the same frame as the rows. A message would
        be handled a frame later."""
        super().__init__(id=id)
        self._on_loaded = on_loaded
        self.total = 0
        self.cursor_row = 0
        self._badges: dict[int, str] = {}
        self._badge_width = 0
        self._styles: _Styles | None = None
        # Rendered rows, keyed by what they show: a row is drawn again only when its
        # message, the cursor, the width or the day changes.
        self._strips: LRUCache[tuple[object, ...], Strip] = LRUCache(512)
        self.clock: Callable[[], datetime] = _utc_now
        self._cache = PageCache(page_size or PAGE_SIZE, CACHED_PAGES)
        self._source: RowSource | None = None
        self._pending_source: RowSource | None = None
        self._reload_wanted = False
        self._generation = 0
        self._in_flight: set[int] = set()
        self._announce_pending = False
        self._announced: int | None = None
        # Marked messages by id, in marking order; they stay marked across reloads.
        self._marked: dict[int, MessageSummary] = {}

    # What the list holds

    @property
    def badges(self) -> dict[int, str]:
        """Short account names by account id, shown on each row."""
        return self._badges

    @badges.setter
    def badges(self, badges: dict[int, str]) -> None:
        if badges != self._badges:
            self._badges = dict(badges)
            self._badge_width = max((len(b) for b in badges.values()), default=0)
            self._strips.clear()
            self.refresh()

    @property
    def page_size(self) -> int:
        return self._cache.page_size

    @property
    def loaded_pages(self) -> list[int]:
        """Page numbers in the cache (for tests and benchmarks)."""
        return self._cache.pages

    @property
    def selected(self) -> MessageSummary | None:
        """The message under the cursor, if its page is loaded."""
        return self._cache.get(self.cursor_row) if self.total else None

    def message_at(self, row: int) -> MessageSummary | None:
        return self._cache.get(row)

    @property
    def marked(self) -> list[MessageSummary]:
        """The marked messages, in the order they were marked."""
        return list(self._marked.values())

    def action_toggle_mark(self) -> None:
        """Mark or unmark the message under the cursor, then step down (aerc's v)."""
        message = self.selected
        if message is None:
            return
        if self._marked.pop(message.id, None) is None:
            self._marked[message.id] = message
        self.refresh_line(self.cursor_row)
        self.post_message(self.MarksChanged(len(self._marked)))
        self.move_cursor(self.cursor_row + 1)

    def clear_marks(self) -> None:
        if self._marked:
            self._marked.clear()
            self.refresh()
            self.post_message(self.MarksChanged(0))

    def update_message(self, message: MessageSummary) -> None:
        """Show a changed message (read, flagged) in place, without reloading."""
        for row in self._cache.replace(message):
            self.refresh_line(row)

    # Loading

    def show(self, source: RowSource, *, select: int | None = None) -> None:
        """List `source` from the top, or around message `select` when it is listed."""
        self._pending_source = source
        self.run_worker(self._load(source, select, keep=False), group="message-list",
                        exclusive=True, exit_on_error=False)

    def reload(self) -> None:
        """Read the listing again after the store changed, keeping the scroll offset and
        the selected message. Skipped while a new listing is still loading."""
        if self._pending_source is not None:
            self._reload_wanted = True
            return
        if self._source is None:
            return
        self.run_worker(self._load(self._source, None, keep=True), group="message-list",
                        exclusive=True, exit_on_error=False)

    async def _load(self, source: RowSource, select: int | None, *, keep: bool) -> None:
        try:
            await self._load_pages(source, select, keep=keep)
        finally:
            if self._pending_source is source:
                self._pending_source = None
        if self._reload_wanted:
            # The store changed while this listing loaded: read it once more.
            self._reload_wanted = False
            self.reload()

    async def _load_pages(self, source: RowSource, select: int | None, *, keep: bool) -> None:
        cursor_before = self.cursor_row
        selected_before = self.selected
        total = await source.count()
        anchor = selected_before.id if keep and selected_before else select
        found = await source.position(anchor) if anchor is not None and total else None
        height = self._viewport_height()
        if keep:
            cursor = found if found is not None else cursor_before
            top = round(self.scroll_y)
        else:
            cursor = found or 0
            top = 0 if cursor < height else cursor - height // 2
        fetched: dict[int, list[MessageSummary]] = {}
        while True:
            # The agent may move while rows are read: keep that move.
            moved = self.cursor_row - cursor_before if keep else 0
            final = _clamp(cursor + moved, total)
            first = _fit_top(top, final, height, total)
            wanted = self._pages_for(first, height, final, total)
            missing = [page for page in wanted if page not in fetched]
            if not missing:
                break
            for page in missing:
                fetched[page] = await source.fetch(page * self.page_size, self.page_size)
        before = self._visible_rows()
        self._generation += 1
        self._in_flight = set()
        self._cache.clear()
        for page in wanted:
            self._cache.put(page, fetched[page])
        self._source = source
        changed = (total != self.total or final != self.cursor_row
                   or first != round(self.scroll_y))
        self.total = total
        self.cursor_row = final
        self.virtual_size = Size(0, total)
        self.scroll_to(y=first, animate=False, force=True)
        if not keep or changed or self._visible_rows() != before:
            self.refresh()
        if self._on_loaded is not None:
            self._on_loaded(total)
        self._announce(force=not keep)
        if not keep:
            self._ensure_pages()

    def _pages_for(self, top: int, height: int, cursor: int, total: int) -> list[int]:
        if total == 0:
            return []
        last = min(total - 1, top + height - 1)
        pages = {self._cache.page_of(cursor)}
        pages.update(range(self._cache.page_of(top), self._cache.page_of(last) + 1))
        return sorted(pages)

    def _ensure_pages(self) -> None:
        """Fetch the pages on screen, a screen's worth either side, and the cursor's."""
        source = self._source
        if source is None or self.total == 0:
            return
        height = self._viewport_height()
        top = round(self.scroll_y)
        first = max(0, top - height)
        last = min(self.total - 1, top + 2 * height)
        wanted = [self._cache.page_of(self.cursor_row)]
        wanted += range(self._cache.page_of(first), self._cache.page_of(last) + 1)
        for page in self._cache.missing(dict.fromkeys(wanted)):
            if page in self._in_flight:
                continue
            self._in_flight.add(page)
            self.run_worker(self._fetch_page(source, self._generation, page),
                            group="message-pages", exit_on_error=False)

    async def _fetch_page(self, source: RowSource, generation: int, page: int) -> None:
        try:
            rows = await source.fetch(page * self.page_size, self.page_size)
        finally:
            if generation == self._generation:
                self._in_flight.discard(page)
        if generation != self._generation:
            return
        self._cache.put(page, rows)
        self.refresh_lines(page * self.page_size, len(rows))
        if self._announce_pending:
            self._announce()

    def _visible_rows(self) -> list[MessageSummary | None]:
        top = round(self.scroll_y)
        return [self._cache.get(row)
                for row in range(top, min(self.total, top + self._viewport_height()))]

    def _viewport_height(self) -> int:
        return max(1, self.scrollable_content_region.height)

    # The cursor

    def move_cursor(self, row: int, *, scroll_by: int = 0) -> None:
        """Put the cursor on `row` (clamped), scrolling by `scroll_by` rows and then as
        little as needed to show it."""
        if self.total == 0:
            return
        old = self.cursor_row
        self.cursor_row = _clamp(row, self.total)
        height = self._viewport_height()
        top = _fit_top(round(self.scroll_y) + scroll_by, self.cursor_row, height, self.total)
        if top != round(self.scroll_y):
            self.scroll_to(y=top, animate=False, force=True)
        else:
            self.refresh_line(old)
            self.refresh_line(self.cursor_row)
        self._ensure_pages()
        self._announce()

    def _announce(self, *, force: bool = False) -> None:
        message = self.selected
        if message is None:
            self._announce_pending = self.total > 0
            if not self.total:
                self._announced = None
            return
        self._announce_pending = False
        if force or message.id != self._announced:
            self._announced = message.id
            self.post_message(self.Highlighted(message.id, self.cursor_row))

    def action_cursor_down(self) -> None:
        self.move_cursor(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self.move_cursor(self.cursor_row - 1)

    def action_cursor_top(self) -> None:
        self.move_cursor(0)

    def action_cursor_bottom(self) -> None:
        self.move_cursor(self.total - 1)

    def action_half_page_down(self) -> None:
        half = max(1, self._viewport_height() // 2)
        self.move_cursor(self.cursor_row + half, scroll_by=half)

    def action_half_page_up(self) -> None:
        half = max(1, self._viewport_height() // 2)
        self.move_cursor(self.cursor_row - half, scroll_by=-half)

    def action_page_down(self) -> None:
        page = self._viewport_height()
        self.move_cursor(self.cursor_row + page, scroll_by=page)

    def action_page_up(self) -> None:
        page = self._viewport_height()
        self.move_cursor(self.cursor_row - page, scroll_by=-page)

    def action_open(self) -> None:
        message = self.selected
        if message is not None:
            self.post_message(self.Opened(message.id))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        self.move_cursor(round(self.scroll_y) + offset.y)
        if event.chain > 1:
            self.action_open()

    # Drawing

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._ensure_pages()

    def on_resize(self) -> None:
        self._ensure_pages()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None
        self._strips.clear()

    def _row_styles(self) -> _Styles:
        if self._styles is None:
            base = self.rich_style
            self._styles = _Styles(
                row=RowStyles(
                    base=base,
                    unread=self.get_component_rich_style("message-list--unread", partial=True),
                    marks=self.get_component_rich_style("message-list--marks", partial=True),
                    badge=self.get_component_rich_style("message-list--badge", partial=True),
                ),
                marked=self.get_component_rich_style("message-list--marked", partial=True),
                cursor=self.get_component_rich_style("message-list--cursor"),
                placeholder=base + self.get_component_rich_style("message-list--placeholder"),
            )
        return self._styles

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        row = round(self.scroll_y) + y
        styles = self._row_styles()
        if row >= self.total:
            return Strip.blank(width, styles.row.base)
        message = self._cache.get(row)
        now = self.clock()
        is_cursor = row == self.cursor_row
        is_marked = message is not None and message.id in self._marked
        key = (message, is_cursor, is_marked, width, now.date())
        if message is not None and (strip := self._strips.get(key)) is not None:
            return strip
        if message is None:
            text = placeholder_row(width, styles.placeholder)
        else:
            columns = Columns.fit(width, self._badge_width)
            text = render_row(message, width=width, columns=columns,
                              badge=self._badges.get(message.account_id, ""),
                              styles=styles.row, now=now)
        if is_marked:
            text.stylize(styles.marked)
        if is_cursor:
            text.stylize(styles.cursor)
        strip = Strip(text.render(self.app.console), width).crop_extend(0, width,
                                                                       styles.row.base)
        if message is not None:
            self._strips[key] = strip
        return strip


@dataclass(frozen=True)
class _Styles:
    row: RowStyles
    marked: Style
    cursor: Style
    placeholder: Style


def _clamp(row: int, total: int) -> int:
    return max(0, min(row, total - 1)) if total else 0


def _fit_top(top: int, cursor: int, height: int, total: int) -> int:
    """The first row on screen: `top`, moved as little as needed to show the cursor and
    to stay within the listing."""
    if cursor < top:
        top = cursor
    elif cursor >= top + height:
        top = cursor - height + 1
    return max(0, min(top, max(0, total - height)))

