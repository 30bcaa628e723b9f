"""Blocking against the real Dovecot: stored mail is hidden at once, and the next sync
does not import new mail from the blocked sender or domain."""

import asyncio
from pathlib import Path

import pytest

from engine.listing import Listing
from tests.integration.sync_support import Item, mail, open_service, spec_for, store_rows
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration
USER = "bob@example.com"


@pytest.fixture
def bob(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


async def test_blocked_senders_new_mail_is_not_imported(bob, tmp_path: Path) -> None:
    bob.append_messages(USER, [
        Item(mail("old pest", sender="Pest <pest@annoying.example>")),
        Item(mail("old wanted")),
    ])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER), bob.users[USER])
        assert (await service.sync(agent))[0].new == 2

        by_address = await service.block(agent, "address", "Pest@Annoying.example",
                                         account="bob")
        await service.block(agent, "domain", "blocked.example", account="bob")
        shown = {m.subject for m in await service.list_listing(agent, Listing("bob:INBOX"))}
        assert shown == {"old wanted"}

        bob.append_messages(USER, [
            Item(mail("new pest", sender="Pest <pest@annoying.example>")),
            Item(mail("new from a subdomain", sender="X <x@mail.blocked.example>")),
            Item(mail("new wanted", sender="Wanted <w@annoying.example>")),
        ])
        result = (await service.sync(agent))[0]
        assert result.error is None and result.new == 1
        stored = {r["subject"] for r in await store_rows(service)}
        assert stored == {"old pest", "old wanted", "new wanted"}
        shown = {m.subject for m in await service.list_listing(agent, Listing("bob:INBOX"))}
        assert shown == {"old wanted", "new wanted"}

        # Unblocking shows the stored mail again; the server's copies were never touched.
        await service.unblock(agent, by_address.id)
        shown = {m.subject for m in await service.list_listing(agent, Listing("bob:INBOX"))}
        assert shown == {"old pest", "old wanted", "new wanted"}
        assert len(await _server_subjects(bob)) == 5
    finally:
        await service.close()


async def _server_subjects(server: DovecotServer) -> list[bytes]:
    def read() -> list[bytes]:
        client = server.connect(USER)
        try:
            client.select_folder("INBOX", readonly=True)
            fetched = client.fetch(client.search("ALL"), ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
            return [v[b"BODY[HEADER.FIELDS (SUBJECT)]"] for v in fetched.values()]
        finally:
            client.logout()

    return await asyncio.to_thread(read)
