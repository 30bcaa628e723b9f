"""The values that cross the Service boundary: plain, frozen, serialisable dataclasses.

Rows read from the store are already such values (storage.records); they are re-exported
here so the console imports everything it shows from the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.mime import Attachment
from storage.records import Account, Agent, Folder, MessageSummary

__all__ = [
    "Account",
    "Agent",
    "Attachment",
    "Folder",
    "MessageSummary",
    "MessageView",
    "StoreInfo",
]


@dataclass(frozen=True)
class MessageView:
    """One message opened for reading. Every string is sanitised for the terminal."""

    id: int
    account_id: int
    folder_id: int
    thread_id: int | None
    subject: str
    headers: tuple[tuple[str, str], ...]
    text: str
    html_text: str | None
    links: tuple[str, ...]
    attachments: tuple[Attachment, ...]
    parse_error: str | None


@dataclass(frozen=True)
class StoreInfo:
    """What the console shows about the open store."""

    path: str
    agent: Agent
    demo: bool
