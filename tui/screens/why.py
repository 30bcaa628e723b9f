""""Why?": what the rules on arrival did with one message, and why (not). One row per
outcome (the processing mode, each filter, each auto-response, the out of office); the
highlighted one's detail in full below. Rule names, subjects and details are untrusted:
sanitised, and placed as plain Content or Text only."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from engine.errors import FrontdeskError
from engine.models import Agent, RuleOutcome
from engine.sanitize import sanitize_line
from engine.service import Service
from tui.screens.rule_test import clipped, yes_no

NONE_RAN = "No rules ran on this message."
NAME_WIDTH = 24
DETAIL_WIDTH = 50
COLUMNS = ("Rule", "Source", "Matched", "Fired", "Detail")
SOURCES = {"mode": "processing mode", "filter": "filter", "respond": "auto-response",
           "ooo": "out of office"}


def outcome_cells(outcome: RuleOutcome) -> tuple[Text, ...]:
    return (
        Text(clipped(outcome.name, NAME_WIDTH)),
        Text(SOURCES.get(outcome.source, sanitize_line(outcome.source))),
        Text(yes_no(outcome.matched)),
        Text(yes_no(outcome.fired), style="bold" if outcome.fired else ""),
        Text(clipped(outcome.detail, DETAIL_WIDTH)),
    )


def outcome_detail(outcome: RuleOutcome) -> Content:
    verdict = ("fired" if outcome.fired else
               "matched but did not fire" if outcome.matched else "did not match")
    at = f" at {outcome.at[:16].replace('T', ' ')}" if outcome.at else ""
    return Content.assemble(
        (sanitize_line(outcome.name), "bold"), (f"  {verdict}{at}", "dim"), "\n",
        sanitize_line(outcome.detail) or "-",
    )


class WhyScreen(ModalScreen[None]):
    """Esc or q closes; j/k move between the outcomes."""

    BINDINGS = [
        Binding("escape,q", "close", "Close"),
        Binding("j", "move('down')", "Down", show=False),
        Binding("k", "move('up')", "Up", show=False),
    ]

    def __init__(self, service: Service, agent: Agent, message_id: int,
                 subject: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.service = service
        self.agent = agent
        self.message_id = message_id
        self.subject = subject
        self.outcomes: list[RuleOutcome] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-table", id="why"):
            yield Static(Content.assemble(("Why? ", "bold"),
                                          sanitize_line(self.subject) or "(no subject)"),
                         classes="dialog-text", id="why-title")
            yield DataTable(id="why-table", cursor_type="row")
            yield Static(Content("Loading…"), id="why-status")
            yield Static(Content("j/k: move    Esc: close"), classes="dialog-keys")

    def on_mount(self) -> None:
        table = self.query_one("#why-table", DataTable)
        table.add_columns(*COLUMNS)
        table.display = False
        self.load()

    @work(exclusive=True, group="why", exit_on_error=False)
    async def load(self) -> None:
        status = self.query_one("#why-status", Static)
        try:
            self.outcomes = await self.service.rule_outcomes(self.agent, self.message_id)
        except FrontdeskError as exc:
            status.update(Content(sanitize_line(str(exc)) or type(exc).__name__))
            status.add_class("-error")
            return
        if not self.outcomes:
            status.update(Content(NONE_RAN))
            return
        table = self.query_one("#why-table", DataTable)
        for n, outcome in enumerate(self.outcomes):
            table.add_row(*outcome_cells(outcome), key=str(n))
        table.display = True
        table.focus()
        status.update(outcome_detail(self.outcomes[0]))

    @on(DataTable.RowHighlighted, "#why-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if 0 <= event.cursor_row < len(self.outcomes):
            self.query_one("#why-status", Static).update(
                outcome_detail(self.outcomes[event.cursor_row]))

    def action_move(self, way: str) -> None:
        table = self.query_one("#why-table", DataTable)
        if way == "down":
            table.action_cursor_down()
        else:
            table.action_cursor_up()

    def action_close(self) -> None:
        self.dismiss(None)
