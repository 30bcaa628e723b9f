"""Delete and archive against the real Dovecot: the store changes at once, the server
through the job queue, and every way a job can be interrupted converges."""

from __future__ import annotations

import asyncio
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest

from engine.errors import GoneError, InvalidInputError
from engine.models import Agent
from engine.service import LocalService
from engine.sync import imap_ops as ops
from storage import jobs as jobs_sql
from tests.integration.sync_support import (
    Item,
    RunningEngine,
    mail,
    open_service,
    server_uids,
    spec_for,
)
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration
USER = "bob@example.com"


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


def _message_id(values: dict[bytes, Any]) -> str:
    raw = next(v for k, v in values.items() if k.startswith(b"BODY[HEADER"))
    return str(BytesHeaderParser().parsebytes(raw)["Message-ID"]).strip()


async def on_server(server: DovecotServer, folder: str) -> dict[int, str]:
    """UID -> Message-ID of every message in a folder."""
    return {uid: _message_id(v) for uid, v in (await server_uids(server, USER, folder)).items()}


async def rows_of(service: LocalService, folder: str) -> list[Any]:
    return await service.store.reader.fetchall(
        "SELECT m.id, m.uid, m.uidvalidity, m.message_id, m.deleted FROM messages m "
        "JOIN folders f ON f.id = m.folder_id WHERE f.name = ? ORDER BY m.id", (folder,))


async def jobs_of(service: LocalService) -> list[Any]:
    return await service.store.reader.fetchall("SELECT * FROM jobs ORDER BY id")


async def job_state(service: LocalService, job_id: int) -> str:
    job = await jobs_sql.by_id(service.store.reader, job_id)
    assert job is not None
    return job.state


async def audit_of(service: LocalService) -> list[Any]:
    return await service.store.reader.fetchall(
        "SELECT * FROM audit_log WHERE action LIKE 'message.%' ORDER BY id")


async def listed(service: LocalService, agent: Agent, spec: str) -> set[int]:
    return {m.id for m in await service.list_by_spec(agent, spec, limit=100)}


async def folder_validity(server: DovecotServer, folder: str) -> int:
    def read() -> int:
        with server.connect(USER) as client:
            return int(client.folder_status(folder, ["UIDVALIDITY"])[b"UIDVALIDITY"])

    return await asyncio.to_thread(read)


async def move_directly(server: DovecotServer, uid: int, folder: str) -> None:
    """Another session's UID MOVE (as the engine's own, had it died before recording)."""
    def move() -> None:
        with server.connect(USER) as client:
            client.select_folder("INBOX")
            client.move([uid], folder)

    await asyncio.to_thread(move)


async def synced(service: LocalService, agent: Agent) -> None:
    result = (await service.sync(agent))[0]
    assert result.error is None, result.error


async def start(
    server: DovecotServer, tmp_path: Path, subjects: list[str], *,
    folders: tuple[str, ...] = ("INBOX",), roles: dict[str, str | None] | None = None,
) -> tuple[LocalService, Agent, dict[str, int]]:
    """Mail in bob's INBOX, synced; returns the store ids by subject."""
    server.append_messages(USER, [Item(mail(s)) for s in subjects])
    service, agent = await open_service(tmp_path)
    await service.add_account(agent, spec_for(server, USER, folders=folders),
                              server.users[USER])
    await synced(service, agent)
    if roles:
        await service.configure_folders(agent, "bob", roles=roles)
    rows = await service.list_by_spec(agent, "bob:INBOX", limit=100)
    return service, agent, {r.subject: r.id for r in rows}


