"""Progress of a sync, as events a caller can print or forward to the console."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class SyncEvent:
    """One step of a sync.

    event: "account" (a pass starts), "folder" (progress of a phase of a folder),
    "headers_done" (every folder's headers are stored: the inbox is usable),
    "account_done", "error", "done" (the whole sync pass is over).
    """

    event: str
    account: str | None = None
    folder: str | None = None
    phase: str | None = None
    done: int = 0
    total: int = 0
    bytes: int = 0
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


Progress = Callable[[SyncEvent], None]


def ignore(_: SyncEvent) -> None:
    """A progress sink that drops everything."""
