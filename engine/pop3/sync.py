"""One sync pass over one POP3 account: send what waits in the outbox, import the mail
whose UIDL the store does not know yet, delete what was imported (when the account asks
for it), then run the mailbox's rules.

Mail goes into the account's one store folder, INBOX, through the same ingest path as
IMAP mail (parsing, malformed mail kept raw, the deny list, threading, the search index,
the rules queue). POP3 has no UIDs: each message gets the next of an increasing series
under a fixed UIDVALIDITY, so every other part of frontdesk sees an ordinary folder.

Each batch of messages is committed together with their UIDLs, so a UIDL is never
fetched twice. With delete-after-import, DELE is sent only for UIDLs already committed,
and only a QUIT makes the server delete: a crash anywhere leaves the mail on the server,
and the next pass, knowing those UIDLs, deletes them then.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING

from engine.accounts import password_for, pop3_settings
from engine.errors import FrontdeskError
from engine.ingest import Incoming, Prepared, prepare_batch, store_prepared_in
from engine.mime import parse_envelope
from engine.pop3.plan import (
    DENIED,
    SKIPPED,
    STORED,
    Wanted,
    batches,
    deletable,
    older_than,
    plan_pass,
)
from engine.rules.run import apply_waiting
from engine.sending.delivery import send_due
from engine.sync.account import AccountResult, finish_pass
from engine.sync.folder import FolderResult
from engine.sync.progress import Progress, SyncEvent
from storage import Store
from storage import folder_state as folder_sql
from storage import pop3 as pop3_sql
from storage import settings as settings_sql
from storage.folder_state import DiscoveredFolder
from storage.records import AccountSettings, FolderState

if TYPE_CHECKING:
    from engine.pop3.client import Listed, Pop3Session

INBOX = "INBOX"
# The series of UIDs given to POP3 mail never restarts: one UIDVALIDITY for ever.
UIDVALIDITY = 1
BATCH_MESSAGES = 50
BATCH_OCTETS = 16 * 1024 * 1024
HEADER_CHUNK = 100


async def sync_pop3_account(
    store: Store,
    account: AccountSettings,
    *,
    progress: Progress,
    on_headers: Callable[[], None] | None = None,
) -> AccountResult:
    """Run one pass; never raises for server trouble (it is recorded and returned)."""
    from engine.pop3.client import Pop3AuthError, Pop3Error, Pop3Session

    result = AccountResult(account.name)
    progress(SyncEvent("account", account=account.name))
    # The outbox first: sending does not wait for the POP3 server.
    result.sent = await send_due(store, account.id)
    session: Pop3Session | None = None
    reported = False
    try:
        password = await password_for(store, account)
        session = Pop3Session(pop3_settings(account), name=f"sync-{account.name}")
        await session.open(password)
        folder = await _inbox(store, account)
        listed = await session.listing()
        result.folders[INBOX] = await _import(store, session, account, folder, listed,
                                              progress)
        if on_headers:
            on_headers()
            reported = True
        if account.delete_after_import:
            await _delete_imported(store, session, account, listed)
        else:
            await session.quit()
        if await apply_waiting(store, account.id):
            result.sent += await send_due(store, account.id)
        async with store.transaction() as db:
            await settings_sql.record_success(db, account.id)
    except Pop3AuthError as exc:
        result.error, result.auth_failed = str(exc), True
    except (Pop3Error, FrontdeskError) as exc:
        result.error = str(exc)
    finally:
        if on_headers and not reported:
            on_headers()
        if session is not None:
            await session.close()  # no QUIT after a failure: nothing marked is deleted
    return await finish_pass(store, account, result, progress)


async def _inbox(store: Store, account: AccountSettings) -> FolderState:
    """The account's one store folder, made on its first pass."""
    found = await _find(store, account.id)
    if found is not None:
        return found
    async with store.transaction() as db:
        await folder_sql.merge_discovered(
            db, account_id=account.id, sync_names=(INBOX,),
            found=[DiscoveredFolder(name=INBOX, delimiter=None, flags="", role="inbox",
                                    selectable=True)])
    return await _reload(store, account.id)


async def _find(store: Store, account_id: int) -> FolderState | None:
    for folder in await folder_sql.of_account(store.reader, account_id):
        if folder.name == INBOX:
            return folder
    return None


async def _reload(store: Store, account_id: int) -> FolderState:
    found = await _find(store, account_id)
    if found is None:
        raise LookupError("the POP3 inbox vanished from the store")
    return found


