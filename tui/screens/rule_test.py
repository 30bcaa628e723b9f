"""A dry run's results: what a rule (saved or only written) would do with the mailbox's
last inbox messages, one row each, and the response it would send for the highlighted
row. Nothing was written or sent. Subjects, addresses, details and response text are
untrusted: sanitised, and placed as plain Content or Text only."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from engine.models import RuleTest
from engine.sanitize import sanitize, sanitize_line
from tui.widgets.message_row import short_date

FROM_WIDTH = 24
SUBJECT_WIDTH = 32
DETAIL_WIDTH = 30
COLUMNS = ("Date", "From", "Subject", "Matched", "Would fire", "Detail")


def clipped(text: str, width: int) -> str:
    """One sanitised line of at most `width` characters."""
    line = sanitize_line(text)
    return line if len(line) <= width else line[: width - 1] + "…"


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def summary(results: Sequence[RuleTest]) -> str:
    """E.g. "50 messages tested: 12 match, 10 would fire."."""
    if not results:
        return "The mailbox's inbox has no stored message to test the rule against."
    matched = sum(r.matched for r in results)
    fired = sum(r.fired for r in results)
    noun = "message" if len(results) == 1 else "messages"
    return (f"{len(results)} {noun} tested: {matched} match, {fired} would fire. "
            "Nothing was written or sent.")


def row_cells(result: RuleTest) -> tuple[Text, ...]:
    """The table's cells: rich Text, never parsed as markup."""
    return (
        Text(short_date(result.date)),
        Text(clipped(result.from_addr, FROM_WIDTH)),
        Text(clipped(result.subject or "(no subject)", SUBJECT_WIDTH)),
        Text(yes_no(result.matched)),
        Text(yes_no(result.fired), style="bold" if result.fired else ""),
        Text(clipped(result.detail, DETAIL_WIDTH)),
    )


def outcome_text(result: RuleTest) -> Content:
    """What the rule would do with the message: the response it would send in full, or
    the action, or why it would not fire."""
    detail = sanitize_line(result.detail)
    if not result.fired:
        return Content.assemble(("Would not fire: ", "dim"), detail or "-")
    if not (result.response_text or result.response_subject):
        return Content.assemble(("Would do: ", "dim"), detail or "-")
    return Content.assemble(
        ("Would answer ", "dim"), sanitize_line(result.response_to), "\n",
        ("Subject: ", "dim"), sanitize_line(result.response_subject), "\n\n",
        sanitize(result.response_text),
    )


class RuleTestScreen(ModalScreen[None]):
    """j/k (or the arrows) move; the highlighted message's outcome shows below."""

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("j", "move('down')", "Down", show=False),
        Binding("k", "move('up')", "Up", show=False),
    ]

    def __init__(self, title: str, results: Sequence[RuleTest]) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.results = list(results)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-table", id="rule-test"):
            yield Static(Content(self.title_text), classes="dialog-text", id="rule-test-title")
            yield Static(Content(summary(self.results)), id="rule-test-summary")
            yield DataTable(id="rule-test-table", cursor_type="row")
            with VerticalScroll(id="rule-test-response-scroll"):
                yield Static(Content(""), id="rule-test-response")
            yield Static(Content("j/k: move    Esc: close"), classes="dialog-keys")

    def on_mount(self) -> None:
        table = self.query_one("#rule-test-table", DataTable)
        table.add_columns(*COLUMNS)
        for n, result in enumerate(self.results):
            table.add_row(*row_cells(result), key=str(n))
        if self.results:
            table.focus()
            self.show_outcome(0)
        else:
            table.display = False

    @property
    def current(self) -> RuleTest | None:
        table = self.query_one("#rule-test-table", DataTable)
        if not self.results:
            return None
        return self.results[min(max(table.cursor_row, 0), len(self.results) - 1)]

    @on(DataTable.RowHighlighted, "#rule-test-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_outcome(event.cursor_row)

    def show_outcome(self, row: int) -> None:
        if 0 <= row < len(self.results):
            self.query_one("#rule-test-response", Static).update(
                outcome_text(self.results[row]))

    def action_move(self, way: str) -> None:
        table = self.query_one("#rule-test-table", DataTable)
        if way == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)
