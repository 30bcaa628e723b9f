"""The preview pane: headers, body, attachments and links of one message.

Every value shown here is mail text: it is sanitised by the engine and placed into
Content as plain text, never parsed as markup.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from engine.models import MessageView
from tui import keymap

HTML_ONLY_NOTE = "(This message has only an HTML part; turn HTML on to read it.)"


def _size(n: int) -> str:
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


def has_plain_part(view: MessageView) -> bool:
    """Whether the message has a text/plain part (the engine falls back to the HTML
    part's text when it has none)."""
    return view.html_text is None or view.text != view.html_text


def render_headers(view: MessageView) -> Content:
    """Header lines with bold names; values as plain text; then attachments."""
    parts: list[str | tuple[str, str]] = []
    for name, value in view.headers:
        parts += [(f"{name}: ", "bold"), value, "\n"]
    if view.attachments:
        parts.append(("Attachments:", "bold"))
        for attachment in view.attachments:
            parts += ["\n  ", attachment.filename, f" ({attachment.content_type}, "
                      f"{_size(attachment.size)})"]
        parts.append("\n")
    if view.parse_error:
        parts += [("Shown raw: ", "bold"), view.parse_error, "\n"]
    return Content.assemble(*parts)


def render_body(view: MessageView, *, html: bool = True) -> Content:
    """The body: with `html`, HTML mail converted to text and its numbered links;
    without, the plain part only."""
    if html and view.html_text is not None:
        parts: list[str | tuple[str, str]] = [view.html_text or "(no text)"]
        if view.links:
            parts += ["\n\n", ("Links", "bold"), "\n"]
            for i, link in enumerate(view.links, 1):
                parts.append(f"[{i}] {link}\n")
        return Content.assemble(*parts)
    if not has_plain_part(view):
        return Content(HTML_ONLY_NOTE)
    return Content(view.text or "(no text)")


class Preview(VerticalScroll):
    """Shows one MessageView."""

    # The list's movement keys (same ids, so a remap moves both panes alike).
    BINDINGS = [
        keymap.binding("list.down", "scroll_down", show=False),
        keymap.binding("list.up", "scroll_up", show=False),
        keymap.binding("list.top", "scroll_home", show=False),
        keymap.binding("list.bottom", "scroll_end", show=False),
        keymap.binding("list.half_down", "page_down", show=False),
        keymap.binding("list.half_up", "page_up", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: MessageView | None = None
        self.html = True

    def compose(self) -> ComposeResult:
        yield Static(id="preview-headers", markup=False)
        yield Static(id="preview-body", markup=False)

    def show(self, view: MessageView, *, html: bool | None = None) -> None:
        """Display a message from the top."""
        if html is not None:
            self.html = html
        self.view = view
        self.query_one("#preview-headers", Static).update(render_headers(view))
        self.query_one("#preview-body", Static).update(render_body(view, html=self.html))
        self.scroll_home(animate=False)

    def set_html(self, html: bool) -> None:
        """Switch HTML on or off, showing the current message again."""
        if html != self.html:
            self.html = html
            if self.view is not None:
                self.show(self.view)

    def show_note(self, note: str) -> None:
        """Display a line of our own (no message selected, an error)."""
        self.view = None
        self.query_one("#preview-headers", Static).update(Content(""))
        self.query_one("#preview-body", Static).update(Content(note))
