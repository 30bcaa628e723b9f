"""Sync that must survive the real world: push, UIDVALIDITY changes, a killed process,
a server that goes away mid-sync."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.corpus import generate_corpus
from engine.service import LocalService
from engine.sync.progress import SyncEvent
from storage import customers
from storage.raw_codec import decompress
from tests.integration.sync_support import (
    Item,
    RunningEngine,
    flag_set,
    mail,
    open_service,
    server_uids,
    spec_for,
    store_rows,
)
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration
USER = "bob@example.com"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bob(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


async def test_new_mail_arrives_by_idle_within_two_seconds(bob, tmp_path: Path) -> None:
    bob.append_messages(USER, [Item(mail("before"))])
    service, agent = await open_service(tmp_path)
    try:
        # An hour between polls: only push can deliver the new mail in time.
        await service.add_account(agent, spec_for(bob, USER, check_every_minutes=60),
                                  bob.users[USER])
        async with RunningEngine(service, agent) as engine:
            await engine.next_pass()
            await asyncio.sleep(0.5)  # let the IDLE connection settle into IDLE
            started = time.monotonic()
            await asyncio.to_thread(bob.append_messages, USER, [Item(mail("pushed"))])
            while time.monotonic() - started < 5:
                if "pushed" in {r["subject"] for r in await store_rows(service)}:
                    break
                await asyncio.sleep(0.05)
            elapsed = time.monotonic() - started
            assert "pushed" in {r["subject"] for r in await store_rows(service)}
            assert elapsed < 2.0, f"took {elapsed:.2f}s"
    finally:
        await service.close()


async def test_second_engine_is_refused_while_one_runs(bob, tmp_path: Path) -> None:
    from engine.lock import EngineBusyError

    service, agent = await open_service(tmp_path)
    stop = asyncio.Event()
    try:
        await service.add_account(agent, spec_for(bob, USER), bob.users[USER])
        runner = asyncio.create_task(service.sync(agent, once=False, stop=stop))
        await asyncio.sleep(0.3)
        with pytest.raises(EngineBusyError) as info:
            await service.sync(agent)
        assert f"pid {os.getpid()}" in str(info.value)
        stop.set()
        await asyncio.wait_for(runner, 10)
        assert (await service.sync(agent))[0].error is None  # free again
    finally:
        stop.set()
        await service.close()


async def test_uidvalidity_change_refetches_and_keeps_annotations(bob, tmp_path: Path) -> None:
    raws = [mail(f"case {i}", message_id=f"<case{i}@customer.example>") for i in range(5)]
    bob.append_messages(USER, [Item(r, folder="Cases") for r in raws])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER, folders=("INBOX", "Cases")),
                                  bob.users[USER])
        await service.sync(agent)
        before = {r["message_id"]: r for r in await service.store.reader.fetchall(
            "SELECT uid, message_id, thread_id FROM messages")}
        async with service.store.transaction() as db:
            await customers.insert(db, name="Carla", company="Customer", created_by=agent.id,
                                   addresses=["carla@customer.example"])
        # Recreate the folder elsewhere: same mail, new UIDVALIDITY.
        client = bob.connect(USER)
        old_validity = client.select_folder("Cases")[b"UIDVALIDITY"]
        client.close_folder()
        client.delete_folder("Cases")
        client.logout()
        await asyncio.sleep(1.1)  # UIDVALIDITY is time based
        bob.append_messages(USER, [Item(r, folder="Cases") for r in raws])
        result = (await service.sync(agent))[0]
        assert result.error is None
        assert result.folders["Cases"].reset
        after = await service.store.reader.fetchall(
            "SELECT uid, uidvalidity, message_id, thread_id FROM messages")
        assert len(after) == 5
        assert {r["uidvalidity"] for r in after} != {old_validity}
        for row in after:
            assert row["thread_id"] == before[row["message_id"]]["thread_id"]
        listed = await service.list_by_spec(agent, "bob:Cases")
        assert len(listed) == 5 and all(m.customer_id is not None for m in listed)
    finally:
        await service.close()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{pid}\n" in status:
                found.append(int(entry.name))
    return found


def _all_gone(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state  # a zombie has exited


def _frontdesk(tmp: Path, *args: str, stdin: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp / "xdg"), "XDG_CONFIG_HOME": str(tmp / "xdg")}
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "--db", str(tmp / "kill.db"), *args],
        cwd=ROOT, env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("phase", ["headers", "bodies"])
async def test_killed_first_sync_resumes_without_duplicates_or_loss(
    dovecot_factory, tmp_path: Path, phase: str
) -> None:
    server: DovecotServer = dovecot_factory(users={USER: "pw"}, shares=())
    # All in one folder: enough messages for the parse to run in worker processes.
    inbox = list(generate_corpus(2600, seed=21))
    await asyncio.to_thread(server.append_messages, USER, inbox, folder="INBOX")
    add = _frontdesk(tmp_path, "account", "add", "bob", "--email", USER, "--imap-host",
                     server.host, "--imap-port", str(server.ssl_port), "--ca-file",
                     str(server.cafile), "--password-stdin")
    assert add.communicate("pw\n", timeout=60)[1] == "" and add.returncode == 0

    sync = _frontdesk(tmp_path, "sync", "--once", "--progress", "json")
    assert sync.stderr is not None
    killed = False
    helpers: list[int] = []
    for line in sync.stderr:
        event = json.loads(line)
        if (event.get("event") == "folder" and event.get("phase") == phase
                and 0 < event.get("done", 0) < event.get("total", 0)):
            helpers = _children(sync.pid)
            sync.send_signal(signal.SIGKILL)
            killed = True
            break
    sync.wait(timeout=60)
    assert killed, "the sync ended before it could be killed"
    assert sync.returncode == -signal.SIGKILL
    assert helpers, "a first sync this large parses in worker processes"
    # The workers of a killed engine leave with it.
    assert await asyncio.to_thread(_all_gone, helpers, 5.0), "workers outlived the engine"

    again = _frontdesk(tmp_path, "sync", "--once")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    import sqlite3

    con = sqlite3.connect(tmp_path / "kill.db")
    try:
        rows = con.execute("SELECT uid FROM messages").fetchall()
        uids = [r[0] for r in rows]
        assert len(uids) == len(set(uids)) == len(inbox)
        assert set(uids) == set(await server_uids(server, USER))
        assert con.execute("SELECT count(*) FROM messages WHERE has_body = 0").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM message_raw").fetchone()[0] == len(inbox)
        # Bodies fetched in bulk are in pack files: each row's bytes are there, whole.
        rows = con.execute(
            "SELECT r.compression, r.data, r.pack, r.pack_offset, r.pack_length, m.size "
            "FROM message_raw AS r JOIN messages AS m ON m.id = r.message_id").fetchall()
        packs = tmp_path / "kill.db.packs"
        assert sum(1 for r in rows if r[2] is not None) > len(inbox) // 2
        listed = {r[0] for r in con.execute("SELECT name FROM raw_packs")}
        for codec, data, pack, offset, length, size in rows:
            if pack is not None:
                assert pack in listed
                data = _packed(packs / pack, offset, length)
            assert len(decompress(codec, data)) == size
    finally:
        con.close()


def _packed(path: Path, offset: int, length: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read(length)


async def test_server_gone_mid_sync_then_back(dovecot_factory, tmp_path: Path) -> None:
    server: DovecotServer = dovecot_factory(users={USER: "pw"}, shares=())
    inbox = list(generate_corpus(2000, seed=5))
    await asyncio.to_thread(server.append_messages, USER, inbox, folder="INBOX")
    service, agent = await open_service(tmp_path)
    halted: list[bool] = []

    def progress(event: SyncEvent) -> None:
        # Blocking here on purpose: the next batch is already being fetched in the
        # connection's thread and dies with the server.
        if (event.event == "folder" and event.phase == "bodies"
                and 0 < event.done < event.total and not halted):
            server.halt()
            halted.append(True)

    try:
        await service.add_account(agent, spec_for(server, USER), "pw")
        result = (await service.sync(agent, progress=progress))[0]
        assert halted
        assert result.error is not None
        health = (await service.status(agent))[0]
        assert health.last_error is not None and not health.healthy
        light = (await service.status(agent, counts=False))[0]  # the console's poll
        assert (light.last_error, light.healthy) == (health.last_error, False)
        assert light.messages == 0 < health.messages
        await asyncio.to_thread(server.resume)
        result = (await service.sync(agent))[0]
        assert result.error is None
        rows = await store_rows(service)
        assert len(rows) == len(inbox) and all(r["has_body"] for r in rows)
        assert (await service.status(agent))[0].healthy
    finally:
        await service.close()


async def test_sync_now_from_another_connection_wakes_the_running_engine(
    bob, tmp_path: Path
) -> None:
    """A console's "sync now" is a mark in the store: the engine (here a separate Service
    on the same store, as `frontdesk sync` would be) syncs every folder at once, not at
    its next poll an hour away."""
    bob.append_messages(USER, [Item(mail("first"), folder="Cases")])
    service, agent = await open_service(tmp_path)
    console = await LocalService.open(tmp_path / "sync.db")
    try:
        await service.add_account(agent, spec_for(bob, USER, folders=("INBOX", "Cases"),
                                                  check_every_minutes=60), bob.users[USER])
        async with RunningEngine(service, agent) as engine:
            await engine.next_pass()
            assert {r["subject"] for r in await store_rows(service, "Cases")} == {"first"}
            engine.passes.clear()
            # Not the inbox: IDLE does not see it.
            await asyncio.to_thread(bob.append_messages, USER,
                                    [Item(mail("later"), folder="Cases")])
            await asyncio.sleep(1.5)
            assert "later" not in {r["subject"] for r in await store_rows(service, "Cases")}
            await console.request_sync(await console.login("tester"))
            await asyncio.wait_for(engine.passes.wait(), 5)
            assert "later" in {r["subject"] for r in await store_rows(service, "Cases")}
    finally:
        await console.close()
        await service.close()


async def test_a_flag_set_in_a_console_reaches_the_server_at_once(bob, tmp_path: Path) -> None:
    """The job that carries a flag change wakes the running engine in the same
    transaction: the server has it within seconds, not at the next poll."""
    bob.append_messages(USER, [Item(mail("to flag"))])
    service, agent = await open_service(tmp_path)
    console = await LocalService.open(tmp_path / "sync.db")
    try:
        await service.add_account(agent, spec_for(bob, USER, check_every_minutes=60),
                                  bob.users[USER])
        async with RunningEngine(service, agent) as engine:
            await engine.next_pass()
            viewer = await console.login("tester")
            (row,) = await console.list_by_spec(viewer, "bob:INBOX")
            await console.set_flagged(viewer, row.id, True)
            started = time.monotonic()
            flagged = False
            while time.monotonic() - started < 5 and not flagged:
                await asyncio.sleep(0.1)
                remote = await server_uids(bob, USER)
                flagged = all("\\Flagged" in flag_set(v[b"FLAGS"]) for v in remote.values())
            assert flagged, "the flag did not reach the server"
    finally:
        await console.close()
        await service.close()


async def test_a_running_engine_takes_in_an_account_added_since_at_sync_now(
    bob, tmp_path: Path
) -> None:
    """`frontdesk sync` (or the console's engine) started before the account existed:
    "sync now" makes it sync the new account, and a removed one is let go."""
    bob.append_messages(USER, [Item(mail(f"waiting {n}")) for n in range(3)])
    service, agent = await open_service(tmp_path)
    try:
        async with RunningEngine(service, agent) as engine:
            await asyncio.sleep(0.2)  # the engine runs, with nothing to sync
            await service.add_account(agent, spec_for(bob, USER, check_every_minutes=60),
                                      bob.users[USER])
            await service.request_sync(agent)
            await engine.next_pass(seconds=15)
            assert sorted(r["subject"] for r in await store_rows(service)) == [
                f"waiting {n}" for n in range(3)]
            await service.remove_account(agent, "bob")
            await service.request_sync(agent)
            with pytest.raises(TimeoutError):
                await engine.next_pass(seconds=3)
    finally:
        await service.close()
