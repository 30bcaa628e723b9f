"""Undo a delete or an archive: the message goes back to the folder it was taken from.

While the server job of the delete or archive has not started, undoing withdraws the job
and puts the row back under its old server key: the server never sees either. Once the
server moved the message, a move back is queued like any other (engine.jobs.moves). A
message deleted for good on the server cannot come back.

The folder it goes back to is the source of the move that put it where it is; a message
that reached Trash or Archive some other way (another mail client) goes to the inbox.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.access import visible_accounts
from engine.errors import ConflictError, InvalidInputError
from engine.jobs.queue import EXPUNGE, MOVE, ExpungeSpec, MoveSpec, enqueue_move
from engine.message_actions import acted_on, gone, has_server, role_folder
from engine.sync.requests import mark_request
from storage import Db, Store, audit, messages
from storage import folder_state as folder_sql
from storage import jobs as jobs_sql
from storage.messages import ActionTarget
from storage.records import FolderState, Job

if TYPE_CHECKING:
    from engine.models import Agent, MessageRemoved

_BUSY = ("message {id} is being {what} on the server right now; try again in a moment")


async def restore(store: Store, agent: Agent, message_id: int) -> MessageRemoved:
    """Put a deleted or archived message back where it came from."""
    visible = await visible_accounts(store, agent.id)
    async with store.transaction() as db:
        target = await acted_on(store, db, agent, message_id, visible)
        if not await has_server(db, target.account_id):
            result = await _restore_local(db, target)
        elif target.deleted:
            result = await _undelete(db, target)
        else:
            result = await _move_back(db, agent, target)
        await audit.record(
            db, agent_id=agent.id, action="message.restore", target_kind="message",
            target_id=message_id, detail={"to": result.folder, "job": result.job_id},
        )
        if result.job_id is not None:
            await mark_request(db)
        return result


async def _restore_local(db: Db, target: ActionTarget) -> MessageRemoved:
    """An account without a server: its changes live in the store alone."""
    from engine.models import MessageRemoved

    current = await folder_sql.by_id(db, target.folder_id)
    if current is None:
        raise gone(target.id)
    if target.deleted:
        await messages.undelete_local(db, message_id=target.id)
        return MessageRemoved(target.id, current.name, None)
    origin = await _inbox_for(db, target, current)
    await messages.move_to_folder(db, message_id=target.id, folder_id=origin.id)
    return MessageRemoved(target.id, origin.name, None)


async def _undelete(db: Db, target: ActionTarget) -> MessageRemoved:
    """A message deleted for good whose expunge has not reached the server yet."""
    from engine.models import MessageRemoved

    job = await jobs_sql.latest_for_message(db, message_id=target.id, kinds=(EXPUNGE,))
    if job is None or job.state in ("done", "cancelled"):
        raise gone(target.id)
    if job.state == "running":
        raise ConflictError(_BUSY.format(id=target.id, what="deleted"))
    try:
        spec = ExpungeSpec.parse(job.payload)
    except ValueError:
        raise gone(target.id) from None
    folder = await folder_sql.by_id(db, spec.folder_id)
    if folder is None or not await messages.restore_deleted(
        db, message_id=target.id, folder_id=folder.id, uidvalidity=spec.uidvalidity,
        uid=spec.uid,
    ):
        raise gone(target.id)
    if job.state == "pending":
        await jobs_sql.cancel(db, job.id)
    return MessageRemoved(target.id, folder.name, None)


async def _move_back(db: Db, agent: Agent, target: ActionTarget) -> MessageRemoved:
    current = await folder_sql.by_id(db, target.folder_id)
    if current is None:
        raise gone(target.id)
    job = await jobs_sql.latest_for_message(db, message_id=target.id, kinds=(MOVE,))
    spec = _spec(job)
    if job is None or spec is None or spec.dest_folder_id != target.folder_id:
        # Not moved here by this store: Trash and Archive give back to the inbox.
        return await _queue_move_back(db, agent, target, current,
                                      await _inbox_for(db, target, current))
    if job.state == "running":
        raise ConflictError(_BUSY.format(id=target.id, what="moved"))
    if job.state == "pending":
        return await _withdraw(db, target, job, spec)
    origin = await folder_sql.by_id(db, spec.source_folder_id)
    if origin is None or not origin.present or not origin.selectable:
        raise InvalidInputError(
            f"message {target.id} cannot go back: {spec.source} is no longer on the "
            "server")
    return await _queue_move_back(db, agent, target, current, origin)


def _spec(job: Job | None) -> MoveSpec | None:
    if job is None:
        return None
    try:
        return MoveSpec.parse(job.payload)
    except ValueError:
        return None


async def _inbox_for(db: Db, target: ActionTarget, current: FolderState) -> FolderState:
    """Where a message in Trash or Archive goes back to when its origin is unknown."""
    if current.role not in ("trash", "archive"):
        raise InvalidInputError(
            f"message {target.id} is in {current.name}, not in Trash or Archive; "
            "there is nothing to undo")
    inbox = await role_folder(db, target.account_id, "inbox")
    if inbox is None:
        raise InvalidInputError(
            f"message {target.id} cannot go back: its account has no inbox folder")
    return inbox


async def _withdraw(db: Db, target: ActionTarget, job: Job, spec: MoveSpec) -> MessageRemoved:
    """The server has not moved it yet: drop the job, the row takes its old key back."""
    from engine.models import MessageRemoved

    if not await messages.restore_moved(
        db, message_id=target.id, moved_to=spec.dest_folder_id,
        folder_id=spec.source_folder_id, uidvalidity=spec.uidvalidity, uid=spec.uid,
    ):
        raise ConflictError(
            f"message {target.id} cannot go back: {spec.source} changed on the server "
            "meanwhile; sync it and try again")
    await jobs_sql.cancel(db, job.id)
    return MessageRemoved(target.id, spec.source, None)


async def _queue_move_back(
    db: Db, agent: Agent, target: ActionTarget, current: FolderState, origin: FolderState
) -> MessageRemoved:
    from engine.models import MessageRemoved

    if target.uid is None or target.uidvalidity is None:
        raise ConflictError(
            f"message {target.id} cannot go back yet: its place in {current.name} on the "
            "server is not known; sync the account and try again")
    await messages.move_to_folder(db, message_id=target.id, folder_id=origin.id)
    spec = MoveSpec(
        row=target.id, source=current.name, source_folder_id=current.id,
        uidvalidity=target.uidvalidity, uid=target.uid, dest=origin.name,
        dest_folder_id=origin.id, message_id=target.message_id,
    )
    job_id = await enqueue_move(db, account_id=target.account_id, spec=spec,
                                created_by=agent.id)
    return MessageRemoved(target.id, origin.name, job_id)
