"""The preview pane: headers, body, attachments and links of one message.

Every value shown here is mail text: it is sanitised by the engine and placed into
Content as plain text, never parsed as markup.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from engine.models import MessageView


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB"):
        if n < 1024 or unit == "MB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return f"{n} B"


def render_headers(view: MessageView) -> Content:
    """Header lines with bold names; values as plain text."""
    parts: list[str | tuple[str, str]] = []
    for name, value in view.headers:
        parts += [(f"{name}: ", "bold"), value, "\n"]
    if view.attachments:
        listed = ", ".join(f"{a.filename} ({_size(a.size)})" for a in view.attachments)
        parts += [("Attachments: ", "bold"), listed, "\n"]
    if view.parse_error:
        parts += [("Shown raw: ", "bold"), view.parse_error, "\n"]
    return Content.assemble(*parts)


def render_body(view: MessageView) -> Content:
    """The text body, then the numbered links of HTML mail."""
    parts: list[str | tuple[str, str]] = [view.text or "(no text)"]
    if view.links:
        parts.append("\n\n")
        parts.append(("Links", "bold"))
        parts.append("\n")
        for i, link in enumerate(view.links, 1):
            parts.append(f"[{i}] {link}\n")
    return Content.assemble(*parts)


class Preview(VerticalScroll):
    """Shows one MessageView."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", show=False, id="preview.down"),
        Binding("k", "scroll_up", "Up", show=False, id="preview.up"),
        Binding("g", "scroll_home", "Top", show=False, id="preview.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id="preview.bottom"),
        Binding("ctrl+d", "page_down", "Page down", show=False, id="preview.half_down"),
        Binding("ctrl+u", "page_up", "Page up", show=False, id="preview.half_up"),
    ]

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(id="preview-headers", markup=False)
        yield Static(id="preview-body", markup=False)

    def show(self, view: MessageView) -> None:
        """Display a message from the top."""
        self.query_one("#preview-headers", Static).update(render_headers(view))
        self.query_one("#preview-body", Static).update(render_body(view))
        self.scroll_home(animate=False)

    def show_note(self, note: str) -> None:
        """Display a line of our own (no message selected, an error)."""
        self.query_one("#preview-headers", Static).update(Content(""))
        self.query_one("#preview-body", Static).update(Content(note))
