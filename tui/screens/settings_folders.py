"""An account's folders: which ones sync, and which folder plays which part (inbox,
sent, drafts, trash, spam, archive) where the detected role is wrong. The folders known
to the store show at once; the server's list is then read again (Service.account_folders
with refresh) and Refresh reads it on demand. Saved with Service.configure_folders, as
`frontdesk account folders NAME --sync ... --role FOLDER=ROLE` does.

Folder names come from the server: plain Content only."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Checkbox, Select, Static

from engine.errors import FrontdeskError
from engine.imap.roles import ROLES
from engine.models import AccountSettings, Agent
from engine.service import Service
from tui.screens.settings_section import SettingsSection
from tui.widgets.form_fields import one_line

NO_ROLE = "none"


class _Folder(Protocol):
    """What the form shows of a folder as the engine reports it."""

    @property
    def name(self) -> str: ...

    @property
    def sync_enabled(self) -> bool: ...

    @property
    def role(self) -> str | None: ...

    @property
    def role_source(self) -> str: ...

    @property
    def last_error(self) -> str | None: ...

ROLE_CHOICES = [(Content("no role"), NO_ROLE), *((Content(r), r) for r in ROLES)]


class FolderRow(Horizontal):
    """One folder: sync it or not, and its role."""

    def __init__(self, name: str, *, sync: bool, role: str | None, source: str,
                 error: str | None) -> None:
        super().__init__(classes="folder-row")
        self.folder = name
        self.sync_start = sync
        self.role_start = role or NO_ROLE
        self.source = source
        self.error = error

    def compose(self) -> ComposeResult:
        yield Checkbox(Content(one_line(self.folder)), self.sync_start, classes="folder-sync")
        yield Select(ROLE_CHOICES, value=self.role_start, allow_blank=False,
                     classes="folder-role")
        detail = f"role {self.source}" if self.role_start != NO_ROLE else ""
        if self.error:
            detail = f"{detail}; last error: {one_line(self.error)}".lstrip("; ")
        yield Static(Content(detail), classes="folder-detail")

    @property
    def sync(self) -> bool:
        return self.query_one(".folder-sync", Checkbox).value

    @property
    def role(self) -> str:
        return str(self.query_one(".folder-role", Select).value)

    @property
    def changed(self) -> bool:
        return self.sync != self.sync_start or self.role != self.role_start


class FoldersSection(SettingsSection):
    """Tick the folders to sync; change a role with its list."""

    def __init__(self, service: Service, agent: Agent, settings: AccountSettings, *,
                 id: str | None = None) -> None:
        super().__init__(service, agent, Content.assemble(
            ("Folders and roles of ", "bold"), (one_line(settings.name), "bold")), id=id)
        self.settings = settings
        self.refreshed = False
        self._showing = asyncio.Lock()

    def fields(self) -> ComposeResult:
        yield Static(Content("Ticked folders sync. A role tells frontdesk where sent mail, "
                             "drafts, deleted and archived mail go."), classes="settings-text")
        yield Vertical(id="folder-rows")

    def more_buttons(self) -> ComposeResult:
        yield Button(Content("Refresh from the server"), classes="folders-refresh")

    async def read(self) -> None:
        await self.show(await self.service.account_folders(
            self.agent, self.settings.name, refresh=False))
        if self.settings.imap_host:
            self.refresh_from_server()

    async def show(self, folders: Sequence[_Folder]) -> None:
        """Replace the rows (one replacement at a time: a refresh and a save may both
        bring a list)."""
        async with self._showing:
            box = self.query_one("#folder-rows", Vertical)
            await box.remove_children()
            if not folders:
                await box.mount(Static(Content("No folders known yet: refresh from the "
                                               "server once the account can log in."),
                                       classes="settings-text"))
                return
            await box.mount_all(FolderRow(f.name, sync=f.sync_enabled, role=f.role,
                                          source=f.role_source, error=f.last_error)
                                for f in folders)

    @property
    def rows(self) -> list[FolderRow]:
        return list(self.query(FolderRow))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("folders-refresh"):
            event.stop()
            self.refresh_from_server(force=True)

    @work(exclusive=True, group="settings-refresh", exit_on_error=False)
    async def refresh_from_server(self, force: bool = False) -> None:
        """Read the server's folder list; the rows are replaced unless the form holds
        changes not saved yet (then only a forced refresh replaces them)."""
        self.note.done("Reading the folder list from the server…")
        try:
            folders = await self.service.account_folders(self.agent, self.settings.name,
                                                         refresh=True)
        except FrontdeskError as exc:
            self.note.error(f"{exc} (the folders shown are the ones known already)")
            return
        self.refreshed = True
        if force or not any(row.changed for row in self.rows):
            await self.show(folders)
        self.note.done(f"{len(folders)} folders on the server.")

    def save(self) -> None:
        rows = self.rows
        if not any(row.changed for row in rows):
            self.note.done("Nothing to change.")
            return
        sync = None
        if any(row.sync != row.sync_start for row in rows):
            sync = [row.folder for row in rows if row.sync]
        roles: dict[str, str | None] = {
            row.folder: None if row.role == NO_ROLE else row.role
            for row in rows if row.role != row.role_start}
        self.run_change(self.write(sync, roles))

    async def write(self, sync: list[str] | None, roles: dict[str, str | None]) -> str:
        folders = await self.service.configure_folders(
            self.agent, self.settings.name, sync=sync, roles=roles or None)
        await self.show(folders)
        synced = sum(1 for f in folders if f.sync_enabled)
        return f"Saved: {synced} folders sync."
