"""What a job handler reports to the executor that runs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from storage import Db

# Store changes that follow from what the server did; committed in the transaction that
# marks the job done, so a crash never leaves one without the other.
Recorder = Callable[[Db], Awaitable[None]]


class JobRejected(Exception):
    """The job can never succeed; it is marked failed, not retried."""


@dataclass(frozen=True)
class Outcome:
    """A job that succeeded, with the store changes to record and, when it ended other
    than planned (its message vanished, say), a note saying how."""

    record: Recorder | None = None
    note: str | None = None
