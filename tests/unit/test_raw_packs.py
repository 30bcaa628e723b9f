"""Pack files: bodies fetched in bulk kept beside the database, read back, and tidied."""

import os
import stat
import time
from pathlib import Path

import pytest

from engine.doctor.files import permissions_check
from engine.ingest import Incoming, ingest, prepare_bodies, store_bodies
from engine.service import LocalService
from storage import StoreError, messages, raw_packs
from tests.store_factory import build_team, make_mail


@pytest.fixture
async def setup(tmp_path: Path):
    service = await LocalService.open(tmp_path / "p.db")
    team = await build_team(service.store)
    yield service, team
    await service.close()


async def _with_bodies(service, team, count: int, *, account: str = "support",
                       first_uid: int = 1) -> tuple[list[int], list[bytes]]:
    """Header-only rows for `count` messages, then their bodies stored as a sync does."""
    raws = [make_mail(f"note {n}", message_id=f"<p{first_uid + n}@x>",
                      body=f"body {n} " + os.urandom(600).hex())
            for n in range(count)]
    ids = await ingest(service.store, account_id=team.accounts[account],
                       folder_id=team.inboxes[account], items=[
        Incoming(raw[: raw.index(b"\r\n\r\n") + 2], uid=first_uid + n, uidvalidity=7,
                 size=len(raw), headers_only=True) for n, raw in enumerate(raws)])
    updates = await prepare_bodies(list(zip(ids, raws, strict=True)),
                                   packs=service.store.packs)
    await store_bodies(service.store, updates)
    return ids, raws


async def _rows(service) -> list[tuple]:
    return [tuple(r) for r in await service.store.reader.fetchall(
        "SELECT message_id, length(data), pack, pack_offset, pack_length FROM message_raw "
        "ORDER BY message_id")]


async def _raw(service, team, message_id: int, account: str = "support") -> bytes | None:
    return await messages.raw(service.store.reader, message_id=message_id,
                              account_ids=[team.accounts[account]])


async def test_a_large_batch_is_one_pack_file_read_back_exactly(setup, monkeypatch) -> None:
    service, team = setup
    monkeypatch.setattr(raw_packs, "PACK_MIN_BYTES", 1)
    ids, raws = await _with_bodies(service, team, 5)
    rows = await _rows(service)
    names = {r[2] for r in rows}
    assert len(names) == 1 and None not in names
    assert all(r[1] == 0 for r in rows)  # nothing of the mail in the database
    packs = service.store.packs
    pack = packs / names.pop()
    assert stat.S_IMODE(packs.stat().st_mode) == 0o700
    assert stat.S_IMODE(pack.stat().st_mode) == 0o600
    assert pack.stat().st_size == sum(r[4] for r in rows)
    listed = await service.store.reader.fetchall("SELECT name, size FROM raw_packs")
    assert [tuple(r) for r in listed] == [(pack.name, pack.stat().st_size)]
    for message_id, raw in zip(ids, raws, strict=True):
        assert await _raw(service, team, message_id) == raw
    # Another agent's account is still refused, pack or not.
    assert await _raw(service, team, ids[0], account="sales") is None
    found = await messages.search_ids(service.store.reader, match="note",
                                      account_ids=[team.accounts["support"]], limit=10)
    assert sorted(found) == sorted(ids)


async def test_a_small_batch_stays_in_the_database(setup) -> None:
    service, team = setup
    ids, raws = await _with_bodies(service, team, 3)
    rows = await _rows(service)
    assert [r[2] for r in rows] == [None, None, None]
    assert all(r[1] > 0 for r in rows)
    assert not service.store.packs.exists()
    assert await _raw(service, team, ids[2]) == raws[2]


