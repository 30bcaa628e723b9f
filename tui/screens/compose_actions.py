"""The writing keys of the main screen: r reply, R reply all, f forward (the message
under the cursor) and m new mail; the drafts and the outbox from the palette; and, when
the console opens, the offer of drafts left unsent (a dropped session loses nothing).

Each starts the draft through the Service, which saves it prefilled, then opens the
compose screen on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from engine.errors import FrontdeskError, InvalidInputError
from engine.models import Agent, Draft
from engine.service import Service
from tui.screens.compose import ComposeScreen
from tui.screens.dialogs import Choice
from tui.screens.drafts import DraftsScreen, OutboxScreen
from tui.screens.review import account_choices
from tui.widgets.message_list import MessageList

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[None]
else:
    _Base = object

TITLES = {"reply": "Reply", "reply_all": "Reply all", "forward": "Forward",
          "new": "New mail"}


def unsent_note(count: int) -> str:
    if count == 1:
        return "1 unsent draft: open it from the palette (Drafts)"
    return f"{count} unsent drafts: open them from the palette (Drafts)"


class ComposeActions(_Base):
    """Mixed into MainScreen, which provides service, agent and the message list."""

    service: Service
    agent: Agent

    if TYPE_CHECKING:

        def check_for_changes(self) -> object: ...  # MainScreen's: reloads what changed

    async def on_mount(self) -> None:
        # Called by Textual besides MainScreen's own on_mount (handlers run for each
        # class that defines one).
        self.offer_drafts()

    @work(group="drafts-offer", exit_on_error=False)
    async def offer_drafts(self) -> None:
        try:
            unsent = await self.service.list_drafts(self.agent)
        except FrontdeskError:
            return
        if unsent:
            self.notify(unsent_note(len(unsent)), title="Drafts", markup=False)

    # r, R, f, m

    def action_reply(self) -> None:
        self._answer("reply")

    def action_reply_all(self) -> None:
        self._answer("reply_all")

    def action_forward(self) -> None:
        self._answer("forward")

    def _answer(self, kind: str) -> None:
        message = self.query_one(MessageList).selected
        if message is None:
            self.notify("No message selected.", title=TITLES[kind], markup=False)
            return
        self.start_draft(kind, message.id)

    def action_new_mail(self) -> None:
        self.start_draft("new", None)

    @work(exclusive=True, group="compose-start", exit_on_error=False)
    async def start_draft(self, kind: str, message_id: int | None) -> None:
        try:
            draft = await self.service.start_draft(self.agent, kind, message_id=message_id)
        except InvalidInputError as exc:
            if kind != "new":
                self._failed(exc, kind)
                return
            # No main account: ask which account the mail goes out from.
            account = await self._choose_account(exc)
            if account is None:
                return
            try:
                draft = await self.service.start_draft(self.agent, kind, account=account)
            except FrontdeskError as again:
                self._failed(again, kind)
                return
        except FrontdeskError as exc:
            self._failed(exc, kind)
            return
        self.open_compose(draft)

    async def _choose_account(self, exc: InvalidInputError) -> str | None:
        try:
            accounts = await self.service.list_accounts(self.agent)
        except FrontdeskError:
            accounts = []
        if len(accounts) < 2:
            self._failed(exc, "new")
            return None
        chosen: str | None = await self.app.push_screen_wait(
            Choice("Send the new mail from:", account_choices(accounts)))
        return chosen

    def _failed(self, exc: FrontdeskError, kind: str) -> None:
        self.notify(str(exc), title=TITLES[kind], severity="error", markup=False)

    def open_compose(self, draft: Draft) -> None:
        """The compose screen on `draft`; the list reloads when it closes (a sent
        message shows in Sent)."""
        self.app.push_screen(ComposeScreen(self.service, self.agent, draft),
                             self._compose_closed)

    def _compose_closed(self, result: str | None) -> None:
        self.check_for_changes()

    # Drafts and outbox (palette)

    def action_drafts(self) -> None:
        self.app.push_screen(DraftsScreen(self.service, self.agent), self._reopen)

    def action_outbox(self) -> None:
        self.app.push_screen(OutboxScreen(self.service, self.agent), self._reopen)

    def _reopen(self, draft: Draft | None) -> None:
        if draft is not None:
            self.open_compose(draft)
