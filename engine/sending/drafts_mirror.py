"""Drafts mirrored to the server: the owner of a personal account may have its drafts
copied to the account's Drafts folder, so its other mail clients show them.

Each change to such a draft (started, saved, a file attached or removed, sent, opened
again, discarded) queues one imap.draft job in the transaction that makes it. The job
reads the draft when it runs (engine.jobs.draft_mirror), so changes made while one
waits ride on it and no second job is queued.

Shared accounts never mirror: their Drafts folder is read by every agent on them and by
other mail clients. Only the owner's own drafts go there: a draft another agent writes
from the account, with the owner's grant, stays that agent's alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.access import visible_accounts
from engine.accounts import on_imap_server
from engine.errors import AccessDeniedError, NotFoundError
from engine.jobs.queue import DRAFT_MIRROR
from storage import Db, Store, audit
from storage import folder_state as folder_sql
from storage import jobs as jobs_sql
from storage import outgoing as outgoing_sql
from storage import settings as settings_sql
from storage.records import AccountSettings, FolderState

if TYPE_CHECKING:
    from engine.models import Agent, Draft

# Open drafts queued again when the setting changes; more than anyone keeps.
_MAX_DRAFTS = 10_000


@dataclass(frozen=True)
class DraftsMirror:
    """Whether an account's drafts are mirrored to its Drafts folder on the server."""

    account: str
    kind: str  # personal or shared (a shared account never mirrors)
    on: bool
    drafts_folder: str | None  # the folder with the drafts role, None until one is known


def mirrors_for(account: AccountSettings, agent_id: int | None) -> bool:
    """Whether drafts that `agent_id` writes from `account` are mirrored to its server."""
    return (account.kind == "personal" and account.mirror_drafts
            and agent_id is not None and account.owner_agent_id == agent_id
            and on_imap_server(account))


def mirrored(draft: Draft | None, account: AccountSettings | None,
             message_id: str) -> bool:
    """Whether a copy of the draft whose Message-ID is `message_id` belongs in the Drafts
    folder of `account` now: it is still a draft, still of that account, still that
    message (a discarded draft's id can be given to a new one), and mirrored."""
    return (draft is not None and account is not None and draft.state == "draft"
            and draft.message_id == message_id and draft.account_id == account.id
            and mirrors_for(account, draft.agent_id))


async def drafts_folder(db: Db, account_id: int) -> FolderState | None:
    """The account's folder with the drafts role, when the server has it."""
    return next((f for f in await folder_sql.of_account(db, account_id)
                 if f.role == "drafts" and f.present and f.selectable), None)


async def queue(db: Db, draft: Draft, *, previous_account: int | None = None) -> None:
    """Queue mirroring a draft that just changed (as the caller has it: its id, account,
    writer and Message-ID), inside the caller's transaction, when its account mirrors its
    writer's drafts; and, when it just left `previous_account`, taking its copy out of
    that account's Drafts folder."""
    for account_id in sorted({draft.account_id, previous_account or draft.account_id}):
        account = await settings_sql.by_id(db, account_id)
        if account is not None and mirrors_for(account, draft.agent_id):
            await _enqueue(db, account_id, draft)


async def _enqueue(db: Db, account_id: int, draft: Draft) -> int:
    waiting = await jobs_sql.pending_for_outgoing(
        db, account_id=account_id, kind=DRAFT_MIRROR, outgoing_id=draft.id,
        message_id=draft.message_id)
    if waiting is not None:
        return waiting
    return await jobs_sql.enqueue(
        db, account_id=account_id, kind=DRAFT_MIRROR,
        payload={"outgoing": draft.id, "message_id": draft.message_id},
        created_by=draft.agent_id,
    )


async def _visible(store: Store, agent: Agent, name: str) -> AccountSettings:
    account = await settings_sql.by_name(store.reader, name)
    if account is None or account.id not in await visible_accounts(store, agent.id):
        raise NotFoundError(f"no account named {name!r}; see `frontdesk account list`")
    return account


async def _describe(db: Db, account: AccountSettings) -> DraftsMirror:
    folder = await drafts_folder(db, account.id)
    return DraftsMirror(account=account.name, kind=account.kind,
                        on=account.kind == "personal" and account.mirror_drafts,
                        drafts_folder=None if folder is None else folder.name)


async def mirror_setting(store: Store, agent: Agent, name: str) -> DraftsMirror:
    """The drafts-mirror setting of an account the agent may see."""
    return await _describe(store.reader, await _visible(store, agent, name))


async def set_mirror(store: Store, agent: Agent, name: str, on: bool) -> DraftsMirror:
    """Turn mirroring of the agent's drafts to its own personal account's Drafts folder
    on or off. The open drafts are queued at once: turned on, they are copied there;
    turned off, their copies are taken out again."""
    account = await _visible(store, agent, name)
    if account.kind != "personal":
        raise AccessDeniedError(
            f"account {name!r} is shared: drafts are never mirrored to it, since every "
            "agent on it and other mail clients read its Drafts folder")
    if account.owner_agent_id != agent.id:
        raise AccessDeniedError(
            f"account {name!r} belongs to another agent; only its owner can mirror drafts")
    async with store.transaction() as db:
        await settings_sql.set_mirror_drafts(db, account.id, on)
        if on != account.mirror_drafts and on_imap_server(account):
            for draft in await outgoing_sql.of_agent(
                    db, agent_id=agent.id, states=("draft",), account_ids=(account.id,),
                    limit=_MAX_DRAFTS):
                await _enqueue(db, account.id, draft)
        await audit.record(db, agent_id=agent.id, action="account.drafts_mirror",
                           target_kind="account", target_id=account.id, detail={"on": on})
        now = await settings_sql.by_id(db, account.id)
        assert now is not None
        return await _describe(db, now)
