"""Undoing a delete or an archive against the real Dovecot: withdrawn before the server
saw it, moved back after, and refused with a reason where it cannot be."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from engine.errors import ConflictError, InvalidInputError, NotFoundError
from storage import jobs as jobs_sql
from tests.integration.sync_support import Item, mail
from tests.integration.test_message_actions import (
    USER,
    audit_of,
    job_state,
    jobs_of,
    listed,
    on_server,
    rows_of,
    start,
    synced,
)
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


async def test_undo_before_the_engine_ran_withdraws_the_job(
    server: DovecotServer, tmp_path: Path
) -> None:
    service, agent, ids = await start(server, tmp_path, ["Oops", "Other"])
    try:
        [before] = [r for r in await rows_of(service, "INBOX") if r["id"] == ids["Oops"]]
        removed = await service.delete_message(agent, ids["Oops"])
        assert ids["Oops"] not in await listed(service, agent, "bob:INBOX")

        back = await service.restore_message(agent, ids["Oops"])
        assert (back.folder, back.job_id) == ("INBOX", None)
        assert await listed(service, agent, "bob:INBOX") == {ids["Oops"], ids["Other"]}
        [row] = [r for r in await rows_of(service, "INBOX") if r["id"] == ids["Oops"]]
        assert (row["uid"], row["uidvalidity"]) == (before["uid"], before["uidvalidity"])
        assert removed.job_id is not None
        assert await job_state(service, removed.job_id) == "cancelled"
        assert [e["action"] for e in await audit_of(service)] == [
            "message.delete", "message.restore"]

        await synced(service, agent)  # the withdrawn job never reaches the server
        assert len(await on_server(server, "INBOX")) == 2
        assert await on_server(server, "Trash") == {}
        assert len(await rows_of(service, "INBOX")) == 2
    finally:
        await service.close()


@pytest.mark.parametrize("how", ["delete", "archive"])
async def test_undo_after_the_server_moved_it_moves_it_back(
    server: DovecotServer, tmp_path: Path, how: str
) -> None:
    service, agent, ids = await start(server, tmp_path, ["Back again"],
                                      folders=("INBOX", "Trash", "Archive"))
    try:
        message_id = (await rows_of(service, "INBOX"))[0]["message_id"]
        act = service.delete_message if how == "delete" else service.archive_message
        removed = await act(agent, ids["Back again"])
        await synced(service, agent)
        away = "Trash" if how == "delete" else "Archive"
        assert list((await on_server(server, away)).values()) == [message_id]
        assert removed.job_id is not None
        assert await job_state(service, removed.job_id) == "done"

        back = await service.restore_message(agent, ids["Back again"])
        assert back.folder == "INBOX" and back.job_id is not None
        # in the store at once; the server follows
        assert await listed(service, agent, "bob:INBOX") == {ids["Back again"]}
        assert await listed(service, agent, f"bob:{away}") == set()
        await synced(service, agent)
        inbox = await on_server(server, "INBOX")
        assert list(inbox.values()) == [message_id]
        assert await on_server(server, away) == {}
        rows = await rows_of(service, "INBOX")
        assert [(r["id"], r["uid"]) for r in rows] == [(ids["Back again"], next(iter(inbox)))]
        await synced(service, agent)  # and stays one row everywhere
        assert len(await rows_of(service, "INBOX")) == 1
        assert await rows_of(service, away) == []
    finally:
        await service.close()


async def test_undo_of_a_delete_for_good_works_until_the_expunge_ran(
    server: DovecotServer, tmp_path: Path
) -> None:
    service, agent, ids = await start(server, tmp_path, ["Purged", "Undone"],
                                      roles={"Trash": None})
    try:
        for subject in ("Purged", "Undone"):
            await service.delete_message(agent, ids[subject])
        back = await service.restore_message(agent, ids["Undone"])
        assert (back.folder, back.job_id) == ("INBOX", None)
        assert await listed(service, agent, "bob:INBOX") == {ids["Undone"]}

        await synced(service, agent)
        inbox = await on_server(server, "INBOX")
        assert len(inbox) == 1  # only the other one was expunged
        flags = await asyncio.to_thread(_flags, server, next(iter(inbox)))
        assert b"\\Deleted" not in flags
        with pytest.raises(NotFoundError):
            await service.restore_message(agent, ids["Purged"])
    finally:
        await service.close()


def _flags(server: DovecotServer, uid: int) -> tuple[bytes, ...]:
    with server.connect(USER) as client:
        client.select_folder("INBOX", readonly=True)
        return tuple(client.get_flags([uid])[uid])


async def test_mail_put_in_trash_elsewhere_goes_back_to_the_inbox(
    server: DovecotServer, tmp_path: Path
) -> None:
    server.append_messages(USER, [Item(mail("Binned elsewhere"), folder="Trash")])
    service, agent, _ = await start(server, tmp_path, [], folders=("INBOX", "Trash"))
    try:
        [binned] = await listed(service, agent, "bob:Trash")
        back = await service.restore_message(agent, binned)
        assert back.folder == "INBOX" and back.job_id is not None
        await synced(service, agent)
        assert len(await on_server(server, "INBOX")) == 1
        assert await on_server(server, "Trash") == {}
    finally:
        await service.close()


async def test_undo_refusals_change_nothing(server: DovecotServer, tmp_path: Path) -> None:
    service, agent, ids = await start(server, tmp_path, ["Here", "Busy"])
    try:
        with pytest.raises(InvalidInputError) as err:
            await service.restore_message(agent, ids["Here"])
        assert str(err.value) == (f"message {ids['Here']} is in INBOX, not in Trash or "
                                  "Archive; there is nothing to undo")

        await service.delete_message(agent, ids["Busy"])
        async with service.store.transaction() as db:  # the engine is moving it now
            await jobs_sql.claim_due(db, account_id=1, limit=10)
        before = (await jobs_of(service), await audit_of(service))
        with pytest.raises(ConflictError) as busy:
            await service.restore_message(agent, ids["Busy"])
        assert "being moved on the server right now; try again in a moment" in str(busy.value)
        assert (await jobs_of(service), await audit_of(service)) == before
        with pytest.raises(NotFoundError):
            await service.restore_message(agent, 999_999)
    finally:
        await service.close()