async def _import(
    store: Store, session: Pop3Session, account: AccountSettings, folder: FolderState,
    listed: Sequence[Listed], progress: Progress,
) -> FolderResult:
    result = FolderResult()
    known = await pop3_sql.uidls(store.reader, account.id)
    first = folder.uidvalidity is None
    plan = plan_pass(listed, known, first=first, mode=account.import_mode)
    if plan.gone or first:
        async with store.transaction() as db:
            await pop3_sql.mark_gone(db, account.id, plan.gone)
            if first:
                await pop3_sql.record(db, account.id,
                                      [(uidl, state, None) for uidl, state in plan.first_seen])
                await folder_sql.save_state(db, folder_id=folder.id, uidvalidity=UIDVALIDITY,
                                            uidnext=1, highestmodseq=None, synced_uid=0,
                                            initial_until=None)
        folder = await _reload(store, account.id)
    wanted: Sequence[Wanted] = plan.wanted
    if account.import_mode == "since" and account.import_since:
        wanted = await _leave_out_older(store, session, account, wanted,
                                        date.fromisoformat(account.import_since))
    total = len(wanted)
    done = octets = 0
    next_uid = folder.synced_uid + 1

    def event() -> None:
        progress(SyncEvent("folder", account=account.name, folder=INBOX, phase="messages",
                           done=done, total=total, bytes=octets))

    if total:
        event()
    for batch in batches(wanted, count=BATCH_MESSAGES, octets=BATCH_OCTETS):
        items = []
        for w in batch:
            raw = await session.retrieve(w.item.number)
            items.append(Incoming(raw=raw, uid=next_uid, uidvalidity=UIDVALIDITY,
                                  size=len(raw)))
            next_uid += 1
            octets += len(raw)
        prepared = await asyncio.to_thread(prepare_batch, items)
        result.new += await _store(store, account, folder, batch, prepared)
        done += len(batch)
        event()
    return result


async def _store(
    store: Store, account: AccountSettings, folder: FolderState, batch: Sequence[Wanted],
    prepared: Sequence[Prepared],
) -> int:
    """Store one batch with its UIDLs and the folder's last UID, in one transaction;
    return how many messages went in (a blocked sender's do not)."""
    pairs = list(zip(batch, prepared, strict=True))
    uids = [p.item.uid for _, p in pairs if p.item.uid is not None]
    async with store.transaction() as db:
        # New mail waits for the mailbox's rules; what the first import brings never does.
        first = [p for w, p in pairs if w.first_import]
        new = [p for w, p in pairs if not w.first_import]
        if first:
            await store_prepared_in(db, account_id=account.id, folder_id=folder.id,
                                    prepared=first)
        if new:
            await store_prepared_in(db, account_id=account.id, folder_id=folder.id,
                                    prepared=new, rules_after_uid=0)
        rows = await pop3_sql.message_ids(db, folder_id=folder.id, uidvalidity=UIDVALIDITY,
                                          uids=uids)
        await pop3_sql.record(db, account.id, [
            (w.item.uidl, STORED, rows[p.item.uid]) if p.item.uid in rows
            else (w.item.uidl, DENIED, None)
            for w, p in pairs])
        last = max(uids)
        await folder_sql.save_state(db, folder_id=folder.id, uidvalidity=UIDVALIDITY,
                                    uidnext=last + 1, highestmodseq=None, synced_uid=last,
                                    initial_until=None)
    return len(rows)


async def _leave_out_older(
    store: Store, session: Pop3Session, account: AccountSettings,
    wanted: Sequence[Wanted], since: date,
) -> list[Wanted]:
    """since:DATE on the first import, by each message's Date header (TOP n 0): older
    mail is recorded as skipped and stays on the server. New mail is always wanted."""
    keep = [w for w in wanted if not w.first_import]
    check = [w for w in wanted if w.first_import]
    read = session.header if session.has("TOP") else session.retrieve
    for start in range(0, len(check), HEADER_CHUNK):
        chunk = check[start:start + HEADER_CHUNK]
        heads = [await read(w.item.number) for w in chunk]
        dates = await asyncio.to_thread(lambda hs: [parse_envelope(h).date for h in hs], heads)
        older: list[Wanted] = []
        for w, d in zip(chunk, dates, strict=True):
            (older if older_than(d, since) else keep).append(w)
        if older:
            async with store.transaction() as db:
                await pop3_sql.record(db, account.id,
                                      [(w.item.uidl, SKIPPED, None) for w in older])
    keep.sort(key=lambda w: w.item.number)
    return keep


async def _delete_imported(
    store: Store, session: Pop3Session, account: AccountSettings, listed: Sequence[Listed],
) -> None:
    """DELE every listed message already committed to the store, then QUIT (which makes
    the server delete them) and note them gone."""
    doomed = deletable(listed, await pop3_sql.uidls(store.reader, account.id))
    for item in doomed:
        await session.delete(item.number)
    await session.quit()
    if doomed:
        async with store.transaction() as db:
            await pop3_sql.mark_gone(db, account.id, [item.uidl for item in doomed])
