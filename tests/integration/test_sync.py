"""Sync against the real Dovecot: initial import, incremental changes, resume."""

from pathlib import Path
from typing import Any

import pytest

from engine.sync import imap_ops as ops
from engine.sync.progress import SyncEvent
from tests.integration.sync_support import (
    Item,
    mail,
    open_service,
    server_uids,
    spec_for,
    store_rows,
)
from tests.servers.dovecot import DovecotServer
from tests.store_factory import make_mail

pytestmark = pytest.mark.integration
USER = "bob@example.com"


@pytest.fixture
def clean_bob(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


async def test_initial_sync_stores_every_message_with_body(clean_bob, tmp_path: Path) -> None:
    server = clean_bob
    raws = [mail(f"Order {i}", body=f"Parcel number {i} is late.") for i in range(30)]
    server.append_messages(USER, [Item(r, flags=("\\Seen",) if i % 3 == 0 else ())
                                  for i, r in enumerate(raws)])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(server, USER), server.users[USER])
        events: list[SyncEvent] = []
        results = await service.sync(agent, progress=events.append)
        assert results[0].error is None, results[0].error
        assert results[0].new == 30
        rows = await store_rows(service)
        assert len(rows) == 30 and all(r["has_body"] for r in rows)
        remote = await server_uids(server, USER)
        assert [r["uid"] for r in rows] == sorted(remote)
        for row in rows:
            flags = {f.decode() for f in remote[row["uid"]][b"FLAGS"]}
            assert bool(row["seen"]) == ("\\Seen" in flags)
        kinds = [e.event for e in events]
        assert kinds.index("headers_done") < kinds.index("done")
        # the raw bytes are what the server holds
        listed = await service.list_by_spec(agent, "bob:INBOX", limit=100)
        view = await service.open_message(agent, listed[0].id)
        assert "Parcel number" in view.text
        # a second pass changes nothing
        again = await service.sync(agent)
        assert again[0].new == 0 and again[0].error is None
        assert len(await store_rows(service)) == 30
    finally:
        await service.close()


async def test_attachments_found_by_the_body_pass_mark_their_messages_only(
    clean_bob, tmp_path: Path
) -> None:
    """The header pass cannot see attachments; the body pass records them, and leaves
    the messages without any as they were."""
    server = clean_bob
    raws = [make_mail(f"Invoice {i}", message_id=f"<inv{i}@customer.example>",
                      attachment=f"invoice-{i}.pdf" if i % 2 else None)
            for i in range(6)]
    server.append_messages(USER, [Item(r) for r in raws])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(server, USER), server.users[USER])
        results = await service.sync(agent)
        assert results[0].error is None, results[0].error
        rows = await service.store.reader.fetchall(
            "SELECT m.subject, m.has_body, m.has_attachments, "
            "group_concat(a.filename) AS files FROM messages m "
            "LEFT JOIN attachments a ON a.message_id = m.id GROUP BY m.id ORDER BY m.uid")
        assert [(r["subject"], r["has_body"], r["has_attachments"], r["files"])
                for r in rows] == [
            (f"Invoice {i}", 1, i % 2, f"invoice-{i}.pdf" if i % 2 else None)
            for i in range(6)]
        listed = await service.list_by_spec(agent, "bob:INBOX", limit=10)
        assert {m.subject: m.has_attachments for m in listed} == {
            f"Invoice {i}": bool(i % 2) for i in range(6)}
    finally:
        await service.close()


@pytest.mark.parametrize("extension", ["QRESYNC", "CONDSTORE"])
async def test_flags_and_expunges_made_elsewhere(
    clean_bob, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extension: str
) -> None:
    """With QRESYNC, one UID FETCH (CHANGEDSINCE n VANISHED) brings both; with CONDSTORE
    alone, flags come by CHANGEDSINCE and expunges by a UID SEARCH diff."""
    server = clean_bob
    calls: list[str] = []
    real_enable, real_changes = ops.enable_extensions, ops.fetch_changes

    def enable(client: Any) -> tuple[str, ...]:
        if extension == "QRESYNC":
            return real_enable(client)
        client.enable("CONDSTORE")
        return ("CONDSTORE",)

    def changes(client: Any, high: int, *, changed_since: int) -> ops.Changes:
        calls.append("fetch_changes")
        return real_changes(client, high, changed_since=changed_since)

    monkeypatch.setattr(ops, "enable_extensions", enable)
    monkeypatch.setattr(ops, "fetch_changes", changes)
    server.append_messages(USER, [Item(mail(f"m{i}")) for i in range(10)])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(server, USER), server.users[USER])
        await service.sync(agent)
        client = server.connect(USER)
        client.select_folder("INBOX")
        uids = sorted(client.search("ALL"))
        client.add_flags(uids[:3], ["\\Flagged", "\\Seen"])
        client.delete_messages(uids[-2:])
        client.expunge()
        client.logout()
        result = (await service.sync(agent))[0]
        assert result.error is None
        rows = await store_rows(service)
        assert [r["uid"] for r in rows] == uids[:-2]
        assert [bool(r["flagged"]) for r in rows] == [True] * 3 + [False] * 5
        assert [bool(r["seen"]) for r in rows] == [True] * 3 + [False] * 5
        assert calls == (["fetch_changes"] if extension == "QRESYNC" else [])
        # nothing changed since: QRESYNC asks nothing more
        again = (await service.sync(agent))[0]
        assert again.error is None and len(await store_rows(service)) == 8
        assert calls == (["fetch_changes"] if extension == "QRESYNC" else [])
    finally:
        await service.close()


async def test_a_folder_name_with_brackets_does_not_stop_the_account(
    clean_bob: DovecotServer, tmp_path: Path
) -> None:
    """Dovecot sends a name like `[b]x[` as a bare word, which imapclient's parser
    refuses; the folder is listed anyway, and the account syncs and can sync it."""
    server = clean_bob
    with server.connect(USER) as client:
        client.create_folder("[b]x[")
        client.append("[b]x[", mail("In the odd folder"))
        client.append("INBOX", mail("In the inbox"))
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(server, USER), server.users[USER])
        report = await service.test_account(agent, "bob")
        assert "[b]x[" in {f.name for f in report.folders}
        results = await service.sync(agent)
        assert results[0].error is None, results[0].error
        await service.configure_folders(agent, "bob", sync=["INBOX", "[b]x["])
        results = await service.sync(agent)
        assert results[0].error is None, results[0].error
        assert [r["subject"] for r in await store_rows(service, "[b]x[")] == [
            "In the odd folder"]
    finally:
        await service.close()
        # Other tests list this user's folders with imapclient's own parser.
        with server.connect(USER) as client:
            client.delete_folder("[b]x[")
