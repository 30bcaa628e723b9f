"""Messages the app sends to its screens."""

from __future__ import annotations

from textual.message import Message

from tui.config import Options


class OptionsChanged(Message, bubble=False):
    """The console's options changed; `options` holds all of them, as saved."""

    def __init__(self, options: Options) -> None:
        super().__init__()
        self.options = options
