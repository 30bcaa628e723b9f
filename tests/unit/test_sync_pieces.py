import random
from pathlib import Path
from typing import NamedTuple

import pytest

from engine.ingest import Denied
from engine.jobs.executor import MAX_DELAY_SECONDS, backoff_seconds
from engine.lock import EngineBusyError, EngineLock
from engine.sync.batches import by_bytes, by_count, uid_set
from engine.sync.runner import MAX_BACKOFF_SECONDS, backoff


def test_uid_set_compresses_runs() -> None:
    assert uid_set([1, 2, 3, 5, 7, 8, 9, 20]) == "1:3,5,7:9,20"
    assert uid_set([4]) == "4"
    with pytest.raises(ValueError):
        uid_set([])


def test_uid_set_of_many_uids_stays_short() -> None:
    uids = list(range(1, 20001))
    assert uid_set(uids) == "1:20000"


def test_batches_by_count_and_bytes() -> None:
    assert [len(b) for b in by_count(list(range(10)), 4)] == [4, 4, 2]
    items = [(1, 10), (2, 10), (3, 100), (4, 5), (5, 5)]
    assert list(by_bytes(items, max_messages=10, max_bytes=25)) == [[1, 2], [3], [4, 5]]
    assert list(by_bytes(items, max_messages=2, max_bytes=10**9)) == [[1, 2], [3, 4], [5]]
    assert list(by_bytes([])) == []


def test_backoffs_grow_and_are_capped() -> None:
    rng = random.Random(1)
    delays = [backoff_seconds(n, rng=rng) for n in range(1, 15)]
    assert delays[0] < 10 and max(delays) <= MAX_DELAY_SECONDS * 1.5
    assert delays[5] > delays[1]
    assert all(0 < backoff(n) <= MAX_BACKOFF_SECONDS for n in range(1, 30))


def test_denied_matches_address_and_domain_case_insensitively() -> None:
    denied = Denied(frozenset({"pest@a.example"}), frozenset({"spam.example"}))
    assert denied.blocks("Pest@A.example")
    assert denied.blocks("anyone@SPAM.example")
    assert not denied.blocks("friend@a.example")
    assert not denied.blocks("x@notspam.example")
    assert not denied.blocks("")


def test_engine_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    first = EngineLock(tmp_path / "x.db")
    first.acquire()
    try:
        with pytest.raises(EngineBusyError) as info:
            EngineLock(tmp_path / "x.db").acquire()
        assert "pid" in str(info.value)
    finally:
        first.release()
    with EngineLock(tmp_path / "x.db"):
        pass
    assert (tmp_path / "x.db.lock").stat().st_mode & 0o777 == 0o600


def _die_in_worker() -> str:
    import multiprocessing
    import os

    if multiprocessing.parent_process() is not None:
        os._exit(3)  # a pool worker killed mid-task
    return "done in a thread"


def _square(x: int) -> int:
    return x * x


async def test_a_broken_process_pool_falls_back_to_a_thread() -> None:
    from engine.sync.cpu import POOL_THRESHOLD, CpuPool

    pool = CpuPool(processes=2)
    pool.expect(POOL_THRESHOLD)
    try:
        assert await pool.run(_square, 7) == 49
        # A worker dies: the work is done in a thread instead, and so is what follows.
        assert await pool.run(_die_in_worker) == "done in a thread"
        assert await pool.run(_square, 5) == 25
    finally:
        pool.close()


async def test_concurrent_calls_on_a_broken_pool_all_fall_back() -> None:
    import asyncio

    from engine.sync.cpu import POOL_THRESHOLD, CpuPool

    pool = CpuPool(processes=2)
    pool.expect(POOL_THRESHOLD)
    try:
        results = await asyncio.gather(*(pool.run(_die_in_worker) for _ in range(4)))
        assert results == ["done in a thread"] * 4
    finally:
        pool.close()


def test_fetched_dates_survive_pickling() -> None:
    import pickle

    from imapclient.datetime_util import parse_to_datetime

    from engine.sync.imap_ops import _fetched

    when = parse_to_datetime(b"24-Oct-2026 22:25:39 +0200", normalise=False)
    fetched = _fetched(1, {b"INTERNALDATE": when, b"BODY[]": b"x"}, b"BODY[]")
    again = pickle.loads(pickle.dumps(fetched))
    assert again.internal_date == when and again.internal_date.utcoffset().total_seconds() == 0


