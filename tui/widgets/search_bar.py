"""The search bar: one line where the agent types a query in the search language."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

SEARCH_HINT = 'from: to: subject: account: folder: is:unread has:attachment after: "phrase"'


class SearchBar(Input):
    """Hidden until `/`; Enter submits the query (Input.Submitted)."""

    DEFAULT_CSS = """
    SearchBar {
        display: none;
        height: 1;
        border: none;
        padding: 0 1;
        &:focus {
            border: none;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder=SEARCH_HINT, id=id)
        self._last_key: events.Key | None = None

    async def _on_key(self, event: events.Key) -> None:
        self._last_key = event
        await super()._on_key(event)

    async def take_key(self, event: events.Key) -> bool:
        """Type a key that was sent to another pane before the bar took the focus (keys
        typed quickly after `/`). False for keys this bar received itself, or that mean
        nothing here."""
        if event is self._last_key:
            return False
        if event.key == "enter":
            await self.action_submit()
        elif event.key == "backspace":
            self.action_delete_left()
        elif event.is_printable and event.character is not None:
            self.insert_text_at_cursor(event.character)
        else:
            return False
        return True

    @property
    def is_open(self) -> bool:
        return self.display

    def open(self, query: str) -> None:
        """Show the bar holding `query`, focused, the cursor at its end. Focus moves at
        once (not after a refresh), so keys typed right after `/` land in the bar."""
        self.display = True
        self.value = query
        self.cursor_position = len(query)
        self.screen.set_focus(self)

    def close(self) -> None:
        self.display = False
