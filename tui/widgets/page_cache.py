"""A bounded cache of list pages: the few pages of rows around what is on screen."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from engine.models import MessageSummary


class PageCache:
    """Pages of `page_size` rows keyed by page number, least recently used evicted first.

    Only whole pages are stored, so a row is either known or its page must be fetched.
    """

    def __init__(self, page_size: int, capacity: int) -> None:
        if page_size < 1 or capacity < 1:
            raise ValueError("page_size and capacity must be positive")
        self.page_size = page_size
        self.capacity = capacity
        self._pages: OrderedDict[int, list[MessageSummary]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def pages(self) -> list[int]:
        """Page numbers held, least recently used first."""
        return list(self._pages)

    def page_of(self, row: int) -> int:
        return row // self.page_size

    def has_page(self, page: int) -> bool:
        return page in self._pages

    def get(self, row: int) -> MessageSummary | None:
        """The message at `row`, or None when its page is not loaded (or it is past the
        end of a short last page)."""
        if row < 0:
            return None
        page, index = divmod(row, self.page_size)
        rows = self._pages.get(page)
        if rows is None:
            return None
        self._pages.move_to_end(page)
        return rows[index] if index < len(rows) else None

    def put(self, page: int, rows: list[MessageSummary]) -> None:
        """Store a page, evicting the least recently used pages beyond capacity."""
        self._pages[page] = list(rows)
        self._pages.move_to_end(page)
        while len(self._pages) > self.capacity:
            self._pages.popitem(last=False)

    def clear(self) -> None:
        self._pages.clear()

    def row_of(self, message_id: int) -> int | None:
        """The row of a loaded message, if any page holds it."""
        for page, rows in self._pages.items():
            for index, message in enumerate(rows):
                if message.id == message_id:
                    return page * self.page_size + index
        return None

    def replace(self, message: MessageSummary) -> list[int]:
        """Put a changed copy of a loaded message in place; return the rows it sits on."""
        changed: list[int] = []
        for page, rows in self._pages.items():
            for index, old in enumerate(rows):
                if old.id == message.id:
                    rows[index] = message
                    changed.append(page * self.page_size + index)
        return changed

    def missing(self, pages: Iterable[int]) -> list[int]:
        """Those of `pages` not held, in the order given."""
        return [page for page in pages if page not in self._pages]
