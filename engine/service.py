"""The Service facade: the only way the console and the CLI reach mail and settings.

Every method takes the acting agent and filters what it returns by the accounts that
agent may see (engine.access). The console talks to the `Service` protocol, so the
in-process engine here and a socket client to `frontdesk serve` are interchangeable.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Protocol

from engine.access import visible_accounts
from engine.errors import NotFoundError, StoreOpenError
from engine.identity import resolve_agent
from engine.mime import parse_body
from engine.models import Account, Agent, Folder, MessageSummary, MessageView, StoreInfo
from storage import Store, StoreError, accounts, folders, messages, meta

DEMO_META_KEY = "demo"


class Service(Protocol):
    """What the console and CLI may ask of the engine."""

    async def login(self, agent_name: str | None = None) -> Agent: ...

    async def store_info(self, agent: Agent) -> StoreInfo: ...

    async def list_accounts(self, agent: Agent) -> list[Account]: ...

    async def list_folders(self, agent: Agent) -> list[Folder]: ...

    async def list_messages(
        self, agent: Agent, folder_id: int, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]: ...

    async def count_messages(self, agent: Agent, folder_id: int) -> int: ...

    async def open_message(self, agent: Agent, message_id: int) -> MessageView: ...

    async def close(self) -> None: ...


class LocalService:
    """The engine running in this process, on a store it opened."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @classmethod
    async def open(cls, path: str | os.PathLike[str]) -> LocalService:
        """Open the store at `path` (created and migrated as needed)."""
        try:
            store = await Store.open(Path(path))
        except StoreError as exc:
            raise StoreOpenError(str(exc)) from exc
        return cls(store)

    async def close(self) -> None:
        await self.store.close()

    async def login(self, agent_name: str | None = None) -> Agent:
        """The acting agent: the OS user, or `agent_name` when given."""
        return await resolve_agent(self.store, agent_name)

    async def store_info(self, agent: Agent) -> StoreInfo:
        demo = await meta.get(self.store.reader, DEMO_META_KEY)
        return StoreInfo(path=str(self.store.path), agent=agent, demo=demo is not None)

    async def list_accounts(self, agent: Agent) -> list[Account]:
        visible = await visible_accounts(self.store, agent.id)
        return await accounts.list_visible(self.store.reader, visible)

    async def list_folders(self, agent: Agent) -> list[Folder]:
        visible = await visible_accounts(self.store, agent.id)
        return await folders.list_visible(self.store.reader, visible)

    async def list_messages(
        self, agent: Agent, folder_id: int, *, offset: int = 0, limit: int = 200
    ) -> list[MessageSummary]:
        visible = await self._folder_access(agent, folder_id)
        return await messages.list_folder(
            self.store.reader, folder_id=folder_id, account_ids=visible,
            offset=max(0, offset), limit=max(0, min(limit, 5000)),
        )

    async def count_messages(self, agent: Agent, folder_id: int) -> int:
        visible = await self._folder_access(agent, folder_id)
        return await messages.count_folder(
            self.store.reader, folder_id=folder_id, account_ids=visible
        )

    async def open_message(self, agent: Agent, message_id: int) -> MessageView:
        visible = await visible_accounts(self.store, agent.id)
        head = await messages.headers(self.store.reader, message_id=message_id,
                                      account_ids=visible)
        raw = await messages.raw(self.store.reader, message_id=message_id,
                                 account_ids=visible)
        if head is None or raw is None:
            raise NotFoundError(f"message {message_id} not found")
        # The full parse is CPU work on possibly large mail: keep it off the event loop.
        body = await asyncio.to_thread(parse_body, raw)
        return MessageView(
            id=head.id,
            account_id=head.account_id,
            folder_id=head.folder_id,
            thread_id=head.thread_id,
            subject=head.subject,
            headers=body.headers,
            text=body.text,
            html_text=body.html_text,
            links=body.links,
            attachments=body.attachments,
            parse_error=body.error or head.parse_error,
        )

    async def _folder_access(self, agent: Agent, folder_id: int) -> frozenset[int]:
        visible = await visible_accounts(self.store, agent.id)
        owner = await folders.account_of(self.store.reader, folder_id)
        if owner is None or owner not in visible:
            raise NotFoundError(f"folder {folder_id} not found")
        return visible
