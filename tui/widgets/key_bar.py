"""The key hints under the screen: the main keys, as remapped, on one line.

Textual's Footer rebuilds itself whenever the focus moves (its keys follow the focused
widget), and that costs a layout pass of the whole screen each time: with it, Enter in
the search bar took twice as long to show the results. These hints never change while
the console runs, so the line is drawn once and never lays anything out again.
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.content import Content
from textual.widget import Widget

from tui import keymap

# The keys worth a hint, left to right; the rest are in help (?) and the palette.
HINTED = ("list.open", "main.search", "main.threads", "main.toggle_read", "main.flag",
          "app.sync_now", "app.quit", "app.help", "app.palette")

_SYMBOLS = {
    "enter": "⏎", "slash": "/", "question_mark": "?", "colon": ":", "dollar_sign": "$",
    "escape": "esc", "space": "space", "tab": "tab",
}


def key_label(key: str) -> str:
    """How a Textual key name is shown: `/` for slash, `^d` for ctrl+d."""
    if key in _SYMBOLS:
        return _SYMBOLS[key]
    if key.startswith("ctrl+"):
        return "^" + key[len("ctrl+"):]
    return key


# On a narrow terminal these go first, in this order: help and the palette list them all.
DROPPED_FIRST = ("app.sync_now", "main.flag", "main.toggle_read", "main.threads", "list.open")


def hints(bound: Mapping[str, str], width: int = 1000) -> Content:
    """The hint line for the keys in `bound` (binding id -> "key,key"), at most `width`
    cells wide."""
    described = {spec.id: spec.description for spec in keymap.KEY_TABLE}
    shown: dict[str, tuple[str, str]] = {}
    for binding_id in HINTED:
        first = bound.get(binding_id, "").split(",")[0].strip()
        if first:
            shown[binding_id] = (key_label(first), described[binding_id])
    for binding_id in DROPPED_FIRST:
        if sum(len(k) + len(d) + 3 for k, d in shown.values()) <= width:
            break
        shown.pop(binding_id, None)
    parts: list[Content | str] = []
    for key, description in shown.values():
        parts += [" ", Content.styled(key, "bold"), f" {description} "]
    return Content.assemble(*parts)


class KeyBar(Widget):
    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $footer-background;
        color: $footer-description-foreground;
    }
    """

    def render(self) -> Content:
        bound = getattr(self.app, "key_bindings", None)
        return hints(bound if isinstance(bound, Mapping) else keymap.default_keymap(),
                     self.size.width)

    def on_resize(self) -> None:
        self.refresh()