async def test_delete_moves_to_trash_in_the_store_at_once_then_on_the_server(
    server: DovecotServer, tmp_path: Path
) -> None:
    service, agent, ids = await start(server, tmp_path, ["Keep me", "Bin me"])
    try:
        target = ids["Bin me"]
        message_id = (await rows_of(service, "INBOX"))[-1]["message_id"]
        await service.delete_message(agent, target)
        # the store, before any engine ran
        assert await listed(service, agent, "bob:INBOX") == {ids["Keep me"]}
        assert await listed(service, agent, "bob:Trash") == {target}
        [row] = await rows_of(service, "Trash")
        assert row["id"] == target and row["uid"] is None
        [job] = await jobs_of(service)
        assert job["kind"] == "imap.move" and job["state"] == "pending"
        [entry] = await audit_of(service)
        assert (entry["action"], entry["target_kind"], entry["target_id"],
                entry["agent_id"]) == ("message.delete", "message", target, agent.id)
        # the server still has it in INBOX until the engine runs
        assert len(await on_server(server, "INBOX")) == 2

        await synced(service, agent)
        inbox, trash = await on_server(server, "INBOX"), await on_server(server, "Trash")
        assert message_id not in inbox.values() and len(inbox) == 1
        assert list(trash.values()) == [message_id]
        [row] = await rows_of(service, "Trash")
        assert row["id"] == target and row["uid"] == next(iter(trash))
        assert row["uidvalidity"] == await folder_validity(server, "Trash")
        assert await job_state(service, job["id"]) == "done"

        # syncing Trash too, twice, stores no second copy
        await service.configure_folders(agent, "bob", sync=["INBOX", "Trash"])
        await synced(service, agent)
        await synced(service, agent)
        assert [r["id"] for r in await rows_of(service, "Trash")] == [target]
        assert len(await rows_of(service, "INBOX")) == 1
    finally:
        await service.close()


async def test_archive_reaches_the_server_while_the_engine_runs(
    server: DovecotServer, tmp_path: Path
) -> None:
    service, agent, ids = await start(server, tmp_path, ["File me"],
                                      folders=("INBOX", "Archive"))
    try:
        message_id = (await rows_of(service, "INBOX"))[0]["message_id"]
        async with RunningEngine(service, agent) as engine:
            await engine.next_pass()
            await service.archive_message(agent, ids["File me"])
            assert await listed(service, agent, "bob:INBOX") == set()
            assert await listed(service, agent, "bob:Archive") == {ids["File me"]}
            # the action wakes the engine: no need to wait for the 5-minute interval
            for _ in range(100):
                rows = await rows_of(service, "Archive")
                if rows and rows[0]["uid"] is not None:
                    break
                await asyncio.sleep(0.1)
        archived = await on_server(server, "Archive")
        assert list(archived.values()) == [message_id]
        assert await on_server(server, "INBOX") == {}
        rows = await rows_of(service, "Archive")
        assert [(r["id"], r["uid"]) for r in rows] == [(ids["File me"], next(iter(archived)))]
        [entry] = await audit_of(service)
        assert entry["action"] == "message.archive" and entry["target_kind"] == "message"
    finally:
        await service.close()


async def test_archive_without_an_archive_folder_says_how_to_name_one(
    server: DovecotServer, tmp_path: Path
) -> None:
    service, agent, ids = await start(server, tmp_path, ["Nowhere to go"],
                                      roles={"Archive": None})
    try:
        with pytest.raises(InvalidInputError) as err:
            await service.archive_message(agent, ids["Nowhere to go"])
        assert "frontdesk account folders bob --role FOLDER=archive" in str(err.value)
        assert "\n" not in str(err.value)
        assert await listed(service, agent, "bob:INBOX") == {ids["Nowhere to go"]}
        assert await jobs_of(service) == [] and await audit_of(service) == []
    finally:
        await service.close()


async def test_delete_without_trash_expunges_that_message_alone(
    server: DovecotServer, tmp_path: Path
) -> None:
    service, agent, ids = await start(server, tmp_path, ["Purge me", "Flagged elsewhere"],
                                      roles={"Trash": None})
    try:
        # another client's pending delete: ours must not expunge it
        def flag_other() -> None:
            with server.connect(USER) as client:
                client.select_folder("INBOX")
                client.add_flags([max(client.search("ALL"))], ["\\Deleted"])

        await asyncio.to_thread(flag_other)
        await service.delete_message(agent, ids["Purge me"])
        assert ids["Purge me"] not in await listed(service, agent, "bob:INBOX")
        [job] = await jobs_of(service)
        assert job["kind"] == "imap.expunge"
        [row] = [r for r in await rows_of(service, "INBOX") if r["id"] == ids["Purge me"]]
        assert row["deleted"] == 1

        await synced(service, agent)
        inbox = await on_server(server, "INBOX")
        assert len(inbox) == 1  # the other one, still flagged \Deleted, not expunged
        assert await on_server(server, "Trash") == {}
        assert [r["id"] for r in await rows_of(service, "INBOX")] == [ids["Flagged elsewhere"]]
        assert await job_state(service, job["id"]) == "done"
    finally:
        await service.close()


