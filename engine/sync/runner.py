"""Running sync: one pass over every account (`sync --once`), or staying up with IDLE
on each inbox, polling at the check interval, and reconnecting with jittered backoff."""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Awaitable, Callable, Sequence

from engine.errors import (
    FrontdeskError,
    ImapAuthError,
    ImapConnectError,
    ImapError,
    OAuthReauthError,
)
from engine.imap.connection import ImapConnection
from engine.imap.idle import idle_once
from engine.logins import open_imap
from engine.pop3.sync import sync_pop3_account
from engine.sync.account import AccountResult, sync_account
from engine.sync.cpu import CpuPool
from engine.sync.progress import Progress, SyncEvent
from storage import Store, StoreError, raw_packs
from storage import folder_state as folder_sql
from storage import settings as settings_sql
from storage.records import AccountSettings

# RFC 2177: servers may drop a client idle for 30 minutes; re-issue well before.
IDLE_REISSUE_SECONDS = 25 * 60
MAX_BACKOFF_SECONDS = 300.0
# How often an account whose login was refused looks whether it got new credentials.
CREDENTIALS_CHECK_SECONDS = 30.0
# How often a long-running engine tidies the pack files (storage.raw_packs).
SWEEP_SECONDS = 15 * 60


def backoff(failures: int) -> float:
    """Jittered exponential delay before reconnecting: ~2 s, 4 s, 8 s ... 5 minutes."""
    return min(MAX_BACKOFF_SECONDS, 2.0 ** min(failures, 9)) * random.uniform(0.5, 1.0)


async def sync_once(
    store: Store, accounts: Sequence[AccountSettings], *, progress: Progress
) -> list[AccountResult]:
    """One pass over each account, all accounts at once; "headers_done" is reported when
    every account's headers are stored."""
    cpu = CpuPool()
    waiting = len(accounts)

    def headers_stored() -> None:
        nonlocal waiting
        waiting -= 1
        if waiting == 0:
            progress(SyncEvent("headers_done"))

    try:
        if not accounts:
            progress(SyncEvent("headers_done"))
        results = await asyncio.gather(*(
            _sync_pass(store, a, cpu=cpu, progress=progress, on_headers=headers_stored)
            for a in accounts
        ))
    finally:
        await asyncio.to_thread(cpu.close)
    await _sweep_packs(store, progress)
    progress(SyncEvent("done"))
    return list(results)


async def _sweep_packs(store: Store, progress: Progress) -> None:
    """Remove the pack files nothing needs and rewrite those mostly dead; a failure is
    reported, and the next sweep tries again."""
    try:
        await raw_packs.sweep(store, engine=True)
    except (OSError, StoreError) as exc:
        progress(SyncEvent("error", message=(
            f"could not tidy the mail files in {store.packs}: {exc}; "
            "check that directory's permissions")))


async def _sweep_every(store: Store, progress: Progress, stop: asyncio.Event) -> None:
    while True:
        await _sweep_packs(store, progress)
        if await _wait_any(stop, seconds=SWEEP_SECONDS) is stop:
            return


Targets = Callable[[], Awaitable[Sequence[AccountSettings]]]


async def sync_forever(
    store: Store,
    targets: Targets,
    *,
    progress: Progress,
    stop: asyncio.Event,
    now: asyncio.Event | None = None,
) -> None:
    """Keep every account `targets` names in step until `stop` is set. Setting `now`
    syncs at once and asks `targets` again: an account added or enabled since is taken
    in, one removed or disabled let go."""
    cpu = CpuPool()
    now = now or asyncio.Event()
    wake_all = asyncio.Event()  # what the account loops wait on, and clear
    loops: dict[int, asyncio.Task[None]] = {}

    async def follow(accounts: Sequence[AccountSettings]) -> None:
        wanted = {a.id for a in accounts}
        for account_id in [i for i in loops if i not in wanted]:
            task = loops.pop(account_id)
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
        for a in accounts:
            if a.id not in loops or loops[a.id].done():
                loops[a.id] = asyncio.create_task(
                    _account_loop(store, a, cpu, progress, stop, wake_all),
                    name=f"sync-{a.name}")

    sweeper = asyncio.create_task(_sweep_every(store, progress, stop), name="sweep-packs")
    try:
        await follow(await targets())
        while await _wait_any(stop, now, seconds=None) is now:
            now.clear()
            await follow(await targets())
            wake_all.set()
    finally:
        for task in (*loops.values(), sweeper):
            task.cancel()
        for task in (*loops.values(), sweeper):
            with contextlib.suppress(BaseException):
                await task
        await asyncio.to_thread(cpu.close)


