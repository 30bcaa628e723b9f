"""One sync pass over one account: send what waits in the outbox, discover folders,
headers of every folder, queued jobs, then bodies. Errors are recorded on the account
and folder they belong to."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from engine.errors import (
    FrontdeskError,
    ImapAuthError,
    ImapConnectError,
    ImapError,
    OAuthReauthError,
)
from engine.imap.connection import ImapConnection
from engine.imap.folders import list_folders
from engine.jobs.executor import run_due_jobs
from engine.logins import open_imap
from engine.rules.run import apply_waiting
from engine.sending.delivery import send_due
from engine.sync import imap_ops as ops
from engine.sync.cpu import CpuPool
from engine.sync.folder import FolderResult, FolderSync
from engine.sync.progress import Progress, SyncEvent
from storage import Store
from storage import folder_state as folder_sql
from storage import settings as settings_sql
from storage.folder_state import DiscoveredFolder
from storage.records import AccountSettings


@dataclass
class AccountResult:
    account: str
    folders: dict[str, FolderResult] = field(default_factory=dict)
    jobs_done: int = 0
    sent: int = 0  # outbox messages the SMTP server took in this pass
    error: str | None = None
    auth_failed: bool = False

    @property
    def new(self) -> int:
        return sum(r.new for r in self.folders.values())


async def sync_account(
    store: Store,
    account: AccountSettings,
    *,
    cpu: CpuPool,
    progress: Progress,
    only: Sequence[str] | None = None,
    on_headers: Callable[[], None] | None = None,
) -> AccountResult:
    """Run one pass; never raises for server trouble (it is recorded and returned)."""
    result = AccountResult(account.name)
    progress(SyncEvent("account", account=account.name))
    # The outbox first: sending does not wait for the IMAP server (and goes on without it).
    result.sent = await send_due(store, account.id)
    conn: ImapConnection | None = None
    headers_reported = False
    try:
        conn = await open_imap(store, account, name=f"sync-{account.name}")
        enabled = {e.upper() for e in await conn.call(ops.enable_extensions)}
        condstore = conn.has("CONDSTORE")
        qresync = "QRESYNC" in enabled
        await _discover(store, conn, account)
        folders = [
            f for f in await folder_sql.of_account(store.reader, account.id)
            if f.sync_enabled and f.present and f.selectable and (only is None or f.name in only)
        ]
        # No snapshot of the deny list here: each storing transaction reads the current
        # one (engine.ingest.store_prepared), so a block or unblock applies mid-pass.
        syncers = [
            FolderSync(store, conn, account, f, cpu=cpu, progress=progress,
                       condstore=condstore, qresync=qresync)
            for f in folders
        ]
        await _in_turn(store, [(s, s.sync_headers, s.headers_fetched) for s in syncers])
        if on_headers:
            on_headers()
            headers_reported = True
        result.jobs_done = await run_due_jobs(store, conn, account.id)
        # Each folder's result fills in as its bodies come.
        result.folders.update((s.folder.name, s.result) for s in syncers)
        await _in_turn(store, [(s, s.sync_bodies, s.bodies_fetched) for s in syncers])
        # Rules need the bodies: they run once those are stored, and what they queued
        # (moves, flags, responses) goes out in this pass.
        if await apply_waiting(store, account.id):
            result.jobs_done += await run_due_jobs(store, conn, account.id)
            result.sent += await send_due(store, account.id)
        async with store.transaction() as db:
            await settings_sql.record_success(db, account.id)
    except (ImapAuthError, OAuthReauthError) as exc:
        result.error, result.auth_failed = str(exc), True
    except (ImapConnectError, ImapError, FrontdeskError) as exc:
        result.error = str(exc)
    finally:
        if on_headers and not headers_reported:
            on_headers()
        if conn is not None:
            await conn.close()
    return await finish_pass(store, account, result, progress)


async def finish_pass(store: Store, account: AccountSettings, result: AccountResult,
                      progress: Progress) -> AccountResult:
    """The end of an account's pass, whatever its protocol: an error is recorded for
    `frontdesk status` and reported, then the account is reported done."""
    if result.error is not None:
        async with store.transaction() as db:
            await settings_sql.record_error(db, account.id, result.error,
                                            auth_failed=result.auth_failed)
        progress(SyncEvent("error", account=account.name, message=result.error))
    progress(SyncEvent("account_done", account=account.name, done=result.new))
    return result


async def _discover(store: Store, conn: ImapConnection, account: AccountSettings) -> None:
    remote = await list_folders(conn)
    found = [
        DiscoveredFolder(name=f.name, delimiter=f.delimiter, flags=" ".join(f.flags),
                         role=f.role, selectable=f.selectable)
        for f in remote
    ]
    async with store.transaction() as db:
        await folder_sql.merge_discovered(db, account_id=account.id, found=found,
                                          sync_names=account.sync_folders)


Step = tuple[FolderSync, Callable[[], Awaitable[FolderResult]], asyncio.Event]


async def _in_turn(store: Store, steps: Sequence[Step]) -> None:
    """One step (the header or the body pass) of every folder, in turn on the one
    connection. A folder starts as soon as the one before has fetched all it needs (its
    event is set), while that one's last batches are still being parsed and stored. A
    broken connection ends the pass once what was fetched is stored."""
    running: list[asyncio.Task[None]] = []
    try:
        for syncer, step, fetched in steps:
            task = asyncio.ensure_future(_guarded(store, syncer, step))
            running.append(task)
            waiting = asyncio.ensure_future(fetched.wait())
            await asyncio.wait((task, waiting), return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if task.done():
                task.result()
        for task in running:
            await task
    except BaseException as exc:
        if isinstance(exc, asyncio.CancelledError):
            for task in running:
                task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise


async def _guarded(
    store: Store, syncer: FolderSync, step: Callable[[], Awaitable[FolderResult]]
) -> None:
    """A folder that fails records why and lets the others go on; a broken connection
    ends the pass."""
    try:
        await step()
    except ImapConnectError:
        raise
    except (ImapError, FrontdeskError, LookupError, ValueError) as exc:
        async with store.transaction() as db:
            await folder_sql.record_error(db, syncer.folder.id, str(exc))
        return
    async with store.transaction() as db:
        await folder_sql.record_error(db, syncer.folder.id, None)
