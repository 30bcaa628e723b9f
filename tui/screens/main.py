"""The main screen: folders | message list over preview, the search bar, a status line
with sync health, the key hints. It holds the Listing on show and keeps it live."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Protocol, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from engine.errors import AccessDeniedError, FrontdeskError
from engine.listing import Listing
from engine.lock import EngineBusyError
from engine.models import Agent, MessageView
from engine.service import Service
from engine.sync.progress import SyncEvent
from tui import keymap
from tui.config import Options
from tui.messages import OptionsChanged
from tui.screens.accounts import AccountsScreen
from tui.screens.compose_actions import ComposeActions
from tui.screens.listing_source import ListingSource
from tui.screens.rules import RulesScreen
from tui.screens.settings import SettingsScreen
from tui.screens.triage import TriageActions
from tui.screens.why import WhyScreen
from tui.screens.wizard import AccountWizardScreen
from tui.widgets.folder_tree import FolderRef, FolderTree
from tui.widgets.key_bar import KeyBar
from tui.widgets.message_list import MessageList
from tui.widgets.preview import Preview
from tui.widgets.search_bar import SearchBar
from tui.widgets.status_bar import StatusBar

# Seconds between checks of the store's change marker (live refresh) and of sync health.
POLL_EVERY = 1.0
HEALTH_EVERY = 5.0
# When the cursor moves again this soon after the last move (a held key), the preview
# waits this long for it to come to rest before reading the message.
PREVIEW_BURST = 0.1
PREVIEW_SETTLE = 0.06
# How long a message must stay in the preview before auto-mark-read marks it, so that
# scrolling past messages with j does not mark them all.
READ_DWELL = 0.5


class _OptionsApp(Protocol):
    options: Options

    def set_options(self, options: Options) -> None: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MainScreen(TriageActions, ComposeActions, Screen[None]):
    BINDINGS = [
        keymap.binding("main.back", "back", show=False),
        keymap.binding("main.next_pane", "app.focus_next", show=False),
        keymap.binding("main.prev_pane", "app.focus_previous", show=False),
        keymap.binding("main.search", "search"),
        keymap.binding("main.next_result", "next_result", show=False),
        keymap.binding("main.prev_result", "prev_result", show=False),
        keymap.binding("main.threads", "threads"),
        keymap.binding("main.toggle_read", "toggle_read"),
        keymap.binding("main.flag", "flag"),
        keymap.binding("message.reply", "reply", show=False),
        keymap.binding("message.reply_all", "reply_all", show=False),
        keymap.binding("message.forward", "forward", show=False),
        keymap.binding("message.new", "new_mail", show=False),
        keymap.binding("message.delete", "delete", show=False),
        keymap.binding("message.archive", "archive", show=False),
        keymap.binding("message.undo", "undo_remove", show=False),
        keymap.binding("customer.pair", "pair", show=False),
        keymap.binding("customer.add", "add_customer", show=False),
        keymap.binding("sender.block", "block", show=False),
        keymap.binding("convert.lead", "convert('lead')", show=False),
        keymap.binding("convert.case", "convert('case')", show=False),
        keymap.binding("customer.timeline", "timeline", show=False),
        keymap.binding("message.why", "why", show=False),
    ]
    PALETTE_ACTIONS: list[tuple[str, str]] = [
        ("Show only unread messages (toggle)", "toggle_unread_only"),
        ("Block list: review and unblock", "blocks"),
        ("Drafts: unsent mail", "drafts"),
        ("Outbox: queued, sent and failed mail", "outbox"),
        ("Accounts: sync health and sign-in", "accounts"),
        ("Rules: auto-responses and filters", "rules"),
        ("Add an account: set up a mailbox step by step", "account_wizard"),
        ("Settings: console, accounts and administration", "settings"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def __init__(self, service: Service, agent: Agent, *, run_engine: bool = True) -> None:
        super().__init__()
        # The console syncs while it is open when no other engine runs on the store:
        # "here" (this console syncs), "elsewhere" (another engine does), "stopped".
        self.run_engine = run_engine
        self.engine = "starting" if run_engine else "stopped"
        self._engine_stop = asyncio.Event()
        self._engine_task: asyncio.Task[None] | None = None
        self.service = service
        self.agent = agent
        self.clock: Callable[[], datetime] = _utc_now
        self.folder: FolderRef | None = None
        self.search: str | None = None
        self.unread_only = False
        self._local_options: Options | None = None
        self._applied: Options | None = None
        self._folder_selection: int | None = None
        self._marker: int | None = None
        self._read_timer: Timer | None = None
        # Accounts the agent may only read: auto-mark-read leaves their mail as it is.
        self._read_only: set[int] = set()
        self._last_highlight = 0.0

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield FolderTree(id="folders")
            with Vertical(id="reading"):
                yield MessageList(id="messages", on_loaded=self._list_loaded)
                yield Preview(id="preview")
        yield SearchBar(id="search")
        yield StatusBar(id="status")
        yield KeyBar()

    async def on_mount(self) -> None:
        self._applied = self.options
        self.query_one(Preview).show_note("Loading…")
        # The first check records where the store stands; later ones compare with it.
        self.check_for_changes()
        self.load_folders(initial=True)
        self.refresh_health()
        self.set_interval(POLL_EVERY, self._poll)
        self.set_interval(HEALTH_EVERY, self.refresh_health)
        if self.run_engine:
            self.sync_engine()

    # Options

    @property
    def options(self) -> Options:
        """The console's options: the app's, or this screen's own when it has none."""
        if self._local_options is not None:
            return self._local_options
        found = getattr(self.app, "options", None)
        return found if isinstance(found, Options) else Options()

    def _save_options(self, options: Options) -> None:
        if callable(getattr(self.app, "set_options", None)):
            cast(_OptionsApp, self.app).set_options(options)
        else:
            self._local_options = options
        self._apply_options(options)

    @on(OptionsChanged)
    def _options_changed(self, event: OptionsChanged) -> None:
        self._apply_options(event.options)

    def _apply_options(self, options: Options) -> None:
        before, self._applied = self._applied, options
        self.query_one(Preview).set_html(options.html)
        if not options.auto_mark_read:
            self._cancel_read_timer()
        if before is not None and before.threads != options.threads and self.search is None:
            self._show_listing(keep_selection=True)

    # What the list shows

    def current_listing(self) -> Listing:
        """The Listing on show: the open folder, or the search over every visible mail."""
        if self.search is not None:
            return Listing(scope="all", query=self.search, unread_only=self.unread_only)
        scope = self.folder.scope if self.folder is not None else "unified:inbox"
        threads = (self._applied or self.options).threads
        return Listing(scope=scope, unread_only=self.unread_only, threads=threads)

    def _show_listing(self, *, keep_selection: bool = False, select: int | None = None,
                      total: int | None = None) -> None:
        messages = self.query_one(MessageList)
        if keep_selection and messages.selected is not None:
            select = messages.selected.id
        messages.show(ListingSource(self.service, self.agent, self.current_listing(),
                                    total=total), select=select)

    @work(exclusive=True, group="folders", exit_on_error=False)
    async def load_folders(self, initial: bool = False) -> None:
        accounts = await self.service.list_accounts(self.agent)
        folders = await self.service.list_folders(self.agent)
        tree = self.query_one(FolderTree)
        messages = self.query_one(MessageList)
        messages.badges = {a.id: a.name for a in accounts}
        first = tree.load(accounts, folders)
        if self.folder is not None:
            return
        if first is None:
            if initial:
                self.query_one(Preview).show_note(
                    "No mailboxes yet. Try `frontdesk demo`, or add an account."
                )
                self.set_status("no mailboxes")
            return
        messages.focus()
        self.open_folder(first)
        tree.select_scope(first.scope)

    @on(FolderTree.FolderChosen)
    def _folder_chosen(self, event: FolderTree.FolderChosen) -> None:
        same = self.folder is not None and event.folder.scope == self.folder.scope
        if not same or (event.opened and self.search is not None):
            self.open_folder(event.folder)
        if event.opened:
            self.set_focus(self.query_one(MessageList))

    def open_folder(self, folder: FolderRef, *, select: int | None = None) -> None:
        """List a folder (leaving any search)."""
        self.query_one(SearchBar).close()
        self.folder = folder
        self.search = None
        self.query_one(SearchBar).close()
        self._show_listing(select=select)

    def _list_loaded(self, total: int) -> None:
        self._show_summary(total)
        if total == 0:
            self._cancel_read_timer()
            note = ("No messages match." if self.search is not None
                    else "This folder is empty.")
            self.query_one(Preview).show_note(note)

    def _show_summary(self, total: int) -> None:
        listing = self.current_listing()
        noun = "threads" if listing.threads else "messages"
        if self.search is not None:
            text = f"Search: {self.search} · {total} results"
        else:
            label = self.folder.label if self.folder is not None else ""
            text = f"{label} · {total} {noun}"
        if listing.unread_only:
            text += " · unread only"
        marked = len(self.query_one(MessageList).marked)
        if marked:
            text += f" · {marked} marked"
        self.set_status(text)

    @on(MessageList.MarksChanged)
    def _marks_changed(self, event: MessageList.MarksChanged) -> None:
        self._show_summary(self.query_one(MessageList).total)

    def set_status(self, text: str) -> None:
        who = self.agent.display_name or self.agent.name
        self.query_one(StatusBar).show_summary(f"{who} · {text}")

    @property
    def status_text(self) -> str:
        """The status line as shown: the summary, then the sync health."""
        bar = self.query_one(StatusBar)
        return f"{bar.summary} · {bar.health}" if bar.health else bar.summary

    # The preview

    @on(MessageList.Highlighted)
    def _highlighted(self, event: MessageList.Highlighted) -> None:
        self._cancel_read_timer()
        now = time.monotonic()
        burst = now - self._last_highlight < PREVIEW_BURST
        self._last_highlight = now
        self.load_preview(event.message_id, settle=PREVIEW_SETTLE if burst else 0.0)

    @on(MessageList.Opened)
    def _opened(self, event: MessageList.Opened) -> None:
        self.set_focus(self.query_one(Preview))

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def load_preview(self, message_id: int, settle: float = 0.0) -> None:
        if settle:
            # Cancelled by the next move (the worker is exclusive) while a key is held.
            await asyncio.sleep(settle)
        try:
            view = await self.service.open_message(self.agent, message_id)
        except FrontdeskError as exc:
            self.query_one(Preview).show_note(str(exc))
            return
        # The list's own update (a moved cursor, search results) goes out first; a long
        # body takes a while to lay out, and the preview follows one frame later.
        self.call_after_refresh(self._show_preview, view)

    def _show_preview(self, view: MessageView) -> None:
        selected = self.query_one(MessageList).selected
        if selected is not None and selected.id != view.id:
            return  # the cursor has moved on; its own preview is on the way
        self.query_one(Preview).show(view, html=self.options.html)
        if (self.options.auto_mark_read and selected is not None and not selected.seen
                and selected.account_id not in self._read_only):
            self._cancel_read_timer()
            self._read_timer = self.set_timer(READ_DWELL, lambda: self._dwelt(view.id))

    def _dwelt(self, message_id: int) -> None:
        self._read_timer = None
        selected = self.query_one(MessageList).selected
        if selected is not None and selected.id == message_id and not selected.seen:
            self.set_read(message_id, True, auto_in=selected.account_id)

    def _cancel_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.stop()
            self._read_timer = None

    # Read and flag

    @work(group="marks", exit_on_error=False)
    async def set_read(self, message_id: int, seen: bool, *, auto_in: int | None = None) -> None:
        """`auto_in`: the account of a message auto-mark-read marks, which fails quietly
        (and is not tried in that account again) when the agent may only read it."""
        try:
            await self.service.set_read(self.agent, message_id, seen)
        except AccessDeniedError:
            if auto_in is None:
                raise
            self._read_only.add(auto_in)
            return
        messages = self.query_one(MessageList)
        summary = messages.selected
        if summary is not None and summary.id == message_id:
            messages.update_message(replace(summary, seen=seen))

    @work(group="marks", exit_on_error=False)
    async def set_flagged(self, message_id: int, flagged: bool) -> None:
        await self.service.set_flagged(self.agent, message_id, flagged)
        messages = self.query_one(MessageList)
        summary = messages.selected
        if summary is not None and summary.id == message_id:
            messages.update_message(replace(summary, flagged=flagged))

    def action_toggle_read(self) -> None:
        summary = self.query_one(MessageList).selected
        if summary is not None:
            # A toggle by hand wins over auto-mark-read's pending mark.
            self._cancel_read_timer()
            self.set_read(summary.id, not summary.seen)

    def action_flag(self) -> None:
        summary = self.query_one(MessageList).selected
        if summary is not None:
            self.set_flagged(summary.id, not summary.flagged)

    # Threads and filters

    def action_threads(self) -> None:
        options = self._applied or self.options
        self._save_options(replace(options, threads=not options.threads))

    def action_toggle_unread_only(self) -> None:
        self.unread_only = not self.unread_only
        self._show_listing(keep_selection=True)

    # Search

    def action_search(self) -> None:
        self.query_one(SearchBar).open(self.search or "")

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value.strip()
        # Keys typed after Enter (n, N, j) are for the list: it takes the focus at once.
        # The bar stays, showing the search in force, until Esc leaves the search.
        self.set_focus(self.query_one(MessageList))
        if not query:
            self.query_one(SearchBar).close()
            self.action_back()
            return
        self.run_search(query)

    @work(exclusive=True, group="search", exit_on_error=False)
    async def run_search(self, query: str) -> None:
        """Count the query first: a bad one is reported and the bar opens again."""
        listing = Listing(scope="all", query=query, unread_only=self.unread_only)
        try:
            total = await self.service.count_listing(self.agent, listing)
        except FrontdeskError as exc:
            self.set_status(str(exc))
            self.notify(str(exc), title="Search", severity="error", markup=False)
            self.query_one(SearchBar).open(query)
            return
        messages = self.query_one(MessageList)
        if self.search is None and messages.selected is not None:
            self._folder_selection = messages.selected.id
        self.search = query
        self._show_listing(total=total)

    async def on_key(self, event: events.Key) -> None:
        """Keep keys typed right after the search key for the search bar.

        A key goes to the widget focused when it arrived, and bindings run only when it
        has bubbled up to the app; so in a burst of input ("/is:unread" pasted, or sent
        over a slow link) the query's keys would reach the list before `/` had opened
        the bar. The search key is therefore acted on here, as it passes, and the keys
        behind it are typed into the bar."""
        bar = self.query_one(SearchBar)
        if bar.is_open and self.focused is bar:
            if await bar.take_key(event):
                event.stop()
                event.prevent_default()
            return
        if event.is_printable and self._is_search_key(event.key):
            event.stop()
            event.prevent_default()
            self.action_search()

    def _is_search_key(self, key: str) -> bool:
        active = self.active_bindings.get(key)
        return (active is not None and active.node is self
                and active.binding.action == "search")

    def action_next_result(self) -> None:
        self._step_result(1)

    def action_prev_result(self) -> None:
        self._step_result(-1)

    def _step_result(self, step: int) -> None:
        if self.search is None:
            self.notify("No search: press / to search.", markup=False)
            return
        messages = self.query_one(MessageList)
        messages.move_cursor(messages.cursor_row + step)

    def action_back(self) -> None:
        """Esc: out of the search bar (it keeps showing the search in force), then back to
        the list, then clears the marks, then out of the search."""
        bar = self.query_one(SearchBar)
        messages = self.query_one(MessageList)
        if bar.is_open and self.focused is bar:
            if self.search is None:
                bar.close()
            else:
                bar.value = self.search
            self.set_focus(messages)
        elif self.focused is not messages:
            self.set_focus(messages)
        elif messages.marked:
            messages.clear_marks()
        elif self.search is not None and self.folder is not None:
            bar.close()
            self.open_folder(self.folder, select=self._folder_selection)
            self._folder_selection = None

    # Live refresh and sync health

    def _poll(self) -> None:
        self.check_for_changes()

    @work(exclusive=True, group="poll", exit_on_error=False)
    async def check_for_changes(self) -> None:
        """When anything was committed to the store since the last check, refresh the
        folder counts and the list in place."""
        marker = await self.service.change_marker()
        if self._marker is None:
            self._marker = marker
            return
        if marker == self._marker:
            return
        self._marker = marker
        self.load_folders()
        self.query_one(MessageList).reload()

    @work(exclusive=True, group="health", exit_on_error=False)
    async def refresh_health(self) -> None:
        try:
            health = await self.service.status(self.agent, counts=False)
        except FrontdeskError:
            return
        self.query_one(StatusBar).show_health(health, self.clock())

    def sync_engine(self) -> None:
        """Keep the agent's accounts in step while the console is open, unless another
        engine (`frontdesk sync`, another console) already does it for this store. A
        plain task, not a worker: it lives as long as the screen."""
        if self._engine_task is None or self._engine_task.done():
            self._engine_task = asyncio.create_task(self._run_engine(), name="console-sync")

    async def _run_engine(self) -> None:
        try:
            await self.service.sync(self.agent, once=False, progress=self._sync_event,
                                    stop=self._engine_stop)
        except EngineBusyError:
            self.engine = "elsewhere"
            return
        except FrontdeskError as exc:
            self.engine = "stopped"
            self.notify(str(exc), title="Sync stopped", severity="error", markup=False)
            return
        self.engine = "stopped"

    def _sync_event(self, event: SyncEvent) -> None:
        self.engine = "here"
        bar = self.query_one(StatusBar)
        if event.event == "folder" and event.total:
            bar.show_progress(f"syncing {event.account}/{event.folder} {event.phase} "
                              f"{event.done}/{event.total}")
        elif event.event in ("account_done", "done", "error"):
            bar.show_progress(None)
            self.refresh_health()

    def action_accounts(self) -> None:
        """The accounts with their sync health; OAuth2 accounts sign in there."""
        self.app.push_screen(AccountsScreen(self.service, self.agent),
                             lambda _: self.refresh_health())

    def action_account_wizard(self) -> None:
        """Add an account step by step (the setup wizard)."""
        self.app.push_screen(AccountWizardScreen(self.service, self.agent),
                             self._wizard_closed)

    def _wizard_closed(self, added: str | None) -> None:
        if added is not None:
            self.load_folders()
            self.refresh_health()

    def action_rules(self) -> None:
        """The rules on arrival of the mailboxes the agent sees."""
        self.app.push_screen(RulesScreen(self.service, self.agent))

    def action_settings(self) -> None:
        """Every option of the console, the agent's accounts and (admins) the store."""
        self.app.push_screen(SettingsScreen(self.service, self.agent),
                             lambda _: self._settings_closed())

    def _settings_closed(self) -> None:
        self.load_folders()
        self.refresh_health()

    def action_why(self) -> None:
        """Why?: what the rules did with the message under the cursor."""
        message = self._selected_message()
        if message is not None:
            self.app.push_screen(WhyScreen(self.service, self.agent, message.id,
                                           message.subject))

    async def sync_now(self) -> None:
        """Asked for by the app's sync key: the running engine, here or elsewhere,
        syncs every account at once."""
        await self.service.request_sync(self.agent)
        if self.engine == "stopped":
            self.set_status("sync requested, but no engine runs: start `frontdesk sync`")
        else:
            self.set_status("sync requested")

    async def on_unmount(self) -> None:
        self._engine_stop.set()
        if self._engine_task is not None:
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self._engine_task, timeout=5)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Failures of background loads become one notification, never a crash."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = str(error) if isinstance(error, FrontdeskError) else (
                f"{type(error).__name__}: {error}"
            )
            self.notify(text, title="Could not load", severity="error", markup=False)
