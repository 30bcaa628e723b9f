"""The job queue's bookkeeping, on a real store (execution is covered against Dovecot)."""

from pathlib import Path

import pytest

from storage import Store, accounts, agents
from storage import jobs as jobs_sql


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "j.db")
    async with s.transaction() as db:
        me = await agents.insert(db, name="a", os_user=None, role="admin")
        await accounts.insert(db, name="acct", email="a@x.example", kind="personal",
                              owner_agent_id=me.id)
    yield s
    await s.close()


async def test_claim_retry_fail_and_requeue(store: Store) -> None:
    async with store.transaction() as db:
        job = await jobs_sql.enqueue(db, account_id=1, kind="imap.flags", payload={"x": 1},
                                     created_by=None, max_attempts=2, idempotency_key="k1")
        again = await jobs_sql.enqueue(db, account_id=1, kind="imap.flags", payload={"x": 1},
                                       created_by=None, idempotency_key="k1")
    assert again == job
    async with store.transaction() as db:
        claimed = await jobs_sql.claim_due(db, account_id=1, limit=10)
    assert [j.id for j in claimed] == [job] and claimed[0].payload == {"x": 1}
    async with store.transaction() as db:
        assert await jobs_sql.claim_due(db, account_id=1, limit=10) == []  # running now
        state = await jobs_sql.retry_later(db, job, error="boom", delay_seconds=0)
    assert state == "pending"
    async with store.transaction() as db:
        assert len(await jobs_sql.claim_due(db, account_id=1, limit=10)) == 1
        state = await jobs_sql.retry_later(db, job, error="boom again", delay_seconds=0)
    assert state == "failed"  # two attempts used
    assert (await jobs_sql.counts(store.reader, 1)) == {"failed": 1}


async def test_running_jobs_of_a_dead_process_run_again(store: Store) -> None:
    async with store.transaction() as db:
        await jobs_sql.enqueue(db, account_id=1, kind="imap.flags", payload={}, created_by=None)
        await jobs_sql.claim_due(db, account_id=1, limit=10)
    assert await jobs_sql.counts(store.reader, 1) == {"running": 1}
    async with store.transaction() as db:
        assert await jobs_sql.requeue_running(db) == 1
    assert await jobs_sql.counts(store.reader, 1) == {"pending": 1}


async def test_delayed_job_is_not_due(store: Store) -> None:
    async with store.transaction() as db:
        job = await jobs_sql.enqueue(db, account_id=1, kind="imap.flags", payload={},
                                     created_by=None)
        await jobs_sql.claim_due(db, account_id=1, limit=10)
        await jobs_sql.retry_later(db, job, error="later", delay_seconds=3600)
        assert await jobs_sql.claim_due(db, account_id=1, limit=10) == []
