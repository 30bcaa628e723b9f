"""Jobs that take a message out of its folder on the server: a move (delete to Trash,
archive) and an expunge (delete for good).

The store changed when the agent acted: the row is already in its new folder, or marked
deleted, without a server key. Each job settles the row with what the server did: the
new key of a moved message, or the row forgotten once the message is expunged. A move
runs again safely after any crash: a message that already left the source folder is
looked up in the destination by its Message-ID.
"""

from __future__ import annotations

import logging

from engine.imap.connection import ImapConnection
from engine.jobs.outcome import JobRejected, Outcome
from engine.jobs.queue import ExpungeSpec, MoveSpec
from engine.sync import imap_ops as ops
from storage import Db, messages
from storage.records import Job

log = logging.getLogger(__name__)


def _move_spec(job: Job) -> MoveSpec:
    try:
        return MoveSpec.parse(job.payload)
    except ValueError as exc:
        raise JobRejected(f"malformed payload: {exc}") from exc


def _expunge_spec(job: Job) -> ExpungeSpec:
    try:
        return ExpungeSpec.parse(job.payload)
    except ValueError as exc:
        raise JobRejected(f"malformed payload: {exc}") from exc


async def run_move(conn: ImapConnection, job: Job, reader: Db) -> Outcome:
    """Move the message on the server and record where it landed."""
    spec = _move_spec(job)
    placed = await conn.call(
        ops.move_message, spec.source, spec.uidvalidity, spec.uid, spec.dest,
        spec.message_id, move=conn.has("MOVE"), uidplus=conn.has("UIDPLUS"),
    )
    return settle_move(spec, placed)


def settle_move(spec: MoveSpec, placed: ops.Placed) -> Outcome:
    """The store changes that follow from where a move left the message."""
    if placed.uid is not None and placed.uidvalidity is not None:
        validity, uid = placed.uidvalidity, placed.uid

        async def place(db: Db) -> None:
            await messages.place_moved(db, message_id=spec.row, folder_id=spec.dest_folder_id,
                                       uidvalidity=validity, uid=uid)

        note = None if placed.outcome == "moved" else (
            f"message had already left {spec.source}; found in {spec.dest} as UID {uid}")
        return Outcome(record=place, note=note)
    if placed.outcome == "missing":
        # Neither folder holds it: another client expunged it, or the source changed
        # UIDVALIDITY and the message is no longer known by that UID (if it is still
        # there, the source's sync stores it again). The store follows the server.
        async def forget(db: Db) -> None:
            await messages.forget_moved(db, message_id=spec.row,
                                        folder_id=spec.dest_folder_id, if_synced=False)

        return Outcome(record=forget, note=(
            f"message vanished from {spec.source} before it could be moved; its row "
            "was removed"))

    # Moved, but the server named no new UID and no Message-ID finds it. Where the
    # destination is synced its sync stores the message under its real key, so the
    # keyless row would be a duplicate; elsewhere the row stays as the only copy shown.
    async def settle_unknown(db: Db) -> None:
        await messages.forget_moved(db, message_id=spec.row, folder_id=spec.dest_folder_id,
                                    if_synced=True)

    return Outcome(record=settle_unknown, note=f"moved to {spec.dest}; its new UID is unknown")


async def run_expunge(conn: ImapConnection, job: Job, reader: Db) -> Outcome:
    """Delete the message for good on the server, then forget its row."""
    spec = _expunge_spec(job)
    result = await conn.call(ops.expunge_message, spec.folder, spec.uidvalidity, spec.uid,
                             uidplus=conn.has("UIDPLUS"))
    return settle_expunge(spec, result)


def settle_expunge(spec: ExpungeSpec, result: str) -> Outcome:
    """Whatever the server said, the deleted row goes: the message is expunged, or
    flagged \\Deleted for the next expunge, or already gone; after a UIDVALIDITY change
    the folder's sync stores it again if it is still there."""
    async def forget(db: Db) -> None:
        await messages.forget_deleted(db, message_id=spec.row)

    notes = {
        "missing": f"message had already left {spec.folder}",
        "validity": f"{spec.folder} changed UIDVALIDITY; the message was not deleted there",
        "flagged": f"message flagged \\Deleted in {spec.folder}; the server expunges it "
                   "with the folder's other deleted mail",
    }
    return Outcome(record=forget, note=notes.get(result))


async def undo_move(db: Db, job: Job) -> None:
    """A move that failed for good: the message shows in its old folder again."""
    try:
        spec = MoveSpec.parse(job.payload)
    except ValueError:
        return
    restored = await messages.restore_moved(
        db, message_id=spec.row, moved_to=spec.dest_folder_id,
        folder_id=spec.source_folder_id, uidvalidity=spec.uidvalidity, uid=spec.uid,
    )
    log.info("job %d: move to %s failed for good; message %s %s", job.id, spec.dest,
             spec.row, "is back" if restored else "stays where it is")


async def undo_expunge(db: Db, job: Job) -> None:
    """A delete that failed for good: the message shows again."""
    try:
        spec = ExpungeSpec.parse(job.payload)
    except ValueError:
        return
    await messages.restore_deleted(db, message_id=spec.row, folder_id=spec.folder_id,
                                   uidvalidity=spec.uidvalidity, uid=spec.uid)
