"""What every form of the settings screen shares: a heading, its fields, the line
with the engine's answer, and Save (ctrl+s on the screen does the same).

A section reads its values when it is first shown, in a worker, and saves through the
Service method the command line uses, so both check the same things. A refusal shows
as the engine's one line under the form and leaves what was typed as it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from engine.errors import FrontdeskError
from engine.models import Agent
from engine.service import Service
from tui.widgets.form_fields import FormNote


def refill(shown: OptionList, lines: Iterable[Content], empty: Content | None = None) -> None:
    """Put `lines` in `shown`, the highlight staying on the line it was on (the last one
    when there are fewer now); with no lines, `empty` as one line that cannot be
    chosen."""
    keep = shown.highlighted or 0
    shown.clear_options()
    options = [Option(line) for line in lines]
    if not options:
        if empty is not None:
            shown.add_option(Option(empty, disabled=True))
        return
    shown.add_options(options)
    shown.highlighted = min(keep, len(options) - 1)


class RemovableList(OptionList):
    """A list whose highlighted line x or Delete removes (`description` names what that
    does in the footer); a disabled line (the one saying the list is empty) is not."""

    class Remove(Message):
        """Remove the line at `index`."""

        def __init__(self, shown: RemovableList, index: int) -> None:
            super().__init__()
            self.shown = shown
            self.index = index

        @property
        def control(self) -> RemovableList:
            return self.shown

    def __init__(self, description: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._bindings.bind("x,delete", "remove", description)

    def action_remove(self) -> None:
        if self.highlighted is not None and not self.get_option_at_index(
                self.highlighted).disabled:
            self.post_message(self.Remove(self, self.highlighted))

    def refill(self, lines: Iterable[Content], empty: Content) -> None:
        """The list's lines again, the highlight kept; `empty` when there are none."""
        refill(self, lines, empty)


class SettingsSection(Vertical):
    """One form. Subclasses give `fields()` (and `more_buttons()`), read their values
    in `load()` and write them in `save()`."""

    savable = True  # it has a Save button (a section of lists and actions may not)

    class Changed(Message):
        """Something the section list shows (an account's name, say) was changed."""

    def __init__(self, service: Service, agent: Agent, heading: Content, *,
                 read_only: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, classes="settings-section")
        self.service = service
        self.agent = agent
        self.heading = heading
        self.read_only = read_only
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Static(self.heading, classes="settings-heading")
        with VerticalScroll(classes="settings-fields", can_focus=False):
            yield from self.fields()
        yield FormNote(classes="settings-note")
        with Horizontal(classes="settings-buttons"):
            if self.savable and not self.read_only:
                yield Button(Content("Save"), variant="primary", classes="settings-save")
            yield from self.more_buttons()

    def fields(self) -> ComposeResult:
        yield from ()

    def more_buttons(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self.load()

    @work(exclusive=True, group="settings-load", exit_on_error=False)
    async def load(self) -> None:
        try:
            await self.read()
        except FrontdeskError as exc:
            self.note.error(str(exc))
        self.loaded = True

    async def read(self) -> None:
        """Read the section's values from the engine and put them in the fields."""

    def save(self) -> None:
        """Write what the form holds (ctrl+s, or the Save button)."""

    @work(exclusive=True, group="settings-save", exit_on_error=False)
    async def run_change(self, change: Awaitable[str], *, reread: bool = False) -> None:
        """Run one change (a coroutine of the section that returns what was done): its
        answer, or the engine's refusal, under the form; with `reread`, the section's
        values are read again after."""
        self.note.clear_note()
        try:
            said = await change
        except FrontdeskError as exc:
            self.refused(exc)
            return
        self.note.done(said)
        if reread:
            await self.read()

    @property
    def note(self) -> FormNote:
        return self.query_one(".settings-note", FormNote)

    def refused(self, exc: BaseException) -> None:
        """The engine said no: its one line under the form; the fields keep what was
        typed."""
        self.note.error(str(exc))

    def focus_first(self) -> None:
        """Focus the first field (the section list hands over on Enter)."""
        first = self.first_field()
        if first is not None:
            first.focus()

    def first_field(self) -> Widget | None:
        return next((w for w in self.screen.focus_chain if self in w.ancestors), None)

    def submitted(self, field: Input) -> None:
        """Enter in a field: on to the next one (ctrl+s saves)."""
        self.screen.focus_next()

    @on(Input.Submitted)
    def _input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submitted(event.input)

    @on(Button.Pressed, ".settings-save")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.save()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failure the form did not expect shows under it, never as a crash."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.note.error(str(error) if isinstance(error, FrontdeskError)
                            else f"{type(error).__name__}: {error}")


class OpenerSection(SettingsSection):
    """A section that is another screen (the rules, say): a line saying what it holds,
    and Open (Enter in the section list) to go there."""

    savable = False

    def __init__(self, service: Service, agent: Agent, heading: Content, text: str,
                 opens: Callable[[], None], *, id: str | None = None) -> None:
        super().__init__(service, agent, heading, id=id)
        self.text = text
        self.opens = opens

    def fields(self) -> ComposeResult:
        yield Static(Content(self.text), classes="settings-text")

    def more_buttons(self) -> ComposeResult:
        yield Button(Content("Open"), variant="primary", classes="settings-open")

    @on(Button.Pressed, ".settings-open")
    def _open_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.opens()

    def save(self) -> None:
        self.opens()
