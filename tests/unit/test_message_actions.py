"""Delete and archive on a store: what changes at once, the job queued, how a job's
outcome settles the row, and a job that fails for good putting things back."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from engine import message_actions
from engine.errors import GoneError, InvalidInputError, NotFoundError
from engine.imap.connection import ImapConnection
from engine.jobs import executor, moves
from engine.jobs.outcome import JobRejected
from engine.jobs.queue import EXPUNGE, MOVE, ExpungeSpec, MoveSpec
from engine.models import MessageRemoved
from engine.sync import imap_ops as ops
from engine.sync.requests import REQUEST_KEY
from storage import Db, Store, folders, messages, meta
from storage import jobs as jobs_sql
from storage.records import Job
from tests.listing_store import ListingStore, build_listing_store

VALIDITY = 7  # what build_listing_store gives every message


@pytest.fixture
async def data(tmp_path: Path):
    store = await Store.open(tmp_path / "m.db")
    built = await build_listing_store(store)
    async with store.transaction() as db:
        built.folders[("support", "Trash")] = await folders.insert(
            db, account_id=built.team.accounts["support"], name="Trash", role="trash")
    yield built
    await store.close()


def store_of(data: ListingStore) -> Store:
    return data.team.store


async def on_a_server(data: ListingStore, account: str) -> None:
    async with store_of(data).transaction() as db:
        await db.execute("UPDATE accounts SET imap_host = 'imap.example' WHERE id = ?",
                         (data.team.accounts[account],))


async def row(data: ListingStore, key: str) -> Any:
    return await store_of(data).reader.fetchone(
        "SELECT * FROM messages WHERE id = ?", (data.ids[key],))


async def payload(store: Store, job_id: int | None) -> dict[str, object]:
    job = await jobs_sql.by_id(store.reader, job_id or 0)
    assert job is not None
    return job.payload


async def all_jobs(data: ListingStore) -> list[Any]:
    return await store_of(data).reader.fetchall("SELECT * FROM jobs ORDER BY id")


async def audit_rows(data: ListingStore) -> list[Any]:
    return await store_of(data).reader.fetchall("SELECT * FROM audit_log ORDER BY id")


# -- acting --------------------------------------------------------------------------------


async def test_delete_of_mail_on_no_server_just_moves_the_row(data: ListingStore) -> None:
    bob = data.team.agents["bob"]
    done = await message_actions.delete(store_of(data), bob, data.ids["invoice"])
    assert done == MessageRemoved(data.ids["invoice"], "Trash", None)
    moved = await row(data, "invoice")
    assert moved["folder_id"] == data.folders[("support", "Trash")]
    assert moved["uid"] is None and moved["uidvalidity"] is None
    assert await all_jobs(data) == []
    [entry] = await audit_rows(data)
    assert (entry["agent_id"], entry["action"], entry["target_kind"], entry["target_id"]) == (
        bob.id, "message.delete", "message", data.ids["invoice"])


async def test_delete_on_a_server_queues_a_move_with_what_the_server_needs(
    data: ListingStore,
) -> None:
    await on_a_server(data, "support")
    store = store_of(data)
    before = await meta.get(store.reader, REQUEST_KEY)
    original = await row(data, "invoice")
    done = await message_actions.delete(store, data.team.agents["bob"], data.ids["invoice"])
    [job] = await all_jobs(data)
    assert done.job_id == job["id"] and job["kind"] == MOVE and job["state"] == "pending"
    spec = MoveSpec.parse(await payload(store, job["id"]))
    assert spec == MoveSpec(
        row=data.ids["invoice"], source="INBOX",
        source_folder_id=data.folders[("support", "INBOX")], uidvalidity=VALIDITY,
        uid=original["uid"], dest="Trash", dest_folder_id=data.folders[("support", "Trash")],
        message_id="<inv@x>",
    )
    assert await meta.get(store.reader, REQUEST_KEY) != before  # the engine is woken


async def test_delete_without_trash_marks_deleted_and_queues_an_expunge(
    data: ListingStore,
) -> None:
    await on_a_server(data, "bob-mail")
    store = store_of(data)
    original = await row(data, "bob_private")
    done = await message_actions.delete(store, data.team.agents["bob"],
                                        data.ids["bob_private"])
    assert done.folder is None
    gone = await row(data, "bob_private")
    assert gone["deleted"] == 1 and gone["uid"] is None
    assert gone["folder_id"] == original["folder_id"]
    [job] = await all_jobs(data)
    assert job["kind"] == EXPUNGE
    spec = ExpungeSpec.parse(await payload(store, job["id"]))
    assert (spec.row, spec.folder, spec.uid, spec.uidvalidity) == (
        data.ids["bob_private"], "INBOX", original["uid"], VALIDITY)
    # a flag sync of the folder cannot bring it back: it has no server key any more
    assert original["uid"] not in await messages.uids(
        store.reader, folder_id=original["folder_id"], uidvalidity=VALIDITY)


async def test_archive_needs_an_archive_folder(data: ListingStore) -> None:
    with pytest.raises(InvalidInputError) as err:
        await message_actions.archive(store_of(data), data.team.agents["bob"],
                                      data.ids["bob_private"])
    assert "`frontdesk account folders bob-mail --role FOLDER=archive`" in str(err.value)
    assert (await row(data, "bob_private"))["uid"] is not None
    assert await audit_rows(data) == []


async def test_archive_of_archived_mail_changes_nothing(data: ListingStore) -> None:
    with pytest.raises(InvalidInputError, match="already in Archive"):
        await message_actions.archive(store_of(data), data.team.agents["bob"],
                                      data.ids["archived"])
    assert await audit_rows(data) == []


async def test_mail_the_agent_cannot_see_is_not_found(data: ListingStore) -> None:
    for message_id in (data.ids["bob_private"], 999_999):
        with pytest.raises(NotFoundError) as err:
            await message_actions.delete(store_of(data), data.team.agents["carol"],
                                         message_id)
        assert not isinstance(err.value, GoneError)
        assert str(err.value) == f"message {message_id} not found"


async def test_deleted_moving_or_moved_mail_is_gone(data: ListingStore) -> None:
    await on_a_server(data, "support")
    store, bob = store_of(data), data.team.agents["bob"]
    await message_actions.delete(store, bob, data.ids["invoice"])  # a move is pending
    await message_actions.delete(store, bob, data.ids["bob_private"])  # deleted for good
    inbox = data.folders[("support", "INBOX")]
    before = (await all_jobs(data), await audit_rows(data))
    attempts = [
        (message_actions.delete, data.ids["invoice"], None),
        (message_actions.archive, data.ids["invoice"], None),
        (message_actions.delete, data.ids["bob_private"], None),
        # seen in the inbox by an agent whose view is stale: it is in Archive now
        (message_actions.delete, data.ids["archived"], inbox),
    ]
    for act, message_id, seen_in in attempts:
        with pytest.raises(GoneError, match=f"^message {message_id} is gone: another agent "):
            await act(store, bob, message_id, seen_in=seen_in)
    assert (await all_jobs(data), await audit_rows(data)) == before


async def test_a_finished_move_no_longer_blocks_acting_again(data: ListingStore) -> None:
    await on_a_server(data, "support")
    store, bob = store_of(data), data.team.agents["bob"]
    await message_actions.delete(store, bob, data.ids["invoice"])
    async with store.transaction() as db:
        [job] = await jobs_sql.claim_due(db, account_id=data.team.accounts["support"],
                                         limit=5)
        await jobs_sql.finish(db, job.id)
        await messages.place_moved(db, message_id=data.ids["invoice"],
                                   folder_id=data.folders[("support", "Trash")],
                                   uidvalidity=3, uid=40)
    done = await message_actions.archive(store, bob, data.ids["invoice"],
                                         seen_in=data.folders[("support", "Trash")])
    assert done.folder == "Archive"
    spec = MoveSpec.parse(await payload(store, done.job_id or 0))
    assert (spec.source, spec.uidvalidity, spec.uid, spec.dest) == ("Trash", 3, 40, "Archive")


# -- settling a job's outcome ----------------------------------------------------------------


def move_spec(data: ListingStore, key: str = "invoice", uid: int = 2) -> MoveSpec:
    return MoveSpec(
        row=data.ids[key], source="INBOX", source_folder_id=data.folders[("support", "INBOX")],
        uidvalidity=VALIDITY, uid=uid, dest="Trash",
        dest_folder_id=data.folders[("support", "Trash")], message_id="<inv@x>",
    )


async def settle(data: ListingStore, outcome: Any) -> None:
    async with store_of(data).transaction() as db:
        await outcome.record(db)


async def moved_out(data: ListingStore, key: str = "invoice") -> None:
    async with store_of(data).transaction() as db:
        await messages.move_to_folder(db, message_id=data.ids[key],
                                      folder_id=data.folders[("support", "Trash")])


async def test_a_moved_message_takes_its_new_uid(data: ListingStore) -> None:
    await moved_out(data)
    outcome = moves.settle_move(move_spec(data), ops.Placed("moved", 99, 12))
    assert outcome.note is None
    await settle(data, outcome)
    moved = await row(data, "invoice")
    assert (moved["uidvalidity"], moved["uid"]) == (99, 12)


async def test_a_row_the_sync_stored_for_the_new_uid_gives_way(data: ListingStore) -> None:
    await moved_out(data)
    trash = data.folders[("support", "Trash")]
    async with store_of(data).transaction() as db:  # as a Trash sync would have stored it
        await db.execute(
            "INSERT INTO messages (account_id, folder_id, uidvalidity, uid, date) "
            "VALUES (?, ?, 99, 12, '2026-10-01T00:00:00Z')",
            (data.team.accounts["support"], trash))
    await settle(data, moves.settle_move(move_spec(data), ops.Placed("found", 99, 12)))
    rows = await store_of(data).reader.fetchall(
        "SELECT id, uid FROM messages WHERE folder_id = ?", (trash,))
    assert [tuple(r) for r in rows] == [(data.ids["invoice"], 12)]


async def test_a_row_that_already_has_its_uid_keeps_it(data: ListingStore) -> None:
    await moved_out(data)
    async with store_of(data).transaction() as db:
        assert await messages.adopt_uids(db, folder_id=data.folders[("support", "Trash")],
                                         uidvalidity=99, found=[(30, "<inv@x>")]) == 1
    await settle(data, moves.settle_move(move_spec(data), ops.Placed("found", 99, 31)))
    assert (await row(data, "invoice"))["uid"] == 30


async def test_a_message_missing_from_both_folders_is_forgotten(data: ListingStore) -> None:
    await moved_out(data)
    outcome = moves.settle_move(move_spec(data), ops.Placed("missing"))
    assert outcome.note and "vanished" in outcome.note
    await settle(data, outcome)
    assert await row(data, "invoice") is None


@pytest.mark.parametrize("dest_synced", [True, False])
async def test_an_unknown_new_uid_leaves_the_row_to_the_destination_sync(
    data: ListingStore, dest_synced: bool
) -> None:
    """No COPYUID and no Message-ID match: a synced Trash stores the message under its
    real key, so the keyless row goes; an unsynced Trash keeps the row as the only copy."""
    await moved_out(data)
    async with store_of(data).transaction() as db:
        await db.execute("UPDATE folders SET sync_enabled = ? WHERE id = ?",
                         (int(dest_synced), data.folders[("support", "Trash")]))
    await settle(data, moves.settle_move(move_spec(data), ops.Placed("moved")))
    assert (await row(data, "invoice") is None) == dest_synced


@pytest.mark.parametrize("result", ["expunged", "missing", "validity", "flagged"])
async def test_an_expunge_forgets_the_deleted_row(data: ListingStore, result: str) -> None:
    async with store_of(data).transaction() as db:
        await messages.mark_deleted(db, message_id=data.ids["reset"])
    spec = ExpungeSpec(row=data.ids["reset"], folder="INBOX",
                       folder_id=data.folders[("support", "INBOX")], uidvalidity=VALIDITY,
                       uid=4, message_id="<reset@x>")
    outcome = moves.settle_expunge(spec, result)
    assert (outcome.note is None) == (result == "expunged")
    await settle(data, outcome)
    assert await row(data, "reset") is None


async def test_adopting_uids_skips_taken_keys_and_deleted_rows(data: ListingStore) -> None:
    trash = data.folders[("support", "Trash")]
    await moved_out(data, "invoice")
    await moved_out(data, "reset")
    async with store_of(data).transaction() as db:
        await messages.mark_deleted(db, message_id=data.ids["reset"])
        assert await messages.unplaced_message_ids(db, folder_id=trash) == {"<inv@x>"}
        assert await messages.adopt_uids(db, folder_id=trash, uidvalidity=5,
                                         found=[(1, "<reset@x>"), (2, "<nobody@x>")]) == 0
        assert await messages.adopt_uids(db, folder_id=trash, uidvalidity=5,
                                         found=[(3, "<inv@x>")]) == 1
        assert await messages.adopt_uids(db, folder_id=trash, uidvalidity=5,
                                         found=[(3, "<inv@x>")]) == 0
    assert (await row(data, "invoice"))["uid"] == 3


# -- jobs that fail ----------------------------------------------------------------------------


async def test_a_malformed_payload_is_rejected() -> None:
    job = Job(id=1, account_id=1, kind=MOVE, payload={"row": 1, "uid": "x"},
                       state="running", attempts=1, max_attempts=8,
                       next_attempt_at="", last_error=None)
    with pytest.raises(JobRejected, match="malformed payload"):
        await moves.run_move(cast(ImapConnection, None), job, cast(Db, None))
    with pytest.raises(JobRejected, match="malformed payload"):
        await moves.run_expunge(cast(ImapConnection, None), job, cast(Db, None))
    with pytest.raises(ValueError):
        MoveSpec.parse({**move_payload(), "uid": True})


def move_payload() -> dict[str, object]:
    return {"row": 1, "source": "INBOX", "source_folder_id": 1, "uidvalidity": 1, "uid": 1,
            "dest": "Trash", "dest_folder_id": 2, "message_id": None}


@pytest.mark.parametrize("how", ["rejected", "retries used up"])
async def test_a_move_that_fails_for_good_puts_the_message_back(
    data: ListingStore, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    await on_a_server(data, "support")
    store = store_of(data)
    original = await row(data, "invoice")
    await message_actions.delete(store, data.team.agents["bob"], data.ids["invoice"])

    async def failing(conn: Any, job: Any, reader: Any) -> None:
        if how == "rejected":
            raise JobRejected("no such folder")
        raise RuntimeError("NO [TRYCREATE] Mailbox doesn't exist")

    monkeypatch.setitem(executor.HANDLERS, MOVE, failing)
    async with store.transaction() as db:
        await db.execute("UPDATE jobs SET max_attempts = 1")
    assert await executor.run_due_jobs(store, cast(ImapConnection, None),
                                       data.team.accounts["support"]) == 0
    [job] = await all_jobs(data)
    assert job["state"] == "failed"
    back = await row(data, "invoice")
    assert (back["folder_id"], back["uidvalidity"], back["uid"]) == (
        original["folder_id"], original["uidvalidity"], original["uid"])


async def test_an_expunge_that_fails_for_good_shows_the_message_again(
    data: ListingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await on_a_server(data, "bob-mail")
    store = store_of(data)
    original = await row(data, "bob_private")
    await message_actions.delete(store, data.team.agents["bob"], data.ids["bob_private"])

    async def failing(conn: Any, job: Any, reader: Any) -> None:
        raise JobRejected("read-only folder")

    monkeypatch.setitem(executor.HANDLERS, EXPUNGE, failing)
    await executor.run_due_jobs(store, cast(ImapConnection, None),
                                data.team.accounts["bob-mail"])
    back = await row(data, "bob_private")
    assert (back["deleted"], back["uid"]) == (0, original["uid"])


# -- COPYUID ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("responses", "uid", "expected"), [
    ([b"1700 5 12"], 5, (1700, 12)),
    ([b"1700 3:5,9 20:22,30"], 9, (1700, 30)),
    ([b"1700 3:5,9 20:22,30"], 4, (1700, 21)),
    ([b"1700 5:3 12:10"], 4, (1700, 11)),  # a set may be written high to low
    ([b"1700 5 12"], 6, None),
    ([b"garbage", b"1 2"], 2, None),
    ([b"1700 1:3 10:11"], 1, None),  # sets of unequal length name nothing
    ([b"1700 1:4294967295 1:4294967295"], 1, None),  # never expanded
])
def test_copyuid_names_the_new_uid(responses: list[bytes], uid: int,
                                   expected: tuple[int, int] | None) -> None:
    assert ops.parse_copyuid(responses, uid) == expected
