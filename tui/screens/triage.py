"""The triage keys of the main screen: pair, add customer, block, convert, delete,
archive (and undo), the customer timeline, the block list and the cases. Each acts on
the marked messages (v), else on the one under the cursor, through the Service; the list
and folder counts then reload through the screen's change check (the one path every
change takes).

Every text shown here that came from mail or from a customer record is plain Content or
a notification with markup off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work

from engine.errors import ConflictError, FrontdeskError
from engine.models import Agent, Customer, MessageSummary, SenderCard
from engine.service import Service
from tui.screens.blocks import BlocksScreen
from tui.screens.cases import CasesScreen
from tui.screens.customer_form import CustomerDraft, CustomerForm
from tui.screens.customer_picker import CustomerPicker
from tui.screens.dialogs import Choice, Confirm
from tui.screens.timeline import TimelineScreen
from tui.widgets.message_list import MessageList

if TYPE_CHECKING:
    from textual.screen import Screen

    from tui.config import Options

    _Base = Screen[None]
else:
    _Base = object

NO_MESSAGE = "No message selected."


class TriageActions(_Base):
    """Mixed into MainScreen, which provides service, agent and the message list."""

    service: Service
    agent: Agent
    _last_removed: tuple[int, ...] = ()  # what the last delete or archive took (U undoes)

    if TYPE_CHECKING:

        @property
        def options(self) -> Options: ...  # MainScreen's

        def check_for_changes(self) -> object: ...  # MainScreen's: reloads what changed

    def _selected_message(self) -> MessageSummary | None:
        message = self.query_one(MessageList).selected
        if message is None:
            self.notify(NO_MESSAGE, markup=False)
        return message

    def _targets(self) -> list[MessageSummary]:
        """The marked messages, else the one under the cursor."""
        messages = self.query_one(MessageList)
        if messages.marked:
            return messages.marked
        message = self._selected_message()
        return [] if message is None else [message]

    def _done_with_marks(self) -> None:
        self.query_one(MessageList).clear_marks()

    def _failed(self, exc: FrontdeskError, title: str) -> None:
        self.notify(str(exc), title=title, severity="error", markup=False)

    async def _sender(self, message: MessageSummary, title: str) -> SenderCard | None:
        try:
            card = await self.service.sender_of(self.agent, message.id)
        except FrontdeskError as exc:
            self._failed(exc, title)
            return None
        if not card.address:
            self.notify("This message has no sender address.", title=title,
                        severity="warning", markup=False)
            return None
        return card

    async def _confirm_move(self, exc: ConflictError) -> bool:
        return bool(await self.app.push_screen_wait(
            Confirm(f"{exc} Move the address to this customer?",
                    yes="move it", no="stop")))

    # Pair and add customer

    async def _senders(self, targets: list[MessageSummary],
                       title: str) -> list[tuple[MessageSummary, SenderCard]]:
        """The distinct sender addresses of `targets`, with a message of each."""
        found: dict[str, tuple[MessageSummary, SenderCard]] = {}
        for message in targets:
            card = await self._sender(message, title)
            if card is not None:
                found.setdefault(card.address, (message, card))
        return list(found.values())

    def action_pair(self) -> None:
        targets = self._targets()
        if targets:
            self.pair(targets)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def pair(self, targets: list[MessageSummary]) -> None:
        senders = await self._senders(targets, "Pair")
        if not senders:
            return
        named = senders[0][1].address if len(senders) == 1 else f"{len(senders)} senders"
        chosen: Customer | None = await self.app.push_screen_wait(
            CustomerPicker(self.service, self.agent, title=f"Pair {named} with:"))
        if chosen is None:
            return
        paired: list[str] = []
        for message, card in senders:
            move = False
            while True:
                try:
                    customer = await self.service.pair_sender(
                        self.agent, message.id, chosen.id, move=move)
                except ConflictError as exc:
                    if move or not await self._confirm_move(exc):
                        break
                    move = True
                    continue
                except FrontdeskError as exc:
                    self._failed(exc, "Pair")
                    break
                paired.append(card.address)
                chosen = customer
                break
        self._done_with_marks()
        if paired:
            self.notify(f"{', '.join(paired)} is now {chosen.name}'s."
                        if len(paired) == 1 else
                        f"{len(paired)} senders are now {chosen.name}'s.",
                        title="Paired", markup=False)
            self.check_for_changes()  # the rows lose their "Author not found" mark

    def action_add_customer(self) -> None:
        message = self._selected_message()
        if message is not None:
            self.add_customer(message)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def add_customer(self, message: MessageSummary) -> None:
        card = await self._sender(message, "Add customer")
        if card is None:
            return
        if card.customer is not None:
            self.notify(f"{card.address} already belongs to {card.customer.name}; "
                        "t shows the timeline.", title="Add customer", markup=False)
            return
        draft: CustomerDraft | None = await self.app.push_screen_wait(CustomerForm(card))
        if draft is None:
            return
        move = False
        while True:
            try:
                customer = await self.service.add_customer(
                    self.agent, name=draft.name, company=draft.company,
                    addresses=draft.addresses, notes=draft.notes, move=move)
            except ConflictError as exc:
                if move or not await self._confirm_move(exc):
                    return
                move = True
                continue
            except FrontdeskError as exc:
                self._failed(exc, "Add customer")
                return
            break
        self.notify(f"Customer {customer.name} added.", title="Add customer", markup=False)
        self.check_for_changes()

    # Block

    def action_block(self) -> None:
        targets = self._targets()
        if targets:
            self.block(targets)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def block(self, targets: list[MessageSummary]) -> None:
        senders = await self._senders(targets, "Block")
        if not senders:
            return
        addresses = [card.address for _, card in senders]
        domains = sorted({card.domain for _, card in senders if card.domain})
        choices = [("address", "a", f"the address {', '.join(addresses)}"
                    if len(addresses) == 1 else f"these {len(addresses)} addresses")]
        if domains:
            choices.append(("domain", "d", f"the whole domain {domains[0]}"
                            if len(domains) == 1 else f"these {len(domains)} whole domains"))
        kind = await self.app.push_screen_wait(Choice("Block, on its mailbox:", choices))
        if kind is None:
            return
        blocked: list[str] = []
        for message, card in senders:
            if kind == "domain" and card.domain in blocked:
                continue
            try:
                entry = await self.service.block_sender(self.agent, message.id, kind)
            except FrontdeskError as exc:
                self._failed(exc, "Block")
                continue
            blocked.append(entry.value)
        self._done_with_marks()
        if blocked:
            self.notify(f"Blocked {', '.join(blocked)}: mail from it is hidden and no "
                        "longer imported. The block list (palette) undoes it.",
                        title="Block", markup=False)
        self.check_for_changes()

    def action_blocks(self) -> None:
        self.app.push_screen(BlocksScreen(self.service, self.agent),
                             lambda _: self.check_for_changes())

    def action_cases(self) -> None:
        self.app.push_screen(CasesScreen(self.service, self.agent),
                             lambda _: self.check_for_changes())

    # Convert

    def action_convert(self, kind: str) -> None:
        targets = self._targets()
        if targets:
            self.convert(targets, kind)

    @work(exclusive=True, group="triage", exit_on_error=False)
    async def convert(self, targets: list[MessageSummary], kind: str) -> None:
        title = f"Convert to {kind}"
        seen_threads: set[int] = set()
        for message in targets:
            if message.thread_id is not None:
                if message.thread_id in seen_threads:
                    continue
                seen_threads.add(message.thread_id)
            try:
                made = await self.service.convert(self.agent, message.id, kind)
            except FrontdeskError as exc:
                self._failed(exc, title)
                continue
            what = f"case {made.label}" if made.kind == "case" else f"lead {made.label}"
            text = (f"The thread is now {what}." if made.created
                    else f"The thread is already {what}.")
            self.notify(text, title=title, markup=False)
        self._done_with_marks()

    # Delete and archive

    def action_delete(self) -> None:
        targets = self._targets()
        if targets:
            self.remove_messages(targets, "delete")

    def action_archive(self) -> None:
        targets = self._targets()
        if targets:
            self.remove_messages(targets, "archive")

    @work(group="triage-remove", exit_on_error=False)
    async def remove_messages(self, targets: list[MessageSummary], how: str) -> None:
        done: list[MessageSummary] = []
        for message in targets:
            try:
                # seen_in: moved meanwhile by another agent -> GoneError, not a second
                # move (from Trash, that would delete it for good).
                if how == "delete":
                    await self.service.delete_message(self.agent, message.id,
                                                      seen_in=message.folder_id)
                else:
                    await self.service.archive_message(self.agent, message.id,
                                                       seen_in=message.folder_id)
            except FrontdeskError as exc:
                self._failed(exc, how.capitalize())
                continue
            done.append(message)
        self._done_with_marks()
        if done:
            self._last_removed = tuple(m.id for m in done)
            verb = "Moved to Trash" if how == "delete" else "Archived"
            self.notify(f"{verb}: {_what(done)}. {self._undo_hint()}", markup=False)
        self.check_for_changes()

    def _undo_hint(self) -> str:
        keys: str = getattr(self.app, "key_bindings", {}).get("message.undo", "")
        shown = keys.split(",")[0] if keys else ""
        return f"{shown} undoes." if shown else "Undo is in the command palette."

    def action_undo_remove(self) -> None:
        ids = self._last_removed
        if not ids:
            self.notify("Nothing to undo: no message was deleted or archived here.",
                        title="Undo", markup=False)
            return
        self._last_removed = ()
        self.undo_remove(ids)

    @work(group="triage-remove", exit_on_error=False)
    async def undo_remove(self, ids: tuple[int, ...]) -> None:
        back: list[str] = []
        for message_id in ids:
            try:
                done = await self.service.restore_message(self.agent, message_id)
            except FrontdeskError as exc:
                self._failed(exc, "Undo")
                continue
            back.append(done.folder or "")
        if back:
            where = back[0] if len(set(back)) == 1 else "their folders"
            count = "1 message" if len(back) == 1 else f"{len(back)} messages"
            self.notify(f"Back in {where}: {count}.", title="Undo", markup=False)
        self.check_for_changes()

    # Timeline

    def action_timeline(self) -> None:
        message = self._selected_message()
        if message is None:
            return
        if message.customer_id is None:
            self.notify("Author not found: pair the sender (p) or add a customer (c) "
                        "first.", title="Timeline", markup=False)
            return
        badges = self.query_one(MessageList).badges
        self.app.push_screen(TimelineScreen(self.service, self.agent, message.customer_id,
                                            badges=badges, html=self.options.html))


def _what(done: list[MessageSummary]) -> str:
    if len(done) == 1:
        return done[0].subject or "(no subject)"
    return f"{len(done)} messages"
