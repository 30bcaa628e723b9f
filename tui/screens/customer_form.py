"""Adding a customer from a message's sender: a form prefilled from the sender."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from engine.models import SenderCard


@dataclass(frozen=True)
class CustomerDraft:
    """What the agent typed into the form."""

    name: str
    company: str
    addresses: tuple[str, ...]
    notes: str


def split_addresses(text: str) -> tuple[str, ...]:
    """Addresses typed as a comma- or space-separated list."""
    return tuple(part for part in text.replace(",", " ").split() if part)


class CustomerForm(ModalScreen[CustomerDraft | None]):
    """Name, company, addresses and notes, editable before saving. Enter in the last
    field or ctrl+s saves; Esc leaves without saving."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "save", "Save"),
    ]

    def __init__(self, card: SenderCard) -> None:
        super().__init__(classes="dialog-screen")
        self.card = card

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Static(Content("Add customer"), classes="dialog-text")
            yield Label("Name")
            yield Input(self.card.name, id="customer-name")
            yield Label("Company")
            yield Input("", id="customer-company")
            yield Label("Addresses")
            yield Input(self.card.address, id="customer-addresses")
            yield Label("Notes")
            yield Input("", id="customer-notes")
            yield Static(Content("Enter: next field, save on the last    ctrl+s: save    "
                                 "Esc: cancel"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#customer-name", Input).focus()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "customer-notes":
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        name = self.query_one("#customer-name", Input).value.strip()
        if not name:
            self.notify("A customer needs a name.", severity="error", markup=False)
            self.query_one("#customer-name", Input).focus()
            return
        self.dismiss(CustomerDraft(
            name=name,
            company=self.query_one("#customer-company", Input).value.strip(),
            addresses=split_addresses(self.query_one("#customer-addresses", Input).value),
            notes=self.query_one("#customer-notes", Input).value.strip(),
        ))

    def action_cancel(self) -> None:
        self.dismiss(None)
