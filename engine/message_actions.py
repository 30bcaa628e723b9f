"""Delete and archive: the store changes at once, the server through durable jobs.

In one transaction the message leaves its folder in the store (moved to Trash or
Archive, or marked deleted), a job for the server is queued, an audit row is written and
the running engine is woken. The job then settles the row with what the server did
(engine.jobs.moves).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.access import require_act, visible_accounts
from engine.accounts import on_imap_server
from engine.errors import GoneError, InvalidInputError, NotFoundError
from engine.jobs.queue import (
    MESSAGE_REMOVALS,
    ExpungeSpec,
    MoveSpec,
    enqueue_expunge,
    enqueue_move,
)
from engine.sync.requests import mark_request
from storage import Db, Store, audit, messages
from storage import folder_state as folder_sql
from storage import jobs as jobs_sql
from storage import settings as settings_sql
from storage.messages import ActionTarget
from storage.records import FolderState

if TYPE_CHECKING:
    from engine.models import Agent, MessageRemoved


def gone(message_id: int) -> GoneError:
    return GoneError(
        f"message {message_id} is gone: another agent deleted or moved it, or it vanished "
        "from the server; nothing changed"
    )


async def acted_on(
    store: Store, db: Db, agent: Agent, message_id: int, visible: frozenset[int]
) -> ActionTarget:
    """The message an action is about, read in the action's transaction `db`: not found
    when the agent may not see it, refused when it may only read its account."""
    target = await messages.action_target(db, message_id=message_id, account_ids=visible)
    if target is None:
        raise NotFoundError(f"message {message_id} not found")
    await require_act(store, agent.id, target.account_id,
                      missing=f"message {message_id} not found")
    return target


async def delete(
    store: Store, agent: Agent, message_id: int, *, seen_in: int | None = None
) -> MessageRemoved:
    """Move a message to its account's Trash; delete it for good (flag \\Deleted and
    expunge) when it is in Trash already or the account has none. With `seen_in`, the
    folder the agent saw it in: a message no longer there is gone (GoneError)."""
    return await _remove(store, agent, message_id, role="trash", seen_in=seen_in)


async def archive(
    store: Store, agent: Agent, message_id: int, *, seen_in: int | None = None
) -> MessageRemoved:
    """Move a message to its account's Archive folder (InvalidInputError when there is
    none, or when it is there already)."""
    return await _remove(store, agent, message_id, role="archive", seen_in=seen_in)


async def _remove(
    store: Store, agent: Agent, message_id: int, *, role: str, seen_in: int | None
) -> MessageRemoved:
    visible = await visible_accounts(store, agent.id)
    async with store.transaction() as db:
        # Read and change in one write transaction: two agents acting on the same message
        # at once are served one after the other, and the second learns it is gone.
        target = await acted_on(store, db, agent, message_id, visible)
        if target.deleted or (seen_in is not None and target.folder_id != seen_in):
            raise gone(message_id)
        if await jobs_sql.pending_for_message(db, message_id=message_id,
                                                kinds=MESSAGE_REMOVALS):
            raise gone(message_id)
        source = await folder_sql.by_id(db, target.folder_id)
        if source is None:
            raise gone(message_id)
        dest = await role_folder(db, target.account_id, role)
        if role == "archive":
            if dest is None:
                raise await _no_archive(db, target.account_id)
            if dest.id == source.id:
                raise InvalidInputError(
                    f"message {message_id} is already in {dest.name}; nothing changed")
        on_server = await is_on_server(db, target)
        if dest is None or dest.id == source.id:
            result = await _expunge(db, agent, target, source, on_server=on_server)
        else:
            result = await _move(db, agent, target, source, dest, on_server=on_server)
        await audit.record(
            db, agent_id=agent.id, action=f"message.{'delete' if role == 'trash' else role}",
            target_kind="message", target_id=message_id,
            detail={"from": source.name, "to": result.folder, "job": result.job_id},
        )
        if result.job_id is not None:
            await mark_request(db)
        return result


async def role_folder(db: Db, account_id: int, role: str) -> FolderState | None:
    """The account's folder with `role`, when the server still has it."""
    for folder in await folder_sql.of_account(db, account_id):
        if folder.role == role and folder.present and folder.selectable:
            return folder
    return None


async def is_on_server(db: Db, target: ActionTarget) -> bool:
    """Whether the message has a key on an IMAP server (demo and local-only accounts
    have none: their changes stay in the store)."""
    if target.uid is None or target.uidvalidity is None:
        return False
    return await has_server(db, target.account_id)


async def has_server(db: Db, account_id: int) -> bool:
    """Whether the account syncs with an IMAP server (a POP3 account does not: its
    changes stay in the store)."""
    account = await settings_sql.by_id(db, account_id)
    return account is not None and on_imap_server(account)


async def _no_archive(db: Db, account_id: int) -> InvalidInputError:
    account = await settings_sql.by_id(db, account_id)
    name = account.name if account is not None else str(account_id)
    if account is not None and account.protocol == "pop3":
        return InvalidInputError(f"account {name!r} is a POP3 account: it has an inbox only, "
                                 "so there is no Archive folder; delete the message instead")
    return InvalidInputError(
        f"account {name!r} has no Archive folder: give one the archive role with "
        f"`frontdesk account folders {name} --role FOLDER=archive`"
    )


async def _move(
    db: Db, agent: Agent, target: ActionTarget, source: FolderState, dest: FolderState,
    *, on_server: bool,
) -> MessageRemoved:
    from engine.models import MessageRemoved

    await messages.move_to_folder(db, message_id=target.id, folder_id=dest.id)
    job_id = None
    if on_server:
        assert target.uid is not None and target.uidvalidity is not None
        spec = MoveSpec(
            row=target.id, source=source.name, source_folder_id=source.id,
            uidvalidity=target.uidvalidity, uid=target.uid, dest=dest.name,
            dest_folder_id=dest.id, message_id=target.message_id,
        )
        job_id = await enqueue_move(db, account_id=target.account_id, spec=spec,
                                    created_by=agent.id)
    return MessageRemoved(target.id, dest.name, job_id)


async def _expunge(
    db: Db, agent: Agent, target: ActionTarget, source: FolderState, *, on_server: bool
) -> MessageRemoved:
    from engine.models import MessageRemoved

    await messages.mark_deleted(db, message_id=target.id)
    job_id = None
    if on_server:
        assert target.uid is not None and target.uidvalidity is not None
        spec = ExpungeSpec(
            row=target.id, folder=source.name, folder_id=source.id,
            uidvalidity=target.uidvalidity, uid=target.uid, message_id=target.message_id,
        )
        job_id = await enqueue_expunge(db, account_id=target.account_id, spec=spec,
                                       created_by=agent.id)
    return MessageRemoved(target.id, None, job_id)
