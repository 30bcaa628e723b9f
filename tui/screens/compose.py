"""Writing mail: a reply, reply-all, forward or new mail, in the console or in the
agent's own editor.

The draft lives in the store from the start (the engine creates it prefilled). Every
change is saved about a second after typing stops, and again on leaving, so a dropped
SSH session loses at most that second; the draft is offered again at the next start.

Addresses and subjects shown outside the input fields are plain Content; the body,
quoted original included, is plain text in the TextArea.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from email.utils import parseaddr

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.suggester import Suggester
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from engine.compose.html import html_alternative
from engine.errors import FrontdeskError
from engine.models import Agent, Draft, Template
from engine.service import Service
from tui.editor import DraftText, EditorError, edit_draft, run_command
from tui.screens.dialogs import Confirm
from tui.screens.review import (
    ReviewScreen,
    attach_asked,
    attachments_text,
    sender_text,
    subject_of,
)
from tui.widgets.key_bar import key_label

# Seconds of quiet after a change before the draft is saved.
AUTOSAVE_AFTER = 1.0

KIND_TITLES = {"new": "New mail", "reply": "Reply", "reply_all": "Reply all",
               "forward": "Forward"}
ADDRESS_FIELDS = ("to", "cc", "bcc")


def complete_address(typed: str, candidates: Sequence[str]) -> str | None:
    """The first candidate ("Name <addr>") whose whole text starts with `typed`, else
    the first address that does, ignoring case: what `typed` completes to, spelt as the
    candidate is (the field shows the rest after what was typed)."""
    if not typed:
        return None
    size = len(typed)
    wanted = typed.lower()
    for candidate in candidates:
        address = parseaddr(candidate)[1]
        for whole in (candidate, address):
            if len(whole) > size and whole[:size].lower() == wanted:
                return whole
    return None


class AddressSuggester(Suggester):
    """Completes the address being typed after the last comma of a To, Cc or Bcc field
    from the customers and recent correspondents (Right arrow accepts it)."""

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__(use_cache=True, case_sensitive=True)
        self.service = service
        self.agent = agent

    async def get_suggestion(self, value: str) -> str | None:
        head, comma, last = value.rpartition(",")
        typed = last.lstrip()
        if not typed or typed != typed.rstrip():
            return None
        try:
            found = await self.service.address_suggestions(self.agent, typed, limit=10)
        except FrontdeskError:
            return None
        completed = complete_address(typed, found)
        if completed is None:
            return None
        return f"{head}{comma}{last[:len(last) - len(typed)]}{completed}"


class TemplatePicker(ModalScreen[str | None]):
    """The saved replies by name: Enter inserts the highlighted one, Esc none."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, templates: Sequence[Template]) -> None:
        super().__init__(classes="dialog-screen")
        self.templates = list(templates)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Content("Insert a saved reply"), classes="dialog-text")
            yield OptionList(
                *(Option(Content.assemble(t.name, ("  html" if t.format == "html" else "",
                                                   "dim")), id=t.name)
                  for t in self.templates),
                id="template-list", classes="dialog-options",
            )
            yield Static(Content("Enter: insert at the cursor    Esc: cancel"),
                         classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#template-list", OptionList).focus()

    @on(OptionList.OptionSelected, "#template-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def compose_title(draft: Draft) -> Content:
    return Content.assemble(
        (KIND_TITLES.get(draft.kind, "Mail"), "bold"), ("  from ", "dim"),
        sender_text(draft), (f"  ({draft.account})", "dim"))


def attachments_line(draft: Draft, attach_key: str) -> Content:
    shown = attachments_text(draft)
    if shown:
        return Content.assemble(("Attached ", "bold"), shown)
    return Content.styled(f"No attachments ({attach_key} attaches a file)", "dim")


class ComposeScreen(Screen[str | None]):
    """To, Cc, Bcc, Subject and the body of a draft. Dismissed with "sent", "saved" or
    "discarded"."""

    BINDINGS = [
        Binding("ctrl+s", "review", "Review and send"),
        Binding("ctrl+o", "edit_in_editor", "Editor"),
        Binding("ctrl+t", "insert_template", "Saved reply"),
        Binding("ctrl+f", "attach", "Attach"),
        Binding("escape", "leave", "Leave"),
    ]

    def __init__(self, service: Service, agent: Agent, draft: Draft, *,
                 run_editor: Callable[[Sequence[str]], int] | None = None) -> None:
        super().__init__(id="compose")
        self.service = service
        self.agent = agent
        self.draft = draft
        # How the editor command is run: in this terminal, the console suspended.
        self.run_editor = run_editor or self._run_suspended
        self._saved = self._text_of(draft)
        self._typed = self._saved
        self._save_lock = asyncio.Lock()
        self._save_timer: Timer | None = None
        self._finished = False
        self._last_error = ""
        # The text and HTML of an HTML saved reply inserted here: the draft goes out
        # with an HTML part as long as that text stands unchanged in the body.
        self._html_reply: tuple[str, str] | None = None

    @staticmethod
    def _text_of(draft: Draft) -> DraftText:
        return DraftText(to=", ".join(draft.to), cc=", ".join(draft.cc),
                         bcc=", ".join(draft.bcc), subject=draft.subject, body=draft.body)

    def compose(self) -> ComposeResult:
        text = self._saved
        yield Static(compose_title(self.draft), id="compose-title")
        suggester = AddressSuggester(self.service, self.agent)
        for name, label in (("to", "To"), ("cc", "Cc"), ("bcc", "Bcc"),
                            ("subject", "Subject")):
            with Horizontal(classes="compose-field"):
                yield Static(Content(label), classes="compose-label")
                yield Input(getattr(text, name), id=f"compose-{name}",
                            suggester=suggester if name in ADDRESS_FIELDS else None)
        yield Static(attachments_line(self.draft, self._key_of("attach")),
                     id="compose-attachments")
        yield TextArea(text.body, id="compose-body", soft_wrap=True, tab_behavior="focus")
        yield Static(self._hints(), id="compose-keys")

    def _key_of(self, action: str) -> str:
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action == action:
                return key_label(binding.key.split(",")[0])
        return ""

    def _hints(self) -> Content:
        parts: list[Content | str] = []
        for binding in self.BINDINGS:
            if isinstance(binding, Binding):
                parts += [" ", Content.styled(key_label(binding.key.split(",")[0]), "bold"),
                          f" {binding.description} "]
        return Content.assemble(*parts)

    def on_mount(self) -> None:
        body = self.query_one("#compose-body", TextArea)
        body.move_cursor((0, 0))
        if self._saved.to:
            body.focus()
        else:
            self.query_one("#compose-to", Input).focus()

    # What is typed, and saving it

    def current_text(self) -> DraftText:
        """The fields as they are on screen now."""
        return DraftText(
            to=self.query_one("#compose-to", Input).value,
            cc=self.query_one("#compose-cc", Input).value,
            bcc=self.query_one("#compose-bcc", Input).value,
            subject=self.query_one("#compose-subject", Input).value,
            body=self.query_one("#compose-body", TextArea).text,
        )

    def _show_text(self, text: DraftText) -> None:
        for name in ("to", "cc", "bcc", "subject"):
            self.query_one(f"#compose-{name}", Input).value = getattr(text, name)
        body = self.query_one("#compose-body", TextArea)
        if body.text != text.body:
            body.load_text(text.body)
        self._typed = text

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        if self._finished:
            return
        self._typed = self.current_text()
        if self._typed == self._saved:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(AUTOSAVE_AFTER, self.save_now)

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    def _stop_timer(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None

    @work(group="compose-save", exit_on_error=False)
    async def save_now(self) -> None:
        await self.save()

    async def save(self) -> bool:
        """Save what is typed unless the store has it already; False (and a
        notification) when the store refused it."""
        async with self._save_lock:
            if self._finished:
                return True
            text = self.current_text() if self.is_mounted else self._typed
            if text == self._saved:
                return True
            try:
                draft = await self.service.save_draft(
                    self.agent, self.draft.id, to=text.to, cc=text.cc, bcc=text.bcc,
                    subject=text.subject, body=text.body, html_body=self._html_of(text))
            except FrontdeskError as exc:
                if str(exc) != self._last_error:
                    self._last_error = str(exc)
                    self.notify(str(exc), title="Draft not saved", severity="error",
                                markup=False)
                return False
            self._last_error = ""
            self.draft = draft
            self._saved = text
            return True

    # Leaving

    def action_leave(self) -> None:
        self.leave()

    @work(exclusive=True, group="compose-step", exit_on_error=False)
    async def leave(self) -> None:
        self._stop_timer()
        if not await self.save() and not await self.app.push_screen_wait(
                Confirm("The last changes could not be saved. Leave anyway?",
                        yes="leave", no="stay")):
            return
        self.notify(f"Kept in your drafts: {subject_of(self.draft)} "
                    "(palette: Drafts)", markup=False)
        self._close("saved")

    def _close(self, result: str) -> None:
        self._finished = True
        self._stop_timer()
        self.dismiss(result)

    async def on_unmount(self) -> None:
        # The console is closing with this screen open (quit, a lost terminal): keep
        # what was typed since the last save.
        if self._finished or self._typed == self._saved:
            return
        self._finished = True
        with contextlib.suppress(Exception):
            text = self._typed
            await self.service.save_draft(
                self.agent, self.draft.id, to=text.to, cc=text.cc, bcc=text.bcc,
                subject=text.subject, body=text.body, html_body=self._html_of(text))

    def _html_of(self, text: DraftText) -> str | None:
        """The HTML part to send with `text`, if an HTML saved reply still stands in it."""
        if self._html_reply is None:
            return None
        return html_alternative(text.body, *self._html_reply)

    # Review and send

    def action_review(self) -> None:
        self.review()

    @work(exclusive=True, group="compose-step", exit_on_error=False)
    async def review(self) -> None:
        self._stop_timer()
        if not await self.save():
            return
        step = ReviewScreen(self.service, self.agent, self.draft)
        result = await self.app.push_screen_wait(step)
        self._show_draft(step.draft)
        if result in ("sent", "saved", "discarded"):
            self._close(result)
        else:
            self.query_one("#compose-body", TextArea).focus()

    def _show_draft(self, draft: Draft) -> None:
        self.draft = draft
        self.query_one("#compose-title", Static).update(compose_title(draft))
        self.query_one("#compose-attachments", Static).update(
            attachments_line(draft, self._key_of("attach")))

    # Attachments

    def action_attach(self) -> None:
        self.attach()

    @work(exclusive=True, group="compose-step", exit_on_error=False)
    async def attach(self) -> None:
        done = await attach_asked(self, self.service, self.agent, self.draft)
        if done is not None:
            self._show_draft(done)

    # Saved replies

    def action_insert_template(self) -> None:
        self.insert_template()

    @work(exclusive=True, group="compose-step", exit_on_error=False)
    async def insert_template(self) -> None:
        try:
            templates = await self.service.list_templates(self.agent)
        except FrontdeskError as exc:
            self.notify(str(exc), title="Saved replies", severity="error", markup=False)
            return
        if not templates:
            self.notify("No saved replies yet: `frontdesk template add NAME --file FILE` "
                        "adds one.", title="Saved replies", markup=False)
            return
        name = await self.app.push_screen_wait(TemplatePicker(templates))
        if name is None:
            return
        source = self.draft.source_id
        try:
            rendered = await self.service.render_template(
                self.agent, name, message_id=source,
                account=self.draft.account if source is None else None)
        except FrontdeskError as exc:
            self.notify(str(exc), title="Saved replies", severity="error", markup=False)
            return
        body = self.query_one("#compose-body", TextArea)
        if rendered.html is not None:
            self._html_reply = (rendered.text, rendered.html)
            self.notify(f"{name} also goes out as HTML while its text here is left as "
                        "it is.", title="Saved reply", markup=False)
        done = body.insert(rendered.text)
        body.move_cursor(done.end_location)
        body.focus()

    # The agent's own editor

    def _run_suspended(self, argv: Sequence[str]) -> int:
        try:
            with self.app.suspend():
                return run_command(argv)
        except SuspendNotSupported:
            raise EditorError("this terminal cannot hand over to an editor; write the "
                              "mail here") from None

    def action_edit_in_editor(self) -> None:
        self._stop_timer()
        before = self.current_text()
        try:
            edited = edit_draft(before, self.run_editor)
        except EditorError as exc:
            self.notify(str(exc), title="Editor", severity="error", markup=False)
            return
        if edited != before:
            self._show_text(edited)
        self.query_one("#compose-body", TextArea).focus()
        self.save_now()