def test_vanished_responses_become_uids_bounded_by_the_synced_mark() -> None:
    from engine.sync.imap_ops import parse_vanished

    assert parse_vanished([b"(EARLIER) 3:5,9", b"12"], 10) == [3, 4, 5, 9]
    assert parse_vanished([b"(EARLIER) 4000000000:1"], 3) == [1, 2, 3]
    assert parse_vanished([b"(EARLIER) x,7"], 10) == [7]
    assert parse_vanished([], 10) == []


def test_prefork_starts_workers_the_next_pool_uses_and_refuses_once_threads_run() -> None:
    import subprocess
    import sys

    script = """
import asyncio, os, threading
from engine.sync.cpu import CpuPool, prefork
started = prefork(2)
pool = CpuPool(2)
pid = asyncio.run(pool.run(os.getpid))
pool.close()
stop = threading.Event()
threading.Thread(target=stop.wait).start()
late = prefork(2)
stop.set()
print(started, pid != os.getpid(), late)
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert out == ["True", "True", "False"]


def test_shared_slots_place_read_and_refuse_what_does_not_fit() -> None:
    from engine.sync.shared_bytes import SharedSlots

    class Placed(NamedTuple):
        slot: int
        spans: list[tuple[int, int]]

    slots = SharedSlots(slots=2, slot_bytes=10)

    def place(chunks: list[bytes]) -> Placed | None:
        slot = slots.take(sum(map(len, chunks)))
        return None if slot is None else Placed(slot, slots.write(slot, chunks))

    first = place([b"abc", b"", b"defg"])
    assert first is not None
    assert [slots.read(start, length) for start, length in first.spans] == [b"abc", b"", b"defg"]
    assert place([b"x" * 11]) is None  # larger than a slot
    second = place([b"0123456789"])
    assert second is not None and second.slot != first.slot
    assert place([b"y"]) is None  # every slot taken
    slots.release(first.slot)
    third = place([b"zz"])
    assert third is not None and third.slot == first.slot
    assert slots.read(*third.spans[0]) == b"zz"
    assert slots.read(*second.spans[0]) == b"0123456789"  # the other slot kept its bytes


def test_forked_workers_read_batches_from_shared_memory_and_the_pipe_takes_the_rest() -> None:
    import subprocess
    import sys

    script = """
import asyncio, os
from engine.sync import cpu
from engine.sync.shared_bytes import SLOTS

def sizes(pairs):
    return [(key, len(data), data[:1], os.getpid()) for key, data in pairs]

assert cpu.prefork(2)
pool = cpu.CpuPool(2)
placed = []
take = pool._shared.take
pool._shared.take = lambda size: placed.append(take(size)) or placed[-1]

async def main():
    batches = [[(n, bytes([65 + n]) * (1000 * n + 1)) for n in range(b, b + 3)]
               for b in range(0, 3 * (SLOTS + 2), 3)]
    results = await asyncio.gather(*(pool.run_pairs(sizes, batch) for batch in batches))
    for batch, result in zip(batches, results):
        assert [(k, n, c) for k, n, c, _ in result] == [
            (k, len(d), d[:1]) for k, d in batch], result
        assert all(pid != os.getpid() for *_, pid in result)
    return sum(p is not None for p in placed), sum(p is None for p in placed)

PARENT = os.getpid()

def die_in_worker(pairs):
    if os.getpid() != PARENT:
        os._exit(1)
    return sizes(pairs)

print(*asyncio.run(main()))
# A worker dies: the batch is read from the same memory in a thread of this process.
after = asyncio.run(pool.run_pairs(die_in_worker, [(7, b"seven")]))
print(after == [(7, 5, b"s", PARENT)] and placed[-1] is not None)
print(len(pool._shared._free) == SLOTS)
pool.close()
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    shared, piped = int(out[0]), int(out[1])
    assert shared >= 1 and piped >= 1  # more batches at once than slots: some piped
    assert out[2:] == ["True", "True"]  # a broken pool falls back; every slot released
