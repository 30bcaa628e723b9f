"""SQL for the durable job queue of server effects."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from storage.db import Db
from storage.records import Job

_NOW = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')"


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        account_id=row["account_id"],
        kind=row["kind"],
        payload=json.loads(row["payload"]),
        state=row["state"],
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
    )


async def enqueue(
    db: Db,
    *,
    account_id: int | None,
    kind: str,
    payload: dict[str, Any],
    created_by: int | None,
    idempotency_key: str | None = None,
    max_attempts: int = 8,
) -> int:
    """Add a job inside the caller's transaction; return its id. A job with the same
    idempotency key is not added twice (the existing id is returned)."""
    if idempotency_key is not None:
        existing = await db.scalar(
            "SELECT id FROM jobs WHERE idempotency_key = ?", (idempotency_key,)
        )
        if existing is not None:
            return int(existing)
    return await db.insert(
        "INSERT INTO jobs (account_id, kind, payload, idempotency_key, created_by, max_attempts) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, kind, json.dumps(payload), idempotency_key, created_by, max_attempts),
    )


async def claim_due(
    db: Db, *, account_id: int, limit: int, kinds: Sequence[str] | None = None
) -> list[Job]:
    """Mark up to `limit` due jobs of an account (of `kinds`, when given) running, oldest
    first, and return them."""
    rows = await db.fetchall(
        f"SELECT * FROM jobs WHERE account_id = ? AND state = 'pending' "
        f"AND next_attempt_at <= {_NOW} "
        "AND (? IS NULL OR kind IN (SELECT value FROM json_each(?))) ORDER BY id LIMIT ?",
        (account_id, None if kinds is None else 1,
         None if kinds is None else json.dumps(list(kinds)), limit),
    )
    jobs = [_job(r) for r in rows]
    await db.executemany(
        f"UPDATE jobs SET state = 'running', attempts = attempts + 1, updated_at = {_NOW} "
        "WHERE id = ?",
        ((j.id,) for j in jobs),
    )
    return jobs


async def finish(db: Db, job_id: int) -> None:
    """A job's effect is on the server."""
    await db.execute(
        f"UPDATE jobs SET state = 'done', last_error = NULL, updated_at = {_NOW} WHERE id = ?",
        (job_id,),
    )


async def retry_later(db: Db, job_id: int, *, error: str, delay_seconds: float) -> str:
    """Record a failed attempt: back to pending after a delay, or 'failed' when the job
    has used its attempts. Returns the new state."""
    await db.execute(
        f"""
        UPDATE jobs SET last_error = ?, updated_at = {_NOW},
               state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'pending' END,
               next_attempt_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?)
         WHERE id = ?
        """,
        (error, f"+{max(0, int(delay_seconds))} seconds", job_id),
    )
    return str(await db.scalar("SELECT state FROM jobs WHERE id = ?", (job_id,)))


async def fail(db: Db, job_id: int, *, error: str) -> None:
    """A job that can never succeed (its target is gone, its payload is invalid)."""
    await db.execute(
        f"UPDATE jobs SET state = 'failed', last_error = ?, updated_at = {_NOW} WHERE id = ?",
        (error, job_id),
    )


async def requeue_running(db: Db) -> int:
    """Jobs left 'running' by a process that died: pending again (jobs are idempotent)."""
    return await db.execute(
        f"UPDATE jobs SET state = 'pending', updated_at = {_NOW} WHERE state = 'running'"
    )


async def counts(db: Db, account_id: int) -> dict[str, int]:
    """Jobs of an account by state."""
    rows = await db.fetchall(
        "SELECT state, count(*) FROM jobs WHERE account_id = ? GROUP BY state", (account_id,)
    )
    return {r[0]: int(r[1]) for r in rows}


async def by_id(db: Db, job_id: int) -> Job | None:
    """One job."""
    row = await db.fetchone("SELECT * FROM jobs WHERE id = ?", (job_id,))
    return None if row is None else _job(row)


async def pending_for_message(db: Db, *, message_id: int, kinds: Sequence[str]) -> bool:
    """Whether a queued job of one of `kinds` (a move or an expunge of this message) has
    not reached the server yet."""
    found = await db.scalar(
        "SELECT 1 FROM jobs WHERE state IN ('pending', 'running') "
        "AND kind IN (SELECT value FROM json_each(?)) "
        "AND json_extract(payload, '$.row') = ? LIMIT 1",
        (json.dumps(list(kinds)), message_id),
    )
    return found is not None


async def latest_for_message(db: Db, *, message_id: int, kinds: Sequence[str]) -> Job | None:
    """The newest job of one of `kinds` queued for a message row, in whatever state."""
    row = await db.fetchone(
        "SELECT * FROM jobs WHERE kind IN (SELECT value FROM json_each(?)) "
        "AND json_extract(payload, '$.row') = ? ORDER BY id DESC LIMIT 1",
        (json.dumps(list(kinds)), message_id),
    )
    return None if row is None else _job(row)


async def cancel(db: Db, job_id: int) -> bool:
    """Withdraw a job the engine has not started. True when it was still pending."""
    return await db.execute(
        f"UPDATE jobs SET state = 'cancelled', updated_at = {_NOW} "
        "WHERE id = ? AND state = 'pending'",
        (job_id,),
    ) > 0


async def pending_for_outgoing(
    db: Db, *, account_id: int, kind: str, outgoing_id: int, message_id: str
) -> int | None:
    """The id of a job of `kind` for a draft or outbox message (by its id and its
    Message-ID: a discarded draft's id can be given to a new one) that has not started
    yet. A newer change can ride on it: the job reads the message when it runs."""
    found = await db.scalar(
        "SELECT id FROM jobs WHERE state = 'pending' AND account_id = ? AND kind = ? "
        "AND json_extract(payload, '$.outgoing') = ? "
        "AND json_extract(payload, '$.message_id') = ? ORDER BY id LIMIT 1",
        (account_id, kind, outgoing_id, message_id),
    )
    return None if found is None else int(found)
