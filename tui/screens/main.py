"""The main screen: folders | message list over preview, a status line, the footer."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from engine.errors import FrontdeskError
from engine.models import Agent
from engine.service import Service
from tui.widgets.folder_tree import FolderRef, FolderTree
from tui.widgets.message_list import MessageList
from tui.widgets.preview import Preview

PAGE = 300
# Fetch the next page when the cursor comes this close to the last loaded row.
PREFETCH_MARGIN = 40


class MainScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="main.back"),
    ]

    def __init__(self, service: Service, agent: Agent) -> None:
        super().__init__()
        self.service = service
        self.agent = agent
        self.folder: FolderRef | None = None
        self._loading_more = False

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            yield FolderTree(id="folders")
            with Vertical(id="reading"):
                yield MessageList(id="messages")
                yield Preview(id="preview")
        yield Static(id="status", markup=False)
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one(Preview).show_note("Loading…")
        self.load_folders()

    @work(exclusive=True, group="folders", exit_on_error=False)
    async def load_folders(self) -> None:
        accounts = await self.service.list_accounts(self.agent)
        folders = await self.service.list_folders(self.agent)
        first = self.query_one(FolderTree).load(accounts, folders)
        if first is None:
            self.query_one(Preview).show_note(
                "No mailboxes yet. Try `frontdesk demo`, or add an account."
            )
            self.set_status("no mailboxes")
            return
        self.query_one(MessageList).focus()
        self.open_folder(first)

    @on(FolderTree.FolderChosen)
    def _folder_chosen(self, event: FolderTree.FolderChosen) -> None:
        if self.folder is None or event.folder.folder_id != self.folder.folder_id:
            self.open_folder(event.folder)

    def open_folder(self, folder: FolderRef) -> None:
        self.folder = folder
        self.load_messages(folder)

    @work(exclusive=True, group="messages", exit_on_error=False)
    async def load_messages(self, folder: FolderRef) -> None:
        total = await self.service.count_messages(self.agent, folder.folder_id)
        rows = await self.service.list_messages(self.agent, folder.folder_id, limit=PAGE)
        table = self.query_one(MessageList)
        table.show(rows, total)
        self.set_status(f"{folder.label}: {total} messages")
        if not rows:
            self.query_one(Preview).show_note("This folder is empty.")

    @on(MessageList.Highlighted)
    def _highlighted(self, event: MessageList.Highlighted) -> None:
        self.load_preview(event.message_id)
        table = self.query_one(MessageList)
        if (
            not self._loading_more
            and table.row_count < table.total
            and event.row >= table.row_count - PREFETCH_MARGIN
        ):
            self._loading_more = True
            self.load_more()

    @work(exclusive=True, group="more", exit_on_error=False)
    async def load_more(self) -> None:
        try:
            if self.folder is None:
                return
            table = self.query_one(MessageList)
            rows = await self.service.list_messages(
                self.agent, self.folder.folder_id, offset=table.row_count, limit=PAGE
            )
            table.append(rows)
        finally:
            self._loading_more = False

    @on(MessageList.Opened)
    def _opened(self, event: MessageList.Opened) -> None:
        self.query_one(Preview).focus()

    @work(exclusive=True, group="preview", exit_on_error=False)
    async def load_preview(self, message_id: int) -> None:
        try:
            view = await self.service.open_message(self.agent, message_id)
        except FrontdeskError as exc:
            self.query_one(Preview).show_note(str(exc))
            return
        self.query_one(Preview).show(view)

    def action_back(self) -> None:
        self.query_one(MessageList).focus()

    def set_status(self, text: str) -> None:
        who = self.agent.display_name or self.agent.name
        self.query_one("#status", Static).update(Content(f" {who} · {text}"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Failures of background loads become one notification, never a crash."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            text = str(error) if isinstance(error, FrontdeskError) else (
                f"{type(error).__name__}: {error}"
            )
            self.notify(text, title="Could not load", severity="error", markup=False)
