"""The agent's unsent drafts, and the outbox (queued, sent and failed mail).

Both are dismissed with the draft to open in the compose screen, or None. Subjects and
addresses are plain Content.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from engine.errors import FrontdeskError
from engine.models import Agent, Draft
from engine.service import Service
from tui.screens.dialogs import Confirm
from tui.screens.list_keys import LIST_KEYS
from tui.screens.review import subject_of

STATE_STYLES = {"queued": "italic", "sent": "dim", "failed": "bold"}


def when(stamp: str | None) -> str:
    """A stored timestamp as "2026-03-01 14:05"."""
    return (stamp or "")[:16].replace("T", " ")


def recipients(draft: Draft) -> str:
    everyone = (*draft.to, *draft.cc, *draft.bcc)
    if not everyone:
        return "no recipient yet"
    shown = ", ".join(everyone[:2])
    return shown + (f" +{len(everyone) - 2}" if len(everyone) > 2 else "")


def draft_label(draft: Draft) -> Content:
    """Subject, recipients, account and when it was last saved."""
    return Content.assemble(
        subject_of(draft), "  ", (recipients(draft), "italic"),
        "  ", (f"{draft.account} · saved {when(draft.updated_at)}", "dim"),
    )


def outbox_label(draft: Draft) -> Content:
    """State, subject, recipients, the time; a failed one also says why."""
    stamp = draft.sent_at if draft.state == "sent" else draft.queued_at or draft.updated_at
    parts: list[str | tuple[str, str]] = [
        (f"{draft.state:<7}", STATE_STYLES.get(draft.state, "")), " ", subject_of(draft),
        "  ", (recipients(draft), "italic"), "  ", (when(stamp), "dim"),
    ]
    if draft.state == "failed" and draft.error:
        parts += ["\n        ", (draft.error, "italic")]
    return Content.assemble(*parts)


class _DraftList(Screen[Draft | None]):
    """A list of the agent's outgoing mail, newest first."""

    TITLE_TEXT = ""
    EMPTY_TEXT = ""
    KEYS_TEXT = ""
    BINDINGS = [
        *LIST_KEYS,
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.entries: list[Draft] = []

    def compose(self) -> ComposeResult:
        yield Static(Content(self.TITLE_TEXT), classes="screen-title")
        yield OptionList(id="draft-list")
        yield Static(Content(self.KEYS_TEXT), classes="screen-keys")

    def on_mount(self) -> None:
        self.load()

    async def fetch(self) -> list[Draft]:
        raise NotImplementedError

    def label(self, draft: Draft) -> Content:
        raise NotImplementedError

    @work(exclusive=True, group="draft-list", exit_on_error=False)
    async def load(self) -> None:
        try:
            self.entries = await self.fetch()
        except FrontdeskError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        shown = self.query_one("#draft-list", OptionList)
        keep = shown.highlighted or 0
        shown.clear_options()
        if not self.entries:
            shown.add_option(Option(Content(self.EMPTY_TEXT), disabled=True))
            return
        shown.add_options(Option(self.label(d), id=str(d.id)) for d in self.entries)
        shown.highlighted = min(keep, len(self.entries) - 1)
        shown.focus()

    def highlighted(self) -> Draft | None:
        shown = self.query_one("#draft-list", OptionList)
        if self.entries and shown.highlighted is not None:
            return self.entries[shown.highlighted]
        return None


    @on(OptionList.OptionSelected, "#draft-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        found = [d for d in self.entries if str(d.id) == event.option.id]
        if found:
            self.open(found[0])

    def open(self, draft: Draft) -> None:
        self.dismiss(draft)

    def action_close(self) -> None:
        self.dismiss(None)


class DraftsScreen(_DraftList):
    """Unsent drafts: Enter opens one to go on writing, x discards it."""

    TITLE_TEXT = "Drafts: unsent mail"
    EMPTY_TEXT = "No unsent drafts."
    KEYS_TEXT = "Enter: open    x: discard    Esc: back"
    BINDINGS = [Binding("x,delete", "discard", "Discard")]

    async def fetch(self) -> list[Draft]:
        return await self.service.list_drafts(self.agent)

    def label(self, draft: Draft) -> Content:
        return draft_label(draft)

    def action_discard(self) -> None:
        draft = self.highlighted()
        if draft is not None:
            self.discard(draft)

    @work(group="draft-change", exit_on_error=False)
    async def discard(self, draft: Draft) -> None:
        sure = await self.app.push_screen_wait(
            Confirm(f'Discard the draft "{subject_of(draft)}"? It cannot be undone.',
                    yes="discard it", no="keep it"))
        if not sure:
            return
        try:
            await self.service.discard_draft(self.agent, draft.id)
        except FrontdeskError as exc:
            self.notify(str(exc), title="Discard", severity="error", markup=False)
            return
        self.notify(f"Discarded: {subject_of(draft)}", markup=False)
        self.load()


class OutboxScreen(_DraftList):
    """Queued, sent and failed mail; Enter on a failed one opens it again as a draft."""

    TITLE_TEXT = "Outbox: queued, sent and failed mail"
    EMPTY_TEXT = "Nothing sent yet."
    KEYS_TEXT = "Enter: open a failed one again as a draft    Esc: back"

    async def fetch(self) -> list[Draft]:
        return await self.service.outbox(self.agent)

    def label(self, draft: Draft) -> Content:
        return outbox_label(draft)

    def open(self, draft: Draft) -> None:
        if draft.state != "failed":
            what = "is waiting to be sent" if draft.state == "queued" else "was sent"
            self.notify(f"{subject_of(draft)} {what}; it can no longer change.",
                        markup=False)
            return
        self.reopen(draft)

    @work(group="draft-change", exit_on_error=False)
    async def reopen(self, draft: Draft) -> None:
        try:
            again = await self.service.reopen_draft(self.agent, draft.id)
        except FrontdeskError as exc:
            self.notify(str(exc), title="Reopen", severity="error", markup=False)
            return
        self.dismiss(again)
