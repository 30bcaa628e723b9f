"""Small modal dialogs shared by the triage actions: a yes/no question and a choice.

Their text often holds mail text (a sender's name, a subject): it is always placed as
Content, never parsed as markup.
"""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class Confirm(ModalScreen[bool]):
    """A question answered with y (yes) or n / Esc (no)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape,q", "answer(False)", "No"),
    ]

    def __init__(self, question: str, *, yes: str = "yes", no: str = "no") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.question), classes="dialog-text")
            yield Static(Content(f"y: {self.yes}    n / Esc: {self.no}"), classes="dialog-keys")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class Choice(ModalScreen[str | None]):
    """One of a few labelled choices: its key, Enter on it, or Esc for none."""

    BINDINGS = [Binding("escape,q", "cancel", "Cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str, str]]) -> None:
        """`choices`: (value, key, label); the key picks it at once."""
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content(self.title_text), classes="dialog-text")
            yield OptionList(
                *(Option(Content(f"{key}  {label}"), id=value)
                  for value, key, label in self.choices),
                classes="dialog-options",
            )
            yield Static(Content("Enter or its key: choose    Esc: cancel"),
                         classes="dialog-keys")

    def on_key(self, event: events.Key) -> None:
        for value, choice_key, _ in self.choices:
            if event.key == choice_key:
                event.stop()
                self.dismiss(value)
                return

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