async def test_removing_an_account_removes_its_pack_files(setup, monkeypatch) -> None:
    service, team = setup
    monkeypatch.setattr(raw_packs, "PACK_MIN_BYTES", 1)
    await _with_bodies(service, team, 3, account="support")
    ids, raws = await _with_bodies(service, team, 2, account="sales", first_uid=10)
    before = sorted(p.name for p in service.store.packs.iterdir())
    assert len(before) == 2
    await service.remove_account(team.agents["ann"], "support")
    after = sorted(p.name for p in service.store.packs.iterdir())
    rows = await _rows(service)
    assert after == [rows[0][2]] and len(after) == 1
    assert await service.store.reader.scalar("SELECT count(*) FROM raw_packs") == 1
    assert await _raw(service, team, ids[1], account="sales") == raws[1]


async def test_a_mostly_dead_pack_is_rewritten_and_readers_follow(setup, monkeypatch) -> None:
    service, team = setup
    monkeypatch.setattr(raw_packs, "PACK_MIN_BYTES", 1)
    ids, raws = await _with_bodies(service, team, 4)
    old = (await _rows(service))[0][2]
    async with service.store.transaction() as db:
        await db.execute("DELETE FROM messages WHERE id IN (?, ?)", (ids[0], ids[2]))
    # A quarter dead is not enough to be left alone: half is rewritten.
    old_row = await service.store.reader.fetchone(
        f"SELECT {raw_packs.COLUMNS} FROM message_raw AS r WHERE message_id = ?", (ids[3],))
    assert await raw_packs.sweep(service.store, engine=False) == 0
    assert await raw_packs.sweep(service.store, engine=True) == 1
    rows = await _rows(service)
    assert [r[0] for r in rows] == [ids[1], ids[3]]
    new = {r[2] for r in rows}
    assert len(new) == 1 and old not in new
    assert sorted(p.name for p in service.store.packs.iterdir()) == sorted(new)
    assert (service.store.packs / new.pop()).stat().st_size == sum(r[4] for r in rows)
    assert await _raw(service, team, ids[1]) == raws[1]
    assert await _raw(service, team, ids[3]) == raws[3]
    # A reader that read the row before the rewrite finds the bytes where they went.
    codec, data = await raw_packs.stored(service.store.reader, ids[3], *old_row)
    assert codec == old_row[0] and data
    assert await service.store.reader.scalar("SELECT count(*) FROM raw_packs") == 1


async def test_unlisted_files_are_left_while_young_and_removed_by_the_engine(setup) -> None:
    service, _team = setup
    packs = service.store.packs
    packs.mkdir(mode=0o700)
    orphan = packs / ("ab" * 12 + raw_packs.SUFFIX)
    orphan.write_bytes(b"a batch whose transaction never committed")
    other = packs / "notes.txt"
    other.write_bytes(b"not ours")
    assert await raw_packs.sweep(service.store, engine=True) == 0
    assert orphan.exists()  # its batch may still be on its way
    old = time.time() - raw_packs.ORPHAN_AGE_S - 5
    os.utime(orphan, (old, old))
    os.utime(other, (old, old))
    assert await raw_packs.sweep(service.store, engine=False) == 0
    assert orphan.exists()  # only the engine, holding the store's lock, removes these
    assert await raw_packs.sweep(service.store, engine=True) == 1
    assert not orphan.exists() and other.exists()


async def test_a_missing_pack_file_is_a_clear_store_error(setup, monkeypatch) -> None:
    service, team = setup
    monkeypatch.setattr(raw_packs, "PACK_MIN_BYTES", 1)
    ids, _ = await _with_bodies(service, team, 2)
    for pack in service.store.packs.iterdir():
        pack.unlink()
    with pytest.raises(StoreError, match=r"pack file \w+\.pack is missing from .*p\.db\.packs"):
        await _raw(service, team, ids[0])


async def test_doctor_flags_a_pack_directory_others_can_read(setup, monkeypatch) -> None:
    service, team = setup
    monkeypatch.setattr(raw_packs, "PACK_MIN_BYTES", 1)
    await _with_bodies(service, team, 1)
    db = service.store.path
    assert permissions_check(db).status == "ok"
    service.store.packs.chmod(0o755)
    found = permissions_check(db)
    assert found.status == "fail"
    assert f"chmod 700 {service.store.packs}" in found.detail
    assert "chmod 600" not in found.detail
