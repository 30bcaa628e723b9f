"""The keys of a screen built around one list: j and k move in the focused list as its
arrow keys do (placeholder rows skipped), Esc or q goes back."""

from __future__ import annotations

from textual.binding import Binding

LIST_KEYS = [
    Binding("escape,q", "close", "Back"),
    Binding("j", "focused.cursor_down", "Down", show=False),
    Binding("k", "focused.cursor_up", "Up", show=False),
]
