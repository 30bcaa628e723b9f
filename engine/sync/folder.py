"""Sync of one folder: UIDVALIDITY, new mail (headers first, bodies after), flag changes
and expunges. Every batch is committed together with the folder state that accounts for
it, so a sync killed at any point resumes where it stopped, with no duplicate and no loss.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from engine.imap.connection import ImapConnection
from engine.ingest import (
    Incoming,
    Prepared,
    joined,
    parse_batch,
    prepare_bodies,
    store_bodies,
)
from engine.ingest import store_prepared as store_headers
from engine.jobs.queue import enqueue_flags
from engine.sync import imap_ops as ops
from engine.sync.batches import HEADER_BATCH, by_bytes, by_count
from engine.sync.cpu import CpuPool
from engine.sync.pipeline import pipelined
from engine.sync.progress import Progress, SyncEvent
from storage import Db, Store, messages
from storage import folder_state as folder_sql
from storage.records import AccountSettings, BodyUpdate, FlagState, FolderState


@dataclass
class FolderResult:
    new: int = 0
    bodies: int = 0
    flags_changed: int = 0
    expunged: int = 0
    reset: bool = False


def _flag_state(uid: int, flags: tuple[str, ...], modseq: int | None) -> FlagState:
    lowered = {f.lower() for f in flags}
    keywords = " ".join(sorted(f for f in flags if not f.startswith("\\")))
    return FlagState(
        uid=uid,
        seen="\\seen" in lowered,
        flagged="\\flagged" in lowered,
        answered="\\answered" in lowered,
        draft="\\draft" in lowered,
        deleted="\\deleted" in lowered,
        keywords=keywords,
        modseq=modseq,
    )


class FolderSync:
    """Brings one folder of one account in step with the server."""

    def __init__(
        self,
        store: Store,
        conn: ImapConnection,
        account: AccountSettings,
        folder: FolderState,
        *,
        cpu: CpuPool,
        progress: Progress,
        condstore: bool,
        qresync: bool = False,
    ) -> None:
        self.store = store
        self.conn = conn
        self.account = account
        self.folder = folder
        self.cpu = cpu
        self.progress = progress
        self.condstore = condstore
        self.qresync = qresync
        self.result = FolderResult()
        # Set once the header (body) pass needs the connection no more: the next folder
        # may start while this one's last batches are being stored.
        self.headers_fetched = asyncio.Event()
        self.bodies_fetched = asyncio.Event()
        self._selected: ops.Selected | None = None
        # The last UID the first import wants; storing it ends the first import.
        self._first_last: int | None = None

    def _event(self, phase: str, done: int, total: int, nbytes: int = 0) -> None:
        self.progress(SyncEvent("folder", account=self.account.name, folder=self.folder.name,
                                phase=phase, done=done, total=total, bytes=nbytes))

    async def _reload(self) -> FolderState:
        state = await folder_sql.by_id(self.store.reader, self.folder.id)
        if state is None:
            raise LookupError(f"folder {self.folder.name!r} vanished from the store")
        self.folder = state
        return state

    async def _save(
        self, db: Db, *, synced_uid: int, initial_until: int | None,
        highestmodseq: int | None = None,
    ) -> None:
        sel = self._selected
        assert sel is not None
        await folder_sql.save_state(
            db, folder_id=self.folder.id, uidvalidity=sel.uidvalidity, uidnext=sel.uidnext,
            highestmodseq=highestmodseq, synced_uid=synced_uid, initial_until=initial_until,
        )

    # -- headers, flags, expunges -----------------------------------------------------------

    async def sync_headers(self) -> FolderResult:
        """Select the folder, follow a UIDVALIDITY change, apply flag changes and expunges,
        and store the headers of new mail."""
        try:
            return await self._sync_headers()
        finally:
            self.headers_fetched.set()

    async def _sync_headers(self) -> FolderResult:
        sel = self._selected = await self.conn.call(ops.select, self.folder.name)
        state = await self._reload()
        if state.uidvalidity != sel.uidvalidity:
            await self._start_over(sel, had_mail=state.uidvalidity is not None)
            state = await self._reload()
        elif state.synced_uid > 0:
            if (self.qresync and state.highestmodseq is not None
                    and sel.highestmodseq is not None):
                await self._sync_changes(sel, state)
            else:
                await self._sync_flags(sel, state)
                await self._sync_expunges(state)
        await self._fetch_new_headers(await self._new_uids(sel, state))
        state = await self._reload()
        # HIGHESTMODSEQ is recorded last: only once flags and new mail up to it are stored.
        async with self.store.transaction() as db:
            await self._save(db, synced_uid=state.synced_uid, initial_until=state.initial_until,
                             highestmodseq=sel.highestmodseq)
        return self.result

    async def _start_over(self, sel: ops.Selected, *, had_mail: bool) -> None:
        """First sync, or UIDVALIDITY changed: the old UID map means nothing any more."""
        self.result.reset = had_mail
        top = (sel.uidnext - 1) if sel.uidnext else await self._highest_uid()
        async with self.store.transaction() as db:
            await messages.delete_other_validity(db, folder_id=self.folder.id,
                                                 uidvalidity=sel.uidvalidity)
            await self._save(db, synced_uid=0, initial_until=max(top, 0))

    async def _highest_uid(self) -> int:
        found = await self.conn.call(ops.search_uids, 1, None)
        return max(found, default=0)

    async def _new_uids(self, sel: ops.Selected, state: FolderState) -> list[int]:
        low = state.synced_uid + 1
        until = state.initial_until
        if until is None or low > until:
            return await self.conn.call(ops.search_uids, low, None)
        mode = self.account.import_mode
        if mode == "new-only":
            first: list[int] = []
        elif mode == "unread":
            first = await self.conn.call(ops.search_uids, low, until, unseen=True)
        elif mode == "since" and self.account.import_since:
            since = date.fromisoformat(self.account.import_since)
            first = await self.conn.call(ops.search_uids, low, until, since=since)
        else:
            first = await self.conn.call(ops.search_uids, low, until)
        rest = await self.conn.call(ops.search_uids, until + 1, None)
        self._first_last = first[-1] if first else None
        if not first:
            # Nothing of the old mail is wanted: the first import is over at once.
            async with self.store.transaction() as db:
                await self._save(db, synced_uid=until, initial_until=None)
        return first + rest

    async def _fetch_new_headers(self, uids: list[int]) -> None:
        if not uids:
            return
        total = len(uids)
        self.cpu.expect(total)
        done = 0
        nbytes = 0
        until = self.folder.initial_until
        moved_here = await messages.unplaced_message_ids(self.store.reader,
                                                         folder_id=self.folder.id)
        # New inbox mail waits for the mailbox's rules; what the first import (or a
        # UIDVALIDITY reset) brings in never does.
        rules_after = (until or 0) if self.folder.role == "inbox" else None
        self._event("headers", 0, total)

        async def fetch(batch: list[int]) -> list[ops.Fetched]:
            return await self.conn.call(ops.fetch_headers, batch, modseq=self.condstore)

        async def prepare(batch: list[int], fetched: list[ops.Fetched]) -> list[Prepared]:
            validity = self._selected.uidvalidity if self._selected else None
            items = [
                Incoming(raw=f.data, flags=f.flags, internal_date=f.internal_date, uid=f.uid,
                         uidvalidity=validity, modseq=f.modseq, size=f.size, headers_only=True)
                for f in fetched
            ]
            return joined(items, await self.cpu.run(parse_batch, items))

        async def store(batch: list[int], prepared: list[Prepared]) -> None:
            nonlocal done, nbytes
            last = batch[-1]
            finished = until is not None and (last >= until or last == self._first_last)
            covered = max(last, until) if finished and until is not None else last

            async def save(db: Db, stored_uids: list[int]) -> None:
                await self._save(db, synced_uid=covered,
                                 initial_until=None if finished or until is None else until)
                if self.account.mark_read_on_import:
                    await self._mark_read_on_server(db, stored_uids)

            if moved_here:
                await self._adopt_moved(prepared, moved_here)
            stored = await store_headers(
                self.store, account_id=self.account.id, folder_id=self.folder.id,
                prepared=prepared, after=save, rules_after_uid=rules_after,
            )
            self.result.new += len(stored)
            done += len(batch)
            nbytes += sum(p.item.size or 0 for p in prepared)
            self._event("headers", done, total, nbytes)

        await pipelined(by_count(uids, HEADER_BATCH), fetch, prepare, store,
                        parallel=self.cpu.processes, fetched_all=self.headers_fetched.set)

    async def _adopt_moved(self, prepared: list[Prepared], moved_here: set[str]) -> None:
        """Mail an agent moved here (delete, archive) waits in the store without a UID
        until its job records one. When this sync meets such a message first (the job was
        interrupted after the server moved it), the waiting row takes the UID, and the
        store below skips it instead of storing it a second time."""
        assert self._selected is not None
        found = [(p.item.uid, p.message.message_id) for p in prepared
                 if p.item.uid is not None and p.message.message_id in moved_here]
        if not found:
            return
        async with self.store.transaction() as db:
            await messages.adopt_uids(db, folder_id=self.folder.id,
                                      uidvalidity=self._selected.uidvalidity,
                                      found=[(uid, mid) for uid, mid in found if mid])

    async def _mark_read_on_server(self, db: Db, uids: list[int]) -> None:
        """Queue \\Seen for mail just imported, in the transaction that stored it."""
        assert self._selected is not None
        if uids:
            await enqueue_flags(
                db, account_id=self.account.id, folder=self.folder.name,
                uidvalidity=self._selected.uidvalidity, uids=uids, add=("\\Seen",),
                remove=(), created_by=None,
            )

    async def _sync_changes(self, sel: ops.Selected, state: FolderState) -> None:
        """QRESYNC: flag changes and expunges since the stored HIGHESTMODSEQ in one round
        trip. An expunge raises HIGHESTMODSEQ too, so an unchanged one means nothing to do."""
        assert state.highestmodseq is not None
        if sel.highestmodseq == state.highestmodseq:
            return
        changes = await self.conn.call(ops.fetch_changes, state.synced_uid,
                                       changed_since=state.highestmodseq)
        if not changes.flags and not changes.vanished:
            return
        flags = [_flag_state(uid, f, m) for uid, (f, m) in changes.flags.items()]
        async with self.store.transaction() as db:
            if changes.vanished:
                self.result.expunged += await messages.delete_uids(
                    db, folder_id=self.folder.id, uidvalidity=sel.uidvalidity,
                    uids=changes.vanished,
                )
            if flags:
                self.result.flags_changed += await messages.apply_flags(
                    db, folder_id=self.folder.id, uidvalidity=sel.uidvalidity, flags=flags,
                    take_seen=not self.account.mark_read_on_import,
                )

    async def _sync_flags(self, sel: ops.Selected, state: FolderState) -> None:
        if self.condstore and state.highestmodseq is not None and sel.highestmodseq is not None:
            if sel.highestmodseq == state.highestmodseq:
                return
            changed = await self.conn.call(ops.fetch_flags, state.synced_uid,
                                           changed_since=state.highestmodseq)
        else:
            changed = await self.conn.call(ops.fetch_flags, state.synced_uid,
                                           changed_since=None)
        if not changed:
            return
        flags = [_flag_state(uid, f, m) for uid, (f, m) in changed.items()]
        async with self.store.transaction() as db:
            self.result.flags_changed += await messages.apply_flags(
                db, folder_id=self.folder.id, uidvalidity=sel.uidvalidity, flags=flags,
                take_seen=not self.account.mark_read_on_import,
            )

    async def _sync_expunges(self, state: FolderState) -> None:
        assert self._selected is not None
        validity = self._selected.uidvalidity
        local = await messages.uids(self.store.reader, folder_id=self.folder.id,
                                    uidvalidity=validity)
        if not local:
            return
        on_server = set(await self.conn.call(ops.search_uids, 1, state.synced_uid))
        gone = {u for u in local if u <= state.synced_uid} - on_server
        if gone:
            async with self.store.transaction() as db:
                self.result.expunged += await messages.delete_uids(
                    db, folder_id=self.folder.id, uidvalidity=validity, uids=gone
                )

    # -- bodies -----------------------------------------------------------------------------

    async def sync_bodies(self) -> FolderResult:
        """Fetch the bodies of messages stored with headers only."""
        try:
            return await self._sync_bodies()
        finally:
            self.bodies_fetched.set()

    async def _sync_bodies(self) -> FolderResult:
        state = await self._reload()
        if state.uidvalidity is None:
            return self.result
        waiting = await messages.without_body(self.store.reader, folder_id=state.id,
                                              uidvalidity=state.uidvalidity, limit=10**9)
        if not waiting:
            return self.result
        sel = await self.conn.call(ops.select, state.name)
        if sel.uidvalidity != state.uidvalidity:
            return self.result  # the next headers pass starts the folder over
        ids = {uid: message_id for message_id, uid, _ in waiting}
        total = len(waiting)
        self.cpu.expect(total)
        done = 0
        nbytes = 0
        self._event("bodies", 0, total, 0)

        async def fetch(batch: list[int]) -> list[ops.Fetched]:
            return await self.conn.call(ops.fetch_bodies, batch)

        async def prepare(batch: list[int], fetched: list[ops.Fetched]) -> list[BodyUpdate]:
            pairs = [(ids[f.uid], f.data) for f in fetched if f.uid in ids and f.data]
            return await prepare_bodies(pairs, self.cpu.run_pairs, packs=self.store.packs)

        async def store(batch: list[int], updates: list[BodyUpdate]) -> None:
            nonlocal done, nbytes
            await store_bodies(self.store, updates)
            self.result.bodies += len(updates)
            done += len(batch)
            nbytes += sum(u.size for u in updates)
            self._event("bodies", done, total, nbytes)

        await pipelined(by_bytes([(uid, size) for _, uid, size in waiting]), fetch, prepare,
                        store, parallel=self.cpu.processes,
                        fetched_all=self.bodies_fetched.set)
        return self.result
