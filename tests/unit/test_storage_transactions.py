import asyncio
from pathlib import Path

import pytest

from storage import Store, agents


@pytest.fixture
async def store(tmp_path: Path):
    s = await Store.open(tmp_path / "t.db")
    yield s
    await s.close()


async def test_commit_is_visible_to_reader(store: Store) -> None:
    async with store.transaction() as db:
        await agents.insert(db, name="ann", os_user="ann", role="admin")
    assert (await agents.by_name(store.reader, "ann")) is not None


async def test_exception_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError):
        async with store.transaction() as db:
            await agents.insert(db, name="ann", os_user="ann", role="admin")
            raise RuntimeError("boom")
    assert await agents.count(store.reader) == 0
    async with store.transaction() as db:  # the connection is usable again
        await agents.insert(db, name="bob", os_user=None, role="agent")
    assert await agents.count(store.reader) == 1


async def test_cancellation_rolls_back(store: Store) -> None:
    inside = asyncio.Event()

    async def writer() -> None:
        async with store.transaction() as db:
            await agents.insert(db, name="ann", os_user="ann", role="admin")
            inside.set()
            await asyncio.sleep(30)

    task = asyncio.create_task(writer())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await agents.count(store.reader) == 0
    async with store.transaction() as db:
        await agents.insert(db, name="bob", os_user=None, role="agent")
    assert await agents.count(store.reader) == 1


async def test_reader_does_not_see_uncommitted_writes(store: Store) -> None:
    async with store.transaction() as db:
        await agents.insert(db, name="ann", os_user="ann", role="admin")
        assert await agents.count(store.reader) == 0
        assert await agents.count(db) == 1


async def test_transactions_run_one_at_a_time(store: Store) -> None:
    order: list[str] = []

    async def one(name: str) -> None:
        async with store.transaction() as db:
            order.append(f"{name}-begin")
            await agents.insert(db, name=name, os_user=None, role="agent")
            await asyncio.sleep(0.01)
            order.append(f"{name}-end")

    await asyncio.gather(one("a"), one("b"))
    assert order in (["a-begin", "a-end", "b-begin", "b-end"],
                     ["b-begin", "b-end", "a-begin", "a-end"])


async def test_foreign_keys_are_enforced(store: Store) -> None:
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        async with store.transaction() as db:
            await db.execute("INSERT INTO folders (account_id, name) VALUES (12345, 'INBOX')")


async def test_cancelled_writer_never_leaks_its_transaction_to_the_next(store: Store) -> None:
    """A writer cancelled (even twice) while others wait for the lock: the next
    transaction must start clean, not 'within a transaction'."""
    async def writer(inside: asyncio.Event) -> None:
        async with store.transaction() as db:
            await agents.insert(db, name="temp", os_user=None, role="agent")
            inside.set()
            await asyncio.sleep(30)

    async def waiting(inside: asyncio.Event) -> None:
        await inside.wait()
        async with store.transaction() as db:
            await db.execute("DELETE FROM agents WHERE name = 'nobody'")

    for _ in range(20):
        inside = asyncio.Event()
        first = asyncio.create_task(writer(inside))
        second = asyncio.create_task(waiting(inside))
        await inside.wait()
        first.cancel()
        await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        await asyncio.wait_for(second, 5)
    assert await agents.count(store.reader) == 0


async def test_cancelled_while_beginning(store: Store) -> None:
    for delay in (0, 0, 0.0001, 0.001):
        task = asyncio.create_task(_hold(store))
        await asyncio.sleep(delay)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        async with store.transaction() as db:
            await db.execute("DELETE FROM agents WHERE name = 'nobody'")


async def _hold(store: Store) -> None:
    async with store.transaction():
        await asyncio.sleep(30)
