"""The review step before a draft is sent: every header, the attachments and the start
of the body, then y to send (queue it in the outbox), e to edit again, f to change the
account it goes out from, a to attach a file, x to remove one, s to keep it as a draft,
d to discard it.

Addresses, subjects and quoted text are mail text: shown as plain Content only.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static

from engine.errors import FrontdeskError
from engine.models import Account, Agent, Draft
from engine.service import Service
from tui.screens.dialogs import Choice, Confirm

BODY_LINES = 8
NO_SUBJECT = "(no subject)"


def subject_of(draft: Draft) -> str:
    return draft.subject.strip() or NO_SUBJECT


def size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def attachments_text(draft: Draft) -> str:
    """One line naming the attachments with their sizes ("" for none)."""
    return ", ".join(f"{a.filename} ({size_text(a.size)})" for a in draft.attachments)


def sender_text(draft: Draft) -> str:
    name = draft.from_name.strip()
    return f"{name} <{draft.from_addr}>" if name else draft.from_addr


def draft_headers(draft: Draft) -> Content:
    """From, To, Cc, Bcc, Subject and the attachments, one per line, as plain text."""
    rows = [("From", f"{sender_text(draft)}  ({draft.account})"),
            ("To", ", ".join(draft.to)), ("Cc", ", ".join(draft.cc)),
            ("Bcc", ", ".join(draft.bcc)), ("Subject", subject_of(draft)),
            ("Attached", attachments_text(draft)),
            ("Format", "plain text" if draft.html_body is None else "plain text and HTML")]
    parts: list[str | tuple[str, str]] = []
    for label, value in rows:
        if parts:
            parts.append("\n")
        parts += [(f"{label:<9}", "bold"), value or ("—", "dim")]
    return Content.assemble(*parts)


def body_start(body: str, lines: int = BODY_LINES) -> Content:
    shown = body.split("\n")
    more = len(shown) > lines
    text = "\n".join(shown[:lines])
    if more:
        return Content.assemble(text, ("\n…", "dim"))
    return Content(text)


class AskPath(ModalScreen[str | None]):
    """A file path typed by the agent (a file on the server the console runs on)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str = "Attach a file") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide"):
            yield Static(Content(self.title_text), classes="dialog-text")
            yield Input(placeholder="path, e.g. ~/quote.pdf", id="ask-path")
            yield Static(Content("Enter: attach    Esc: cancel"), classes="dialog-keys")

    def on_mount(self) -> None:
        self.query_one("#ask-path", Input).focus()

    @on(Input.Submitted, "#ask-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        self.dismiss(path or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


async def attach_asked(screen: Screen[Any], service: Service, agent: Agent,
                       draft: Draft) -> Draft | None:
    """Ask for a path and attach that file; the draft as it is now, or None when
    nothing was attached (cancelled, or the file could not be read: said in a
    notification). Runs in a worker of `screen`."""
    path: str | None = await screen.app.push_screen_wait(AskPath())
    if path is None:
        return None
    try:
        done = await service.attach_file(agent, draft.id, path)
    except FrontdeskError as exc:
        screen.notify(str(exc), title="Attach", severity="error", markup=False)
        return None
    screen.notify(f"Attached {done.attachments[-1].filename}." if done.attachments
                  else "Attached.", markup=False)
    return done


def account_choices(accounts: list[Account]) -> list[tuple[str, str, str]]:
    """Accounts as choices of a Choice dialog: name, a digit key for the first nine."""
    return [(a.name, str(n) if n < 10 else "", f"{a.name}  {a.display_name} <{a.email}>")
            for n, a in enumerate(accounts, start=1)]


async def detach_asked(screen: Screen[Any], service: Service, agent: Agent,
                       draft: Draft) -> Draft | None:
    """Ask which attachment to remove (or confirm the only one) and remove it; the draft
    as it is now, or None when nothing was removed."""
    if not draft.attachments:
        screen.notify("Nothing is attached.", markup=False)
        return None
    if len(draft.attachments) == 1:
        only = draft.attachments[0]
        sure = await screen.app.push_screen_wait(
            Confirm(f"Remove the attachment {only.filename}?", yes="remove", no="keep"))
        index: int | None = 0 if sure else None
    else:
        choices = [(str(i), str(i + 1) if i < 9 else "", f"{a.filename} ({size_text(a.size)})")
                   for i, a in enumerate(draft.attachments)]
        chosen = await screen.app.push_screen_wait(Choice("Remove the attachment:", choices))
        index = None if chosen is None else int(chosen)
    if index is None:
        return None
    name = draft.attachments[index].filename
    try:
        done = await service.detach_file(agent, draft.id, index)
    except FrontdeskError as exc:
        screen.notify(str(exc), title="Remove attachment", severity="error", markup=False)
        return None
    screen.notify(f"Removed {name}.", markup=False)
    return done


class ReviewScreen(ModalScreen[str | None]):
    """The draft as it will go out. Dismissed with "sent", "saved", "discarded", or
    "edit" (back to the compose screen); `draft` holds the draft as it is now."""

    BINDINGS = [
        Binding("y", "send", "Send"),
        Binding("e,escape,q", "edit", "Edit"),
        Binding("f", "change_from", "From"),
        Binding("a", "attach", "Attach"),
        Binding("x", "detach", "Remove attachment"),
        Binding("s", "save", "Save as draft"),
        Binding("d", "discard", "Discard"),
    ]

    def __init__(self, service: Service, agent: Agent, draft: Draft) -> None:
        super().__init__(classes="dialog-screen")
        self.service = service
        self.agent = agent
        self.draft = draft

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog dialog-wide", id="review"):
            yield Static(Content("Send this message?"), classes="dialog-text")
            yield Static(draft_headers(self.draft), id="review-headers")
            with VerticalScroll(id="review-body-scroll"):
                yield Static(body_start(self.draft.body), id="review-body")
            yield Static(Content("y: send    e / Esc: edit    f: from    a: attach    "
                                 "x: remove attachment    s: save as draft    d: discard"),
                         classes="dialog-keys")

    def _show(self, draft: Draft) -> None:
        self.draft = draft
        self.query_one("#review-headers", Static).update(draft_headers(draft))

    def action_send(self) -> None:
        self.send()

    @work(exclusive=True, group="review", exit_on_error=False)
    async def send(self) -> None:
        try:
            sent = await self.service.send_draft(self.agent, self.draft.id)
        except FrontdeskError as exc:
            self.notify(str(exc), title="Not sent", severity="error", markup=False)
            return
        self.draft = sent
        self.notify(f"Queued: {subject_of(sent)} — the engine sends it", markup=False)
        self.dismiss("sent")

    def action_edit(self) -> None:
        self.dismiss("edit")

    def action_attach(self) -> None:
        self.attach()

    @work(exclusive=True, group="review", exit_on_error=False)
    async def attach(self) -> None:
        done = await attach_asked(self, self.service, self.agent, self.draft)
        if done is not None:
            self._show(done)

    def action_detach(self) -> None:
        self.detach()

    @work(exclusive=True, group="review", exit_on_error=False)
    async def detach(self) -> None:
        done = await detach_asked(self, self.service, self.agent, self.draft)
        if done is not None:
            self._show(done)

    def action_change_from(self) -> None:
        self.change_from()

    @work(exclusive=True, group="review", exit_on_error=False)
    async def change_from(self) -> None:
        try:
            accounts = await self.service.list_accounts(self.agent)
        except FrontdeskError as exc:
            self.notify(str(exc), title="From", severity="error", markup=False)
            return
        others = [a for a in accounts if a.id != self.draft.account_id]
        if not others:
            self.notify("You have no other account to send from.", markup=False)
            return
        chosen = await self.app.push_screen_wait(
            Choice("Send it from:", account_choices(accounts)))
        if chosen is None or chosen == self.draft.account:
            return
        draft = self.draft
        try:
            moved = await self.service.save_draft(
                self.agent, draft.id, to=", ".join(draft.to), cc=", ".join(draft.cc),
                bcc=", ".join(draft.bcc), subject=draft.subject, body=draft.body,
                account=chosen, html_body=draft.html_body)
        except FrontdeskError as exc:
            self.notify(str(exc), title="From", severity="error", markup=False)
            return
        self._show(moved)

    def action_save(self) -> None:
        self.notify(f"Kept in your drafts: {subject_of(self.draft)}", markup=False)
        self.dismiss("saved")

    def action_discard(self) -> None:
        self.discard()

    @work(exclusive=True, group="review", exit_on_error=False)
    async def discard(self) -> None:
        sure = await self.app.push_screen_wait(
            Confirm(f'Discard the draft "{subject_of(self.draft)}"? It cannot be undone.',
                    yes="discard it", no="keep it"))
        if not sure:
            return
        try:
            await self.service.discard_draft(self.agent, self.draft.id)
        except FrontdeskError as exc:
            self.notify(str(exc), title="Discard", severity="error", markup=False)
            return
        self.notify(f"Discarded: {subject_of(self.draft)}", markup=False)
        self.dismiss("discarded")
