"""The status line: what the list shows on the left, sync health on the right."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Static

from engine.status import AccountHealth
from tui.widgets.message_row import short_date


def health_text(accounts: list[AccountHealth], now: datetime | None = None) -> tuple[str, bool]:
    """One line of sync health, and whether it reports a problem. An error names its
    account and carries the engine's what-to-do text."""
    failing = [a for a in accounts if not a.healthy]
    parts: list[str] = []
    if failing:
        first = failing[0]
        error = first.last_error or next(
            (f"{f.name}: {f.last_error}" for f in first.folders if f.last_error), "error")
        parts.append(f"{first.name}: {error}")
        if len(failing) > 1:
            parts.append(f"{len(failing) - 1} more failing")
    pending = sum(a.jobs_pending for a in accounts)
    failed = sum(a.jobs_failed for a in accounts)
    if pending:
        parts.append(f"{pending} pending")
    if failed:
        parts.append(f"{failed} failed jobs")
    if not failing:
        synced = [a.last_sync_at for a in accounts if a.last_sync_at]
        if synced:
            parts.append(f"synced {short_date(max(synced), now)}")
        elif accounts:
            parts.append("not synced yet")
    return " · ".join(parts), bool(failing or failed)


class StatusCell(Widget):
    """One line of plain text. A new text repaints the cell without a layout pass of the
    screen (Static.update asks for one); the cell's size never depends on its text."""

    DEFAULT_CSS = """
    StatusCell {
        height: 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Content("")

    def update(self, content: Content) -> None:
        self._text = content
        self.refresh()

    def render(self) -> Content:
        return self._text


class StatusBar(Horizontal):
    """Two plain-text cells: the summary and the sync health."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        & > #status-summary {
            width: 1fr;
            height: 1;
        }
        & > #status-health {
            width: auto;
            max-width: 60%;
            height: 1;
            padding: 0 1;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.summary = ""
        self.health = ""
        self.progress: str | None = None
        self._health_problem = False

    def compose(self) -> ComposeResult:
        yield StatusCell(id="status-summary")
        yield Static(id="status-health", markup=False)

    def show_summary(self, text: str) -> None:
        if text == self.summary:
            return
        self.summary = text
        self.query_one("#status-summary", StatusCell).update(Content(f" {text}"))

    def show_health(self, accounts: list[AccountHealth], now: datetime | None = None) -> None:
        text, problem = health_text(accounts, now)
        self._health_problem = problem
        if text == self.health:
            return
        self.health = text
        if self.progress is None:
            self._paint(text, problem)

    def show_progress(self, text: str | None) -> None:
        """A sync in progress takes the health cell; None gives it back."""
        if text == self.progress:
            return
        self.progress = text
        self._paint(self.health if text is None else text,
                    text is None and self._health_problem)

    def _paint(self, text: str, problem: bool) -> None:
        cell = self.query_one("#status-health", Static)
        cell.update(Content(text))
        cell.set_class(problem, "-problem")
