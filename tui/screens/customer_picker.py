"""Pairing a sender with a customer: a picker that searches customers as you type."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import FrontdeskError
from engine.models import Agent, Customer
from engine.service import Service

SHOWN = 30


def customer_label(customer: Customer) -> Content:
    """One line: name, company, addresses (all customer text: plain, never markup)."""
    parts: list[str | tuple[str, str]] = [customer.name]
    if customer.company:
        parts += [" · ", (customer.company, "italic")]
    if customer.addresses:
        parts += ["  ", (", ".join(customer.addresses), "dim")]
    return Content.assemble(*parts)


class CustomerPicker(ModalScreen[Customer | None]):
    """Type to search by name, company or address (fuzzy); Enter picks the highlighted
    customer, Esc leaves without one."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
    ]

    def __init__(self, service: Service, agent: Agent, *, title: str) -> None:
        super().__init__(classes="dialog-screen")
        self.service = service
        self.agent = agent
        self.title_text = title
        self.found: list[Customer] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Static(Content(self.title_text), classes="dialog-text")
            yield Input(placeholder="name, company or address", id="picker-query")
            yield OptionList(id="picker-results", classes="dialog-options")
            yield Static(Content("Enter: pair    ↑/↓: choose    Esc: cancel"),
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.search("")

    @on(Input.Changed, "#picker-query")
    def _query_changed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @work(exclusive=True, group="picker", exit_on_error=False)
    async def search(self, query: str) -> None:
        try:
            found = await self.service.find_customers(self.agent, query, limit=SHOWN)
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.found = found
        results = self.query_one("#picker-results", OptionList)
        results.clear_options()
        if not found:
            results.add_option(Option(Content("No customer matches; Esc, then c adds one."),
                                      disabled=True))
            return
        results.add_options(Option(customer_label(c), id=str(c.id)) for c in found)
        results.highlighted = 0

    def action_move(self, step: int) -> None:
        results = self.query_one("#picker-results", OptionList)
        if self.found:
            current = results.highlighted or 0
            results.highlighted = max(0, min(len(self.found) - 1, current + step))

    @on(Input.Submitted, "#picker-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one("#picker-results", OptionList)
        if self.found and results.highlighted is not None:
            self.dismiss(self.found[results.highlighted])

    @on(OptionList.OptionSelected, "#picker-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = [c for c in self.found if str(c.id) == event.option.id]
        if chosen:
            self.dismiss(chosen[0])

    def action_cancel(self) -> None:
        self.dismiss(None)
