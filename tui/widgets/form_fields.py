"""Pieces of the settings forms: a labelled row, a masked field for a secret, the line
that carries the engine's one-line answer (a refusal or what was saved), and the reading
of numbers typed into a field.

Labels and answers may quote account names, addresses or server errors: they are placed
as plain Content, never parsed as markup."""

from __future__ import annotations

from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Input, Static

from engine.errors import InvalidInputError
from engine.sanitize import sanitize_line


class FormInputError(InvalidInputError):
    """What was typed cannot even be put to the engine (a port that is no number)."""


def one_line(text: str) -> str:
    """An error or a value read from the store as one line of plain, harmless text."""
    return sanitize_line(str(text))


def plain(text: str) -> Content:
    """Untrusted text as one line of plain Content: shown as written, never as markup."""
    return Content(one_line(text))


class FieldRow(Horizontal):
    """A label and the widgets that set it, on one row."""

    DEFAULT_CSS = """
    FieldRow {
        height: auto;
    }
    FieldRow > .field-label {
        width: 21;
        padding: 0 1 0 0;
        color: $text-muted;
    }
    FieldRow > .field-hint {
        width: auto;
        padding: 0 0 0 1;
        color: $text-muted;
    }
    FieldRow > .field-hint.-fill {
        width: 1fr;
    }
    """

    def __init__(self, label: str, *widgets: Widget, hint: str = "",
                 id: str | None = None, classes: str = "") -> None:
        children: list[Widget] = [Static(Content(label), classes="field-label"), *widgets]
        if hint:
            # Beside a field that takes the width, the hint keeps to its own; beside a
            # switch it takes the rest of the row and wraps there.
            fill = "" if any(isinstance(w, Input) for w in widgets) else " -fill"
            children.append(Static(Content(hint), classes=f"field-hint{fill}"))
        super().__init__(*children, id=id, classes=classes)


class SecretInput(Input):
    """A masked field for a password or a client secret. It always starts empty: a
    stored secret is never read back, so there is nothing of it to show. Empty means
    "keep what is stored"; `forget()` empties it once what was typed is saved."""

    def __init__(self, *, placeholder: str = "type a new one to replace it",
                 id: str | None = None, disabled: bool = False) -> None:
        super().__init__("", placeholder=placeholder, password=True, id=id,
                         classes="secret-input", disabled=disabled)

    @property
    def typed(self) -> str | None:
        """What was typed; None when the field is empty."""
        return self.value or None

    def forget(self) -> None:
        self.value = ""

    def show_stored(self, stored: bool, what: str = "password") -> None:
        """Say, in the empty field, whether a `what` is stored (it is never shown)."""
        self.placeholder = (f"a {what} is stored: type a new one to replace it" if stored
                            else "none stored: type one")


class FormNote(Static):
    """The line under a form: the engine's refusal as it said it (one line, in the
    error colour) or what was just saved. Shows nothing when there is nothing to say."""

    DEFAULT_CSS = """
    FormNote {
        height: auto;
        padding: 0 1;
    }
    FormNote.-error {
        color: $text-error;
    }
    FormNote.-done {
        color: $text-success;
    }
    """

    def __init__(self, *, id: str | None = None, classes: str = "") -> None:
        super().__init__(Content(""), id=id, classes=classes)
        self.text = ""

    def error(self, text: str) -> None:
        self._show(one_line(text) or "refused", error=True)

    def done(self, text: str) -> None:
        self._show(one_line(text), error=False)

    def clear_note(self) -> None:
        self._show("", error=False)

    @property
    def is_error(self) -> bool:
        return self.has_class("-error")

    def _show(self, text: str, *, error: bool) -> None:
        self.text = text
        self.update(Content(text))
        self.set_class(error and bool(text), "-error")
        self.set_class(not error and bool(text), "-done")


def int_or_none(text: str, what: str) -> int | None:
    """A whole number typed into a field; None when the field is empty. FormInputError
    names the field when it holds something else."""
    typed = text.strip()
    if not typed:
        return None
    try:
        return int(typed)
    except ValueError:
        raise FormInputError(f"{what} {typed!r}: give a whole number") from None