async def test_delete_in_trash_deletes_for_good(server: DovecotServer, tmp_path: Path) -> None:
    server.append_messages(USER, [Item(mail("Old rubbish"), folder="Trash")])
    service, agent, _ = await start(server, tmp_path, [], folders=("INBOX", "Trash"))
    try:
        [in_trash] = await listed(service, agent, "bob:Trash")
        await service.delete_message(agent, in_trash)
        assert await listed(service, agent, "bob:Trash") == set()
        [job] = await jobs_of(service)
        assert job["kind"] == "imap.expunge"
        await synced(service, agent)
        assert await on_server(server, "Trash") == {}
        assert await rows_of(service, "Trash") == []
    finally:
        await service.close()


async def test_acting_on_a_message_already_deleted_is_gone_and_changes_nothing(
    server: DovecotServer, tmp_path: Path
) -> None:
    service, agent, ids = await start(server, tmp_path, ["Twice"])
    try:
        await service.delete_message(agent, ids["Twice"])
        before = (await jobs_of(service), await audit_of(service))
        for act in (service.delete_message, service.archive_message):
            with pytest.raises(GoneError) as err:
                await act(agent, ids["Twice"])
            assert str(err.value) == (
                f"message {ids['Twice']} is gone: another agent deleted or moved it, or it "
                "vanished from the server; nothing changed")
        assert (await jobs_of(service), await audit_of(service)) == before
        await synced(service, agent)
        assert len(await on_server(server, "Trash")) == 1
    finally:
        await service.close()


async def test_a_message_vanished_on_the_server_ends_its_job_quietly(
    server: DovecotServer, tmp_path: Path
) -> None:
    """Chosen behaviour: the message is nowhere on the server any more, so the store
    follows the server: the job ends done (not failed) and the row is removed."""
    service, agent, ids = await start(server, tmp_path, ["Vanishing", "Staying"])
    try:
        await service.delete_message(agent, ids["Vanishing"])

        def expunge_elsewhere() -> None:
            with server.connect(USER) as client:
                client.select_folder("INBOX")
                client.delete_messages([min(client.search("ALL"))])
                client.expunge()

        await asyncio.to_thread(expunge_elsewhere)
        await synced(service, agent)
        [job] = await jobs_of(service)
        assert job["state"] == "done" and job["last_error"] is None
        assert await rows_of(service, "Trash") == []
        assert await on_server(server, "Trash") == {}
        assert await listed(service, agent, "bob:INBOX") == {ids["Staying"]}
    finally:
        await service.close()


@pytest.mark.parametrize("trash_synced", [False, True])
async def test_crash_between_the_server_move_and_recording_it_converges(
    server: DovecotServer, tmp_path: Path, trash_synced: bool
) -> None:
    """The process died after the server moved the message and before the job recorded
    it (the job is left running). The next run finds the message in Trash by its
    Message-ID: one message, one row, the right UID."""
    folders = ("INBOX", "Trash") if trash_synced else ("INBOX",)
    service, agent, ids = await start(server, tmp_path, ["Crash", "Bystander"],
                                      folders=folders)
    try:
        [target] = [r for r in await rows_of(service, "INBOX") if r["id"] == ids["Crash"]]
        await service.delete_message(agent, ids["Crash"])
        async with service.store.transaction() as db:  # claimed by the process that died
            [job] = await jobs_sql.claim_due(db, account_id=1, limit=10)
        await move_directly(server, target["uid"], "Trash")

        await synced(service, agent)
        trash = await on_server(server, "Trash")
        assert list(trash.values()) == [target["message_id"]]
        rows = await rows_of(service, "Trash")
        assert [(r["id"], r["uid"]) for r in rows] == [(ids["Crash"], next(iter(trash)))]
        assert await job_state(service, job.id) == "done"
        await synced(service, agent)
        assert len(await rows_of(service, "Trash")) == 1
        assert [r["id"] for r in await rows_of(service, "INBOX")] == [ids["Bystander"]]
    finally:
        await service.close()


