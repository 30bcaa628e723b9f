"""Sending a draft: it is frozen into the exact bytes to send, with its Message-ID, and an
smtp.send job is queued in the same transaction; the engine sends it with retries. After
the server took it, the copy shows in the account's Sent folder at once and an
imap.append job files it there on the server (skipped where the server does that
itself)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from engine.access import require_act
from engine.errors import InvalidInputError
from engine.jobs.queue import SMTP_SEND
from engine.sending import drafts_mirror
from engine.sending.drafts import get
from engine.sync.requests import mark_request
from storage import Db, Store, audit
from storage import jobs as jobs_sql
from storage import outgoing as outgoing_sql
from storage import smtp as smtp_sql

if TYPE_CHECKING:
    from engine.compose import Outgoing
    from engine.models import Agent, Draft


def outgoing_of(draft: Draft, reply_to: str = "",
                attachments: Sequence[tuple[str, str, bytes]] = ()) -> Outgoing:
    """What is built into the bytes sent for a draft."""
    from engine.compose import Outgoing, OutgoingAttachment

    return Outgoing(
        message_id=draft.message_id, from_addr=draft.from_addr, from_name=draft.from_name,
        reply_to=reply_to, to=draft.to, cc=draft.cc, bcc=draft.bcc, subject=draft.subject,
        body=draft.body, html_body=draft.html_body, in_reply_to=draft.in_reply_to,
        references=draft.references, date=None,
        attachments=tuple(OutgoingAttachment(f, t, d) for f, t, d in attachments),
    )


def _check(draft: Draft) -> None:
    from engine.compose import invalid_addresses

    everyone = (*draft.to, *draft.cc, *draft.bcc)
    if not everyone:
        raise InvalidInputError(f"draft {draft.id} has no recipient: fill in To")
    wrong = invalid_addresses(everyone)
    if wrong:
        raise InvalidInputError(
            f"draft {draft.id}: not an email address: {', '.join(wrong)}; correct it and "
            "send again")


async def send(store: Store, agent: Agent, draft_id: int) -> Draft:
    """Queue a draft for sending. Sending it twice queues it once."""
    draft = await get(store, agent, draft_id)
    if draft.state in ("queued", "sent"):
        return draft
    await require_act(store, agent.id, draft.account_id,
                      missing=f"draft {draft_id} not found; see `frontdesk drafts`")
    if draft.state != "draft":
        raise InvalidInputError(
            f"draft {draft_id} failed to send: open it again to correct it ({draft.error})")
    _check(draft)
    async with store.transaction() as db:
        raw = await message_bytes(db, draft)
        if not await outgoing_sql.queue(db, draft_id=draft.id, raw=raw):
            raise InvalidInputError(f"draft {draft_id} can no longer change")
        await enqueue_send(db, draft, agent)
        await drafts_mirror.queue(db, draft)
        await audit.record(
            db, agent_id=agent.id, action="message.send", target_kind="outgoing",
            target_id=draft.id, detail={"message_id": draft.message_id, "kind": draft.kind,
                                        "source_id": draft.source_id},
        )
        await mark_request(db)
        now = await outgoing_sql.by_id(db, draft.id)
    assert now is not None
    return now


async def message_bytes(db: Db, draft: Draft) -> bytes:
    """The bytes a draft is sent as, built from what the store holds now (its account's
    Reply-To, its attachments). Raises InvalidInputError for an address mail cannot be
    sent to."""
    from engine.compose import build_message

    config = await smtp_sql.of_account(db, draft.account_id)
    attachments = await outgoing_sql.attachment_data(db, draft.id)
    return build_message(outgoing_of(draft, config.reply_to if config else "", attachments))


async def enqueue_send(db: Db, draft: Draft, agent: Agent) -> int:
    return await jobs_sql.enqueue(
        db, account_id=draft.account_id, kind=SMTP_SEND, payload={"outgoing": draft.id},
        created_by=agent.id,
    )


async def reopen(store: Store, agent: Agent, draft_id: int) -> Draft:
    """A message that failed for good becomes a draft again, to correct and resend."""
    draft = await get(store, agent, draft_id)
    if draft.state == "draft":
        return draft
    async with store.transaction() as db:
        if not await outgoing_sql.back_to_draft(db, draft.id):
            raise InvalidInputError(f"draft {draft_id} is {draft.state}; only a message "
                                    "that failed to send can be opened again")
        await drafts_mirror.queue(db, draft)
        now = await outgoing_sql.by_id(db, draft.id)
    assert now is not None
    return now