async def _account_loop(
    store: Store,
    account: AccountSettings,
    cpu: CpuPool,
    progress: Progress,
    stop: asyncio.Event,
    wake_all: asyncio.Event,
) -> None:
    failures = 0
    inbox_changed = asyncio.Event()
    idle: asyncio.Task[None] | None = None
    only: list[str] | None = None
    try:
        while not stop.is_set():
            current = await settings_sql.by_id(store.reader, account.id) or account
            result = await _sync_pass(store, current, cpu=cpu, progress=progress, only=only)
            if result.auth_failed:
                until = ("someone signs it in again" if current.oauth_provider
                         else "the password is changed")
                progress(SyncEvent("error", account=account.name, message=(
                    f"{result.error}; not retrying until {until}")))
                await _credentials_changed(store, account.id, stop, wake_all)
                continue
            if result.error is not None:
                failures += 1
                await _wait_any(stop, wake_all, seconds=backoff(failures))
                only = None
                continue
            failures = 0
            inbox = await _inbox_name(store, current)
            if inbox is not None and (idle is None or idle.done()):
                idle = asyncio.create_task(
                    _idle_loop(store, current, inbox, inbox_changed, stop),
                    name=f"idle-{account.name}")
            woke = await _wait_any(stop, wake_all, inbox_changed,
                                   seconds=current.check_every_minutes * 60.0)
            # An IDLE wake-up syncs the inbox alone; the interval and "sync now", all.
            only = [inbox] if woke is inbox_changed and inbox else None
            inbox_changed.clear()
            if woke is wake_all:
                wake_all.clear()
    finally:
        if idle is not None:
            idle.cancel()
            with contextlib.suppress(BaseException):
                await idle


async def _sync_pass(
    store: Store, account: AccountSettings, *, cpu: CpuPool, progress: Progress,
    only: Sequence[str] | None = None, on_headers: Callable[[], None] | None = None,
) -> AccountResult:
    """One pass over one account, as its protocol syncs."""
    if account.protocol == "pop3":
        return await sync_pop3_account(store, account, progress=progress,
                                       on_headers=on_headers)
    return await sync_account(store, account, cpu=cpu, progress=progress, only=only,
                              on_headers=on_headers)


async def _credentials_changed(store: Store, account_id: int, stop: asyncio.Event,
                               wake_all: asyncio.Event) -> None:
    """Return once the account's refused credentials were replaced (a new password, a
    new sign-in) or `stop` is set; looked at every CREDENTIALS_CHECK_SECONDS and at each
    "sync now". Nothing is sent to the server meanwhile."""
    while not stop.is_set():
        current = await settings_sql.by_id(store.reader, account_id)
        if current is None or not current.auth_failed:
            return
        if await _wait_any(stop, wake_all, seconds=CREDENTIALS_CHECK_SECONDS) is wake_all:
            wake_all.clear()


async def _inbox_name(store: Store, account: AccountSettings) -> str | None:
    if account.protocol == "pop3":
        return None  # no IDLE in POP3: the check interval polls it
    for folder in await folder_sql.of_account(store.reader, account.id):
        if folder.role == "inbox" and folder.sync_enabled and folder.present:
            return folder.name
    return None


async def _idle_loop(
    store: Store, account: AccountSettings, folder: str, changed: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    """IDLE on its own connection; each change sets `changed`. Reconnects with backoff;
    gives up on a refused password (the main loop reports it)."""
    failures = 0
    halt = threading.Event()
    while not stop.is_set():
        conn: ImapConnection | None = None
        try:
            conn = await open_imap(store, account, name=f"idle-{account.name}")
            if not conn.has("IDLE"):
                return  # the check interval does the work
            failures = 0
            while not stop.is_set():
                result = await idle_once(conn, folder, max_seconds=IDLE_REISSUE_SECONDS,
                                         stop=halt)
                if result.changed:
                    changed.set()
        except (ImapAuthError, OAuthReauthError):
            return
        except (ImapConnectError, ImapError, FrontdeskError):
            failures += 1
            await _wait_any(stop, seconds=backoff(failures))
        finally:
            halt.set()
            if conn is not None:
                await conn.close()
            halt.clear()


async def _wait_any(*events: asyncio.Event, seconds: float | None) -> asyncio.Event | None:
    """Wait until one of `events` is set or `seconds` pass (None: no time limit); return
    the event, if any."""
    waiters = {asyncio.ensure_future(e.wait()): e for e in events}
    try:
        done, _ = await asyncio.wait(waiters, timeout=seconds,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    for waiter in done:
        return waiters[waiter]
    return None
