"""Carrying out queued server effects, with retries and backoff.

Jobs are idempotent (setting a flag twice is harmless; a job whose folder changed its
UIDVALIDITY is dropped, its UIDs no longer naming those messages; a move finds a message
an earlier attempt already moved), so a job interrupted mid-way is simply run again.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable

from engine.errors import ImapConnectError
from engine.imap.connection import ImapConnection
from engine.jobs import append, draft_mirror, moves
from engine.jobs.outcome import JobRejected, Outcome
from engine.jobs.queue import DRAFT_MIRROR, EXPUNGE, FLAGS, IMAP_APPEND, MOVE
from engine.sync import imap_ops as ops
from storage import Db, Store
from storage import jobs as jobs_sql
from storage.records import Job

__all__ = ["HANDLERS", "MAX_DELAY_SECONDS", "JobRejected", "backoff_seconds", "run_due_jobs"]

# A handler gets the open connection, the job, and the store to read what the job needs
# (an appended message's bytes); it writes only through its Outcome.
Handler = Callable[[ImapConnection, Job, Db], Awaitable[Outcome | None]]
# Store changes that undo what the agent saw at once, for a job that failed for good.
Undo = Callable[[Db, Job], Awaitable[None]]
MAX_DELAY_SECONDS = 3600

log = logging.getLogger(__name__)


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter: ~5 s, 10 s, 20 s ... up to an hour."""
    base = min(MAX_DELAY_SECONDS, 5 * 2 ** max(0, attempts - 1))
    return base * (rng or random).uniform(0.5, 1.5)


async def _flags(conn: ImapConnection, job: Job, reader: Db) -> Outcome | None:
    p = job.payload
    try:
        folder = str(p["folder"])
        uidvalidity = int(p["uidvalidity"])  # type: ignore[call-overload]
        uids = [int(u) for u in p["uids"]]  # type: ignore[attr-defined]
        add = tuple(str(f) for f in p.get("add", ()))  # type: ignore[attr-defined]
        remove = tuple(str(f) for f in p.get("remove", ()))  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError) as exc:
        raise JobRejected(f"malformed payload: {exc}") from exc
    ok = await conn.call(ops.store_flags, folder, uidvalidity, uids, add, remove)
    if not ok:
        raise JobRejected(f"{folder} changed UIDVALIDITY; its UIDs name other messages now")
    return None


HANDLERS: dict[str, Handler] = {
    FLAGS: _flags,
    MOVE: moves.run_move,
    EXPUNGE: moves.run_expunge,
    IMAP_APPEND: append.run_append,
    DRAFT_MIRROR: draft_mirror.run_draft_mirror,
}
UNDO: dict[str, Undo] = {
    MOVE: moves.undo_move,
    EXPUNGE: moves.undo_expunge,
}


async def _failed_for_good(db: Db, job: Job) -> None:
    undo = UNDO.get(job.kind)
    if undo is not None:
        await undo(db, job)


async def _retry(db: Db, job: Job, *, error: str, delay_seconds: float) -> None:
    state = await jobs_sql.retry_later(db, job.id, error=error, delay_seconds=delay_seconds)
    if state == "failed":
        await _failed_for_good(db, job)


async def run_due_jobs(store: Store, conn: ImapConnection, account_id: int) -> int:
    """Run the account's due IMAP jobs (smtp.send jobs are the sender's, see
    engine.sending.delivery) on an open connection; return how many succeeded.
    Stops early when the connection breaks (the rest wait for the next pass)."""
    succeeded = 0
    while True:
        async with store.transaction() as db:
            batch = await jobs_sql.claim_due(db, account_id=account_id, limit=50,
                                             kinds=tuple(HANDLERS))
        if not batch:
            return succeeded
        for index, job in enumerate(batch):
            try:
                outcome = await HANDLERS[job.kind](conn, job, store.reader)
            except JobRejected as exc:
                async with store.transaction() as db:
                    await jobs_sql.fail(db, job.id, error=str(exc))
                    await _failed_for_good(db, job)
            except ImapConnectError as exc:
                # The connection is gone: this job and the unstarted rest wait for later.
                async with store.transaction() as db:
                    await _retry(db, job, error=str(exc),
                                 delay_seconds=backoff_seconds(job.attempts))
                    for rest in batch[index + 1:]:
                        await _retry(db, rest, error="not started", delay_seconds=0)
                raise
            except Exception as exc:  # recorded on the job and retried later
                async with store.transaction() as db:
                    await _retry(db, job, error=str(exc)[:500],
                                 delay_seconds=backoff_seconds(job.attempts))
            else:
                async with store.transaction() as db:
                    if outcome is not None and outcome.record is not None:
                        await outcome.record(db)
                    await jobs_sql.finish(db, job.id)
                if outcome is not None and outcome.note:
                    log.info("job %d (%s): %s", job.id, job.kind, outcome.note)
                succeeded += 1
