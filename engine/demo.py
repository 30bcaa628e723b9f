"""The demo store: generated support mail over three accounts (one shared), so the
console can be tried without a mail server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from engine.corpus import (
    DEFAULT_ACCOUNTS,
    DEMO_PROFILE,
    CorpusAccount,
    CorpusMessage,
    generate_corpus,
)
from engine.errors import InvalidInputError
from engine.identity import os_user
from engine.ingest import Incoming, ingest
from engine.service import DEMO_META_KEY, LocalService
from storage import Store, access, accounts, agents, audit, customers, folders, meta
from storage import demo as demo_sql

Progress = Callable[[int, int], None]

# Folder names the corpus uses, with the role each plays.
DEMO_FOLDERS = {
    "INBOX": "inbox",
    "Drafts": "drafts",
    "Sent": "sent",
    "Archive": "archive",
    "Junk": "spam",
    "Trash": "trash",
}
OWN_DOMAIN = "acme.example"
BATCH = 500


@dataclass(frozen=True)
class DemoSpec:
    messages: int = 2000
    seed: int = 7


async def open_demo(
    path: Path, spec: DemoSpec, *, login: str, rebuild: bool = False,
    progress: Progress | None = None,
    accounts: Sequence[CorpusAccount] = DEFAULT_ACCOUNTS,
) -> LocalService:
    """Open the demo store at `path`, building it unless it already holds this spec
    (and these `accounts`).

    A store that is not a demo store is never overwritten.
    """
    if spec.messages < 1:
        raise InvalidInputError("--messages must be at least 1")
    _check_accounts(accounts)
    if await asyncio.to_thread(path.exists):
        service = await LocalService.open(path)
        found = await meta.get(service.store.reader, DEMO_META_KEY)
        if found is None:
            await service.close()
            raise InvalidInputError(
                f"{path} is not a demo store; choose another path with --db"
            )
        if not rebuild and json.loads(found) == _demo_record(spec, accounts):
            return service
        await service.close()
        await asyncio.to_thread(_remove_store_files, path)
    service = await LocalService.open(path)
    try:
        await build_demo(service.store, spec, login=login, progress=progress,
                         accounts=accounts)
    except BaseException:
        await service.close()
        raise
    return service


def _remove_store_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _check_accounts(accounts: Sequence[CorpusAccount]) -> None:
    if sum(1 for a in accounts if not a.shared) < 2:
        raise InvalidInputError("the demo needs at least two personal accounts")


def _demo_record(spec: DemoSpec, accounts: Sequence[CorpusAccount]) -> dict[str, object]:
    """What the store's demo marker holds; the default accounts are left out, so stores
    built before accounts could be chosen still match."""
    record: dict[str, object] = dict(asdict(spec))
    if tuple(accounts) != DEFAULT_ACCOUNTS:
        record["accounts"] = [asdict(a) for a in accounts]
    return record


async def build_demo(
    store: Store, spec: DemoSpec, *, login: str, progress: Progress | None = None,
    accounts: Sequence[CorpusAccount] = DEFAULT_ACCOUNTS,
) -> None:
    """Fill an empty store: agents, the accounts (by default three, one shared),
    generated mail, some customers. The first personal account is the demo agent's,
    any other personal account a colleague's."""
    _check_accounts(accounts)
    folder_ids, account_ids, me = await _create_people_and_accounts(store, login, accounts)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    pending: dict[tuple[str, str], list[Incoming]] = {}
    done = 0

    async def flush(key: tuple[str, str]) -> None:
        nonlocal done
        items = pending.pop(key, [])
        if items:
            await ingest(store, account_id=account_ids[key[0]], folder_id=folder_ids[key],
                         items=items)
            done += len(items)
            if progress:
                progress(done, spec.messages)

    message: CorpusMessage
    for message in generate_corpus(spec.messages, seed=spec.seed, accounts=accounts, end=end,
                                   profile=DEMO_PROFILE):
        key = (message.account, message.folder)
        pending.setdefault(key, []).append(
            Incoming(raw=message.raw, flags=message.flags, internal_date=message.internal_date)
        )
        if len(pending[key]) >= BATCH:
            await flush(key)
    for key in list(pending):
        await flush(key)
    await _create_customers(store, list(account_ids.values()), me)
    async with store.transaction() as db:
        await meta.put(db, DEMO_META_KEY, json.dumps(_demo_record(spec, accounts)))


async def _create_people_and_accounts(
    store: Store, login: str, corpus_accounts: Sequence[CorpusAccount]
) -> tuple[dict[tuple[str, str], int], dict[str, int], int]:
    folder_ids: dict[tuple[str, str], int] = {}
    account_ids: dict[str, int] = {}
    async with store.transaction() as db:
        personal = [a for a in corpus_accounts if not a.shared]
        me = await agents.insert(db, name=login, os_user=os_user(), role="admin",
                                 display_name=personal[0].name, email=personal[0].email)
        colleague = await agents.insert(
            db, name=personal[1].email.split("@")[0], os_user=None, role="agent",
            display_name=personal[1].name, email=personal[1].email,
        )
        owners = {a.key: colleague.id for a in personal[1:]}
        owners[personal[0].key] = me.id
        for spec in corpus_accounts:
            account = await accounts.insert(
                db, name=spec.key, email=spec.email, display_name=spec.name,
                kind="shared" if spec.shared else "personal",
                owner_agent_id=None if spec.shared else owners[spec.key],
            )
            account_ids[spec.key] = account.id
            for name, role in DEMO_FOLDERS.items():
                folder_ids[(spec.key, name)] = await folders.insert(
                    db, account_id=account.id, name=name, role=role
                )
            if spec.shared:
                for role in ("admin", "agent"):
                    await access.grant_role(db, account_id=account.id, role=role,
                                            can_act=True, granted_by=me.id)
        # The colleague lets the demo agent read their mailbox, to show a grant at work.
        await access.grant_agent(db, account_id=account_ids[personal[1].key], agent_id=me.id,
                                 can_act=False, granted_by=colleague.id)
        await audit.record(db, agent_id=me.id, action="demo.build", target_kind="store")
    return folder_ids, account_ids, me.id


async def _create_customers(store: Store, account_ids: list[int], created_by: int) -> None:
    """Pair the most frequent outside senders with customers; the rest stay unknown, so
    the console shows both kinds."""
    senders = await demo_sql.frequent_senders(store.reader, account_ids=account_ids, limit=80)
    outside = [(a, n) for a, n in senders if not a.lower().endswith("@" + OWN_DOMAIN)]
    async with store.transaction() as db:
        for addr, name in outside[: max(1, len(outside) // 2)]:
            domain = addr.rsplit("@", 1)[-1]
            company = domain.split(".")[0].replace("-", " ").title()
            await customers.insert(db, name=name or addr, company=company, addresses=[addr],
                                   created_by=created_by)
