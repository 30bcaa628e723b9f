"""The engine's side of the outbox: send each queued message over SMTP, with retries and
backoff, and record what happened.

A message the server took is marked sent in the same transaction that finishes its job,
stores its copy in the account's Sent folder (so it shows in its thread at once) and
queues the imap.append job that files it on the server. A crash after that commit loses
nothing and sends nothing twice: the append job runs on its own. A failure the retry
cannot fix (authentication, refused recipients) is shown on the message with what to do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

from engine.accounts import on_imap_server, sent_copies_account
from engine.errors import FrontdeskError
from engine.ingest import Incoming, Prepared, prepare_batch, store_prepared_in
from engine.jobs.executor import backoff_seconds
from engine.jobs.queue import IMAP_APPEND, SMTP_SEND
from storage import Db, Store
from storage import folder_state as folder_sql
from storage import jobs as jobs_sql
from storage import outgoing as outgoing_sql
from storage import smtp as smtp_sql
from storage.records import Draft, Job

log = logging.getLogger(__name__)


async def send_due(store: Store, account_id: int) -> int:
    """Send the account's due messages; return how many the server took."""
    sent = 0
    while True:
        async with store.transaction() as db:
            batch = await jobs_sql.claim_due(db, account_id=account_id, limit=10,
                                             kinds=(SMTP_SEND,))
        if not batch:
            return sent
        for job in batch:
            if await _deliver(store, job):
                sent += 1


async def _deliver(store: Store, job: Job) -> bool:
    from engine.compose import recipients
    from engine.sending.config import sending_settings
    from engine.sending.outbox import outgoing_of
    from engine.smtp.client import SmtpError, send

    outgoing_id = job.payload.get("outgoing")
    draft = None
    if isinstance(outgoing_id, int):
        draft = await outgoing_sql.by_id(store.reader, outgoing_id)
    if draft is None or draft.state != "queued":
        async with store.transaction() as db:
            if draft is not None and draft.state == "sent":
                await jobs_sql.finish(db, job.id)  # sent by an earlier attempt
            else:
                await jobs_sql.fail(db, job.id, error="nothing queued to send")
        return False
    raw = await outgoing_sql.raw(store.reader, draft.id)
    try:
        if raw is None:
            raise FrontdeskError("the message's bytes are missing")
        settings = await sending_settings(store, draft.account_id)
        report = await asyncio.to_thread(send, settings, sender=draft.from_addr,
                                         recipients=recipients(outgoing_of(draft)), raw=raw)
    except SmtpError as exc:
        await _failed(store, job, draft, str(exc), permanent=exc.permanent)
        return False
    except FrontdeskError as exc:
        # Settings an admin can still fix (no server, no password): retried, and shown.
        await _failed(store, job, draft, str(exc), permanent=False)
        return False
    await _record_sent(store, job, draft, raw, report.refused)
    return True


async def _failed(store: Store, job: Job, draft: Draft, error: str, *,
                  permanent: bool) -> None:
    async with store.transaction() as db:
        if permanent:
            await jobs_sql.fail(db, job.id, error=error)
            await outgoing_sql.mark_failed(db, draft.id, error=error)
            return
        state = await jobs_sql.retry_later(db, job.id, error=error,
                                           delay_seconds=backoff_seconds(job.attempts))
        if state == "failed":
            await outgoing_sql.mark_failed(
                db, draft.id, error=f"{error} (gave up after {job.attempts} attempts)")
        else:
            await outgoing_sql.note_error(db, draft.id,
                                          error=f"{error}; trying again shortly")
    log.info("outbox %d: %s", draft.id, error)


async def _record_sent(store: Store, job: Job, draft: Draft, raw: bytes,
                       refused: Mapping[str, object]) -> None:
    prepared = await asyncio.to_thread(prepare_batch, [Incoming(raw, flags=("\\Seen",))])
    async with store.transaction() as db:
        await outgoing_sql.mark_sent(db, draft.id)
        if refused:
            await outgoing_sql.note_error(
                db, draft.id, error="not delivered to " + ", ".join(sorted(refused)))
        await _file_in_sent(db, draft, prepared)
        await jobs_sql.finish(db, job.id)


async def _file_in_sent(db: Db, draft: Draft, prepared: list[Prepared]) -> None:
    # A POP3 account's copies go to the IMAP account chosen for them, if any.
    account = await sent_copies_account(db, draft.account_id)
    if account is None:
        return
    sent = next((f for f in await folder_sql.of_account(db, account.id)
                 if f.role == "sent" and f.present and f.selectable), None)
    if sent is None:
        return
    ids = await store_prepared_in(db, account_id=account.id, folder_id=sent.id,
                                  prepared=prepared)
    config = await smtp_sql.of_account(db, draft.account_id)
    if not on_imap_server(account) or (config and config.server_saves_sent):
        return
    await jobs_sql.enqueue(
        db, account_id=account.id, kind=IMAP_APPEND,
        payload={"outgoing": draft.id, "row": ids[0] if ids else None, "folder": sent.name,
                 "folder_id": sent.id, "message_id": draft.message_id},
        created_by=draft.agent_id, idempotency_key=f"append:{draft.message_id}",
    )
