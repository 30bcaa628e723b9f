"""The store's side of POP3: UIDLs recorded with their outcome, gone ones noted once, a
message row found by its UID, and the rows following their message and account."""

from pathlib import Path

from engine.ingest import Incoming, prepare_batch, store_prepared
from storage import Store
from storage import pop3 as pop3_sql
from storage import settings as settings_sql
from tests.store_factory import build_team, make_mail


async def test_uidls_follow_their_outcome_message_and_account(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.db")
    try:
        team = await build_team(store)
        account, inbox = team.accounts["bob-mail"], team.inboxes["bob-mail"]
        prepared = prepare_batch([Incoming(make_mail("one"), uid=7, uidvalidity=1)])
        [row] = await store_prepared(store, account_id=account, folder_id=inbox,
                                     prepared=prepared)
        async with store.transaction() as db:
            await pop3_sql.record(db, account, [("u1", "pending", None),
                                                ("u2", "skipped", None)])
        found = await pop3_sql.uidls(store.reader, account)
        assert {u: r.state for u, r in found.items()} == {"u1": "pending", "u2": "skipped"}
        assert await store.reader.scalar(
            "SELECT imported_at FROM pop3_uidls WHERE uidl = 'u1'") is None

        async with store.transaction() as db:
            assert await pop3_sql.message_ids(db, folder_id=inbox, uidvalidity=1,
                                              uids=[7, 8]) == {7: row}
            await pop3_sql.record(db, account, [("u1", "stored", row)])
            assert await pop3_sql.mark_gone(db, account, ["u2", "nope"]) == 1
            assert await pop3_sql.mark_gone(db, account, ["u2"]) == 0
        found = await pop3_sql.uidls(store.reader, account)
        assert (found["u1"].state, found["u1"].message_id) == ("stored", row)
        assert found["u2"].deleted_on_server and not found["u1"].deleted_on_server
        assert await store.reader.scalar(
            "SELECT imported_at FROM pop3_uidls WHERE uidl = 'u1'") is not None

        async with store.transaction() as db:
            await db.execute("DELETE FROM messages WHERE id = ?", (row,))
        found = await pop3_sql.uidls(store.reader, account)
        assert (found["u1"].state, found["u1"].message_id) == ("stored", None)

        async with store.transaction() as db:
            await settings_sql.delete(db, account)
        assert await pop3_sql.uidls(store.reader, account) == {}
    finally:
        await store.close()


async def test_accounts_read_their_protocol_and_pop3_options(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "s.db")
    try:
        team = await build_team(store)
        imap = await settings_sql.by_id(store.reader, team.accounts["ann-mail"])
        assert imap is not None
        assert (imap.protocol, imap.delete_after_import, imap.sent_account_id,
                imap.sent_account) == ("imap", False, None, None)
        async with store.transaction() as db:
            pop = await settings_sql.insert(
                db, name="ann-pop", display_name="ann-pop", email="ann@acme.example",
                kind="personal", owner_agent_id=team.agents["ann"].id, imap_host=None,
                imap_port=None, imap_security=None, imap_username="ann", verify_cert=True,
                ca_file=None, password_command=None, check_every_minutes=5,
                import_mode="all", import_since=None, mark_read_on_import=False,
                write_read_status=False, sync_folders=["INBOX"], protocol="pop3",
                delete_after_import=True, sent_account_id=imap.id)
            # The IMAP defaults are for IMAP accounts: a POP3 one never takes them.
            await db.execute("INSERT INTO imap_defaults (id, host) VALUES (1, 'imap.acme')")
        read = await settings_sql.by_id(store.reader, pop)
        assert read is not None
        assert (read.protocol, read.delete_after_import, read.sent_account) == (
            "pop3", True, "ann-mail")
        assert read.imap_host is None and read.inherited == ()
        async with store.transaction() as db:
            await settings_sql.delete(db, imap.id)
        read = await settings_sql.by_id(store.reader, pop)
        assert read is not None and read.sent_account_id is None
    finally:
        await store.close()
