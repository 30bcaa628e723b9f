"""Folders take the connection in turn, and a folder's tail overlaps the next one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.errors import ImapConnectError
from engine.sync.account import _in_turn
from engine.sync.folder import FolderResult
from engine.sync.pipeline import pipelined
from storage import Store
from storage import folder_state as folder_sql
from tests.store_factory import build_team


async def test_fetched_all_is_called_after_the_last_fetch_before_the_last_store() -> None:
    events: list[str] = []
    last_store = asyncio.Event()

    async def fetch(batch: int) -> int:
        events.append(f"fetch {batch}")
        return batch

    async def prepare(batch: int, fetched: int) -> int:
        return fetched

    async def store(batch: int, prepared: int) -> None:
        if batch == 3:
            await last_store.wait()
        events.append(f"store {batch}")

    def fetched_all() -> None:
        events.append("fetched all")
        last_store.set()

    await asyncio.wait_for(
        pipelined([1, 2, 3], fetch, prepare, store, parallel=2, fetched_all=fetched_all),
        timeout=5)
    assert events.index("fetched all") > events.index("fetch 3")
    assert events.index("fetched all") < events.index("store 3")
    assert events.count("fetched all") == 1


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "s.db")
    yield opened
    await opened.close()


def _syncer(folder_id: int) -> SimpleNamespace:
    return SimpleNamespace(folder=SimpleNamespace(id=folder_id))


async def test_the_next_folder_starts_once_the_one_before_has_fetched(store: Store) -> None:
    team = await build_team(store)
    first, second = _syncer(team.inboxes["support"]), _syncer(team.inboxes["sales"])
    first_fetched, second_fetched = asyncio.Event(), asyncio.Event()
    second_started = asyncio.Event()
    order: list[str] = []

    async def first_step() -> FolderResult:
        first_fetched.set()
        # Still storing its last batches: only finishes once the next folder has begun.
        await second_started.wait()
        order.append("first done")
        return FolderResult()

    async def second_step() -> FolderResult:
        second_started.set()
        second_fetched.set()
        order.append("second done")
        return FolderResult()

    await asyncio.wait_for(_in_turn(store, [(first, first_step, first_fetched),
                                            (second, second_step, second_fetched)]),
                           timeout=5)
    assert sorted(order) == ["first done", "second done"]


async def test_a_broken_connection_ends_the_turns_after_what_was_fetched_is_stored(
    store: Store,
) -> None:
    team = await build_team(store)
    first, second, third = (_syncer(team.inboxes[n]) for n in ("support", "sales", "ann-mail"))
    events = [asyncio.Event() for _ in range(3)]
    stored: list[str] = []

    async def first_step() -> FolderResult:
        events[0].set()
        await asyncio.sleep(0.05)  # its tail outlives the next folder's failure
        stored.append("first")
        return FolderResult()

    async def second_step() -> FolderResult:
        raise ImapConnectError("connection lost")

    async def third_step() -> FolderResult:
        stored.append("third")
        return FolderResult()

    with pytest.raises(ImapConnectError):
        await _in_turn(store, [(first, first_step, events[0]), (second, second_step, events[1]),
                               (third, third_step, events[2])])
    assert stored == ["first"]


async def test_a_failing_folder_records_its_error_and_the_next_goes_on(store: Store) -> None:
    team = await build_team(store)
    first, second = _syncer(team.inboxes["support"]), _syncer(team.inboxes["sales"])
    ran: list[str] = []

    async def first_step() -> FolderResult:
        raise ValueError("no UIDVALIDITY")

    async def second_step() -> FolderResult:
        ran.append("second")
        return FolderResult()

    await _in_turn(store, [(first, first_step, asyncio.Event()),
                           (second, second_step, asyncio.Event())])
    assert ran == ["second"]
    state = await folder_sql.by_id(store.reader, team.inboxes["support"])
    assert state is not None and "no UIDVALIDITY" in (state.last_error or "")