async def test_trash_sync_meeting_a_moved_message_before_its_job_keeps_one_row(
    server: DovecotServer, tmp_path: Path
) -> None:
    """The server moved the message, but the job's attempt failed and waits for its retry;
    meanwhile the Trash sync meets the message: the moved row takes its UID (by
    Message-ID) instead of a second row being stored, and the retried job agrees."""
    service, agent, ids = await start(server, tmp_path, ["Early"],
                                      folders=("INBOX", "Trash"))
    try:
        [target] = await rows_of(service, "INBOX")
        await service.delete_message(agent, ids["Early"])
        async with service.store.transaction() as db:
            [job] = await jobs_sql.claim_due(db, account_id=1, limit=10)
            await jobs_sql.retry_later(db, job.id, error="connection lost", delay_seconds=3600)
        await move_directly(server, target["uid"], "Trash")

        await synced(service, agent)
        [trash_uid] = await on_server(server, "Trash")
        rows = await rows_of(service, "Trash")
        assert [(r["id"], r["uid"]) for r in rows] == [(ids["Early"], trash_uid)]
        assert await job_state(service, job.id) == "pending"

        async with service.store.transaction() as db:
            await jobs_sql.retry_later(db, job.id, error="due", delay_seconds=0)
        await synced(service, agent)
        assert await job_state(service, job.id) == "done"
        rows = await rows_of(service, "Trash")
        assert [(r["id"], r["uid"]) for r in rows] == [(ids["Early"], trash_uid)]
    finally:
        await service.close()


@pytest.mark.parametrize("uidplus", [True, False])
def test_move_without_the_move_extension_copies_and_expunges_once(
    server: DovecotServer, uidplus: bool
) -> None:
    """UID COPY + \\Deleted + expunge of that UID, with the new UID from COPYUID (or a
    Message-ID search); run again, it finds the copy instead of copying twice."""
    raw = mail("Old school")
    server.append_messages(USER, [Item(raw), Item(mail("Other"))])
    message_id = str(BytesHeaderParser().parsebytes(raw)["Message-ID"]).strip()
    with server.connect(USER) as client:
        client.select_folder("INBOX")
        uid = min(client.search("ALL"))
        validity = int(client.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"])
        placed = ops.move_message(client, "INBOX", validity, uid, "Archive", message_id,
                                  move=False, uidplus=uidplus)
        again = ops.move_message(client, "INBOX", validity, uid, "Archive", message_id,
                                 move=False, uidplus=uidplus)
        client.select_folder("Archive", readonly=True)
        archived = client.search("ALL")
        client.select_folder("INBOX", readonly=True)
        left = client.search("ALL")
    assert placed.outcome == "moved" and placed.uid in archived and len(archived) == 1
    assert (again.outcome, again.uid, again.uidvalidity) == ("found", placed.uid,
                                                             placed.uidvalidity)
    assert uid not in left and len(left) == 1


def test_move_reports_the_new_uid_from_copyuid(server: DovecotServer,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """With MOVE and UIDPLUS the server names the new UID; no search is needed."""
    server.append_messages(USER, [Item(mail("Fast"))])
    monkeypatch.setattr(ops, "find_by_message_id", lambda *a, **k: pytest.fail("searched"))
    with server.connect(USER) as client:
        client.select_folder("INBOX")
        [uid] = client.search("ALL")
        validity = int(client.folder_status("INBOX", ["UIDVALIDITY"])[b"UIDVALIDITY"])
        placed = ops.move_message(client, "INBOX", validity, uid, "Trash", "<x@y>",
                                  move=True, uidplus=True)
        client.select_folder("Trash", readonly=True)
        assert client.search("ALL") == [placed.uid]
        assert placed.uidvalidity == int(
            client.folder_status("Trash", ["UIDVALIDITY"])[b"UIDVALIDITY"])
