"""Generated mail APPENDed to a real Dovecot, fetched back, ingested, and listed through
the Service: the path every later sync builds on."""

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from engine.corpus import generate_corpus
from engine.ingest import Incoming, ingest
from engine.mime import parse_envelope
from engine.service import LocalService
from storage import accounts, agents, folders
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration

USER = "bob@example.com"


def _fetch_folder(server: DovecotServer, folder: str) -> tuple[int, dict[int, dict]]:
    client = server.connect(USER)
    try:
        info = client.select_folder(folder, readonly=True)
        data = client.fetch(client.search("ALL"), ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"])
        return int(info[b"UIDVALIDITY"]), data
    finally:
        client.logout()


async def test_generated_corpus_survives_the_server_and_the_store(
    dovecot: DovecotServer, tmp_path: Path
) -> None:
    dovecot.reset_user(USER)
    corpus = list(generate_corpus(150, seed=11))
    assert dovecot.append_messages(USER, corpus) == 150
    per_folder = Counter(m.folder for m in corpus)
    by_id = {m.message_id: m for m in corpus}

    uidvalidity, fetched = await asyncio.to_thread(_fetch_folder, dovecot, "INBOX")
    assert len(fetched) == per_folder["INBOX"]
    for item in fetched.values():
        raw = item[b"BODY[]"]
        message_id = parse_envelope(raw).message_id
        assert message_id in by_id
        assert raw == by_id[message_id].raw  # bytes survive the server unchanged

    service = await LocalService.open(tmp_path / "r.db")
    try:
        async with service.store.transaction() as db:
            me = await agents.insert(db, name="bob", os_user=None, role="admin")
            acct = await accounts.insert(db, name="bob", email=USER, kind="personal",
                                         owner_agent_id=me.id)
            inbox = await folders.insert(db, account_id=acct.id, name="INBOX", role="inbox")
        items = [
            Incoming(raw=v[b"BODY[]"], flags=tuple(f.decode() for f in v[b"FLAGS"]),
                     internal_date=v[b"INTERNALDATE"], uid=uid, uidvalidity=uidvalidity)
            for uid, v in sorted(fetched.items())
        ]
        stored = await ingest(service.store, account_id=acct.id, folder_id=inbox, items=items)
        assert len(stored) == per_folder["INBOX"]
        # Fetching the same UIDs again stores nothing twice.
        assert await ingest(service.store, account_id=acct.id, folder_id=inbox,
                            items=items) == []
        listed = await service.list_messages(me, inbox, limit=1000)
        assert len(listed) == per_folder["INBOX"]
        unseen_on_server = sum(
            1 for v in fetched.values() if b"\\Seen" not in v[b"FLAGS"]
        )
        assert sum(1 for m in listed if not m.seen) == unseen_on_server
        for summary in listed[:25]:
            view = await service.open_message(me, summary.id)
            assert view.subject == summary.subject
    finally:
        await service.close()
