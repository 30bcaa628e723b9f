"""POP3 accounts against Dovecot's real POP3 service (the same mailboxes over IMAP let
the tests deliver mail and look at what the server holds): imports, UIDL
de-duplication, leave-on-server and delete-after-import, a crash at every step that
matters, TLS, a refused password, hostile and blocked mail, rules, local-only actions,
and Sent copies filed in an IMAP account."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import pytest

from engine.accounts import AccountSpec
from engine.errors import InvalidInputError
from engine.listing import Listing
from engine.models import Agent, Rule, RuleCondition, SmtpChange
from engine.pop3 import sync as pop3_sync
from engine.pop3.client import Pop3ConnectError, Pop3Session
from engine.service import LocalService
from engine.sync.account import AccountResult
from engine.sync.progress import SyncEvent
from storage.raw_codec import decompress
from tests.integration.sync_support import Item, mail, open_service, spec_for
from tests.servers import smtp as smtp_servers
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.integration
BOB = "bob@example.com"
CARLA = "Carla Customer <carla@customer.example>"

smtp_server_factory = smtp_servers.smtp_server_factory

# A mailer that writes broken headers: an encoded word that never ends, an impossible
# date, a line without a colon, and a multipart cut off without its closing delimiter.
MALFORMED = (
    b"From: Legacy ERP <erp@legacy.example>\r\n"
    b"To: bob@example.com\r\n"
    b"Message-ID: <malformed-1@legacy.example>\r\n"
    b"Subject: =?UTF-8?B?UmVjaG51bmcgZsO8ciBPa3RvYmVy\r\n"
    b"Date: Mon, 32 Foo 2026 25:61:00 +9999\r\n"
    b"this line has no colon and breaks the header block\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="cut"\r\n'
    b"\r\n"
    b"--cut\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Rechnung anbei: \xc3\xbc\xff\xfe bad bytes\r\n"
    b"--cut\r\n"
    b"Content-Type: application/pdf\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK%%%not base64\r\n"
)


def pop3_spec(server: DovecotServer, *, name: str = "bob", security: str = "ssl",
              **changes: Any) -> AccountSpec:
    assert server.pop3_port is not None and server.pop3_ssl_port is not None
    values: dict[str, Any] = dict(
        name=name, email=BOB, protocol="pop3", imap_host=server.host,
        imap_port=server.pop3_ssl_port if security == "ssl" else server.pop3_port,
        security=security, ca_file=str(server.cafile))
    values.update(changes)
    return AccountSpec(**values)


async def pop3_mailbox(server: DovecotServer, tmp: Path, **changes: Any
                       ) -> tuple[LocalService, Agent]:
    service, agent = await open_service(tmp)
    await service.add_account(agent, pop3_spec(server, **changes), server.users[BOB])
    return service, agent


def deliver(server: DovecotServer, *raws: bytes) -> None:
    server.append_messages(BOB, [Item(raw, when=datetime.now(UTC)) for raw in raws])


async def synced(service: LocalService, agent: Agent, account: str | None = None
                 ) -> list[AccountResult]:
    results = await service.sync(agent, account=account)
    for result in results:
        assert result.error is None, result.error
    return results


async def stored(service: LocalService, account: str = "bob") -> list[Any]:
    """The account's INBOX rows by UID: uid, message_id, subject, seen, flagged."""
    return await service.store.reader.fetchall(
        "SELECT m.id, m.uid, m.uidvalidity, m.message_id, m.subject, m.seen, m.flagged, "
        "m.parse_error, m.deleted FROM messages m JOIN folders f ON f.id = m.folder_id "
        "JOIN accounts a ON a.id = m.account_id WHERE a.name = ? AND f.name = 'INBOX' "
        "ORDER BY m.uid", (account,))


async def uidl_rows(service: LocalService) -> dict[str, Any]:
    rows = await service.store.reader.fetchall(
        "SELECT uidl, state, message_id, deleted_on_server, imported_at FROM pop3_uidls")
    return {r["uidl"]: r for r in rows}


async def on_server(server: DovecotServer) -> list[str]:
    """The Message-IDs in bob's maildrop, in order, read over IMAP."""

    def read() -> list[str]:
        with server.connect(BOB) as client:
            client.select_folder("INBOX", readonly=True)
            uids = client.search("ALL")
            if not uids:
                return []
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
            out = []
            for uid in sorted(fetched):
                header = fetched[uid][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode()
                out.append(header.split(":", 1)[1].strip())
            return out

    return await asyncio.to_thread(read)


async def jobs(service: LocalService) -> list[tuple[str, str]]:
    """(account, kind) of every IMAP job ever queued."""
    rows = await service.store.reader.fetchall(
        "SELECT a.name, j.kind FROM jobs j JOIN accounts a ON a.id = j.account_id "
        "WHERE j.kind LIKE 'imap.%' ORDER BY j.id")
    return [(r[0], r[1]) for r in rows]


def flag_rule(name: str, word: str) -> Rule:
    return Rule(id=0, account_id=0, account="bob", name=name, kind="filter", active=True,
                position=0, conditions=(RuleCondition("subject", "contains", word),),
                actions=("flag",))


# -- importing --------------------------------------------------------------------------------


async def test_first_sync_imports_everything_and_then_only_new_mail_once(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, *(mail(f"Question {n}", body=f"printer number {n}")
                            for n in range(5)))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    try:
        [result] = await synced(service, agent)
        assert result.new == 5
        rows = await stored(service)
        assert [r["message_id"] for r in rows] == await on_server(dovecot_pop3)
        assert [r["uid"] for r in rows] == [1, 2, 3, 4, 5]
        assert {r["uidvalidity"] for r in rows} == {pop3_sync.UIDVALIDITY}
        uidls = await uidl_rows(service)
        assert set(uidls) == set(await asyncio.to_thread(dovecot_pop3.pop3_uidls, BOB))
        assert {(u["state"], u["deleted_on_server"]) for u in uidls.values()} == {("stored", 0)}
        assert {u["message_id"] for u in uidls.values()} == {r["id"] for r in rows}

        [again] = await synced(service, agent)
        assert again.new == 0 and len(await stored(service)) == 5

        deliver(dovecot_pop3, mail("Question 5"), mail("Question 6"))
        [later] = await synced(service, agent)
        assert later.new == 2
        rows = await stored(service)
        assert [r["message_id"] for r in rows] == await on_server(dovecot_pop3)
        assert [r["uid"] for r in rows] == list(range(1, 8))
        # Leave on server (the default): everything is still there.
        assert len(await asyncio.to_thread(dovecot_pop3.pop3_uidls, BOB)) == 7

        # The store sees an ordinary inbox: listing, unified inbox, search, reading.
        listed = await service.list_by_spec(agent, "bob:INBOX", limit=50)
        assert sorted(m.subject for m in listed) == [f"Question {n}" for n in range(7)]
        unified = await service.list_by_spec(agent, "unified:inbox", limit=50)
        assert len(unified) == 7
        found = await service.list_listing(agent, Listing(scope="bob:INBOX",
                                                          query="number 3"))
        assert [m.subject for m in found] == ["Question 3"]
        opened = await service.open_message(agent, found[0].id)
        assert "printer number 3" in opened.text
        [health] = await service.status(agent)
        assert health.messages == 7 and health.last_error is None
    finally:
        await service.close()


async def test_delete_after_import_empties_the_server_and_new_mail_follows(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, *(mail(f"Order {n}") for n in range(3)))
    before = await on_server(dovecot_pop3)
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path, delete_after_import=True)
    try:
        [result] = await synced(service, agent)
        assert result.new == 3
        assert [r["message_id"] for r in await stored(service)] == before
        assert await on_server(dovecot_pop3) == []
        assert {u["deleted_on_server"] for u in (await uidl_rows(service)).values()} == {1}

        deliver(dovecot_pop3, mail("Order 3"))
        [later] = await synced(service, agent)
        assert later.new == 1 and len(await stored(service)) == 4
        assert await on_server(dovecot_pop3) == []
        [again] = await synced(service, agent)
        assert again.new == 0 and len(await stored(service)) == 4
    finally:
        await service.close()


async def test_a_crash_between_store_and_delete_converges(
    dovecot_pop3: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The messages are committed; the connection dies during the DELE commands, after
    one was accepted. No QUIT: the server deletes nothing. The next pass imports nothing
    twice and deletes them all."""
    deliver(dovecot_pop3, *(mail(f"Invoice {n}") for n in range(3)))
    before = await on_server(dovecot_pop3)
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path, delete_after_import=True)
    real_delete = Pop3Session.delete
    calls = 0

    async def flaky_delete(self: Pop3Session, number: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Pop3ConnectError("connection to the server lost (test)")
        await real_delete(self, number)

    monkeypatch.setattr(Pop3Session, "delete", flaky_delete)
    try:
        [failed] = await service.sync(agent)
        assert failed.error is not None and "lost (test)" in failed.error
        assert not failed.auth_failed
        assert [r["message_id"] for r in await stored(service)] == before
        assert await on_server(dovecot_pop3) == before  # DELE without QUIT deletes nothing
        [settings] = await service.account_settings(agent)
        assert settings.last_error == failed.error

        [result] = await synced(service, agent)
        assert result.new == 0
        assert [r["message_id"] for r in await stored(service)] == before
        assert await on_server(dovecot_pop3) == []
        [settings] = await service.account_settings(agent)
        assert settings.last_error is None
    finally:
        await service.close()


async def test_a_crash_during_the_first_import_finishes_it_without_running_rules(
    dovecot_pop3: DovecotServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Old mail is never new mail: a first import cut short by a lost connection is
    finished by the next pass, and the rules still leave that mail alone."""
    deliver(dovecot_pop3, *(mail(f"urgent old {n}") for n in range(5)))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    monkeypatch.setattr(pop3_sync, "BATCH_MESSAGES", 2)
    real_retrieve = Pop3Session.retrieve
    calls = 0

    async def flaky_retrieve(self: Pop3Session, number: int) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise Pop3ConnectError("connection to the server lost (test)")
        return await real_retrieve(self, number)

    try:
        await service.save_rule(agent, flag_rule("urgent", "urgent"))
        monkeypatch.setattr(Pop3Session, "retrieve", flaky_retrieve)
        [failed] = await service.sync(agent)
        assert failed.error is not None
        assert len(await stored(service)) == 2
        states = sorted(u["state"] for u in (await uidl_rows(service)).values())
        assert states == ["pending"] * 3 + ["stored"] * 2

        deliver(dovecot_pop3, mail("urgent new"))
        await synced(service, agent)
        rows = await stored(service)
        assert [r["message_id"] for r in rows] == await on_server(dovecot_pop3)
        flagged = {r["subject"] for r in rows if r["flagged"]}
        assert flagged == {"urgent new"}
        assert await jobs(service) == []  # flags stay in the store: POP3 has none
    finally:
        await service.close()


@pytest.mark.parametrize("security", ["ssl", "starttls", "none"])
async def test_each_security_mode_tests_and_syncs(
    dovecot_pop3: DovecotServer, tmp_path: Path, security: str
) -> None:
    deliver(dovecot_pop3, mail("Over TLS"), mail("And again"))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path, security=security)
    try:
        report = await service.test_account(agent, "bob")
        assert (report.security, report.username) == (security, BOB)
        assert report.protocol == "pop3"
        assert getattr(report, "messages", None) == 2
        assert any(c.startswith("UIDL") for c in report.capabilities)
        [result] = await synced(service, agent)
        assert result.new == 2
    finally:
        await service.close()


async def test_starttls_refuses_an_untrusted_certificate(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path, security="starttls",
                                        ca_file=None)
    try:
        [result] = await service.sync(agent)
        assert result.error is not None and "not trusted" in result.error
        assert "--ca-file" in result.error and not result.auth_failed
    finally:
        await service.close()


async def test_a_wrong_password_is_one_clear_error_and_stops_retrying(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, mail("Locked out"))
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, pop3_spec(dovecot_pop3), "not-the-password")
        [result] = await service.sync(agent)
        assert result.auth_failed and result.error is not None
        assert "refused the password for bob@example.com" in result.error
        assert "\n" not in result.error and "not-the-password" not in result.error
        [health] = await service.status(agent)
        assert health.last_error == result.error and health.auth_failed
        assert await stored(service) == []

        # Staying up, it says it stops, and does not knock again.
        events: list[SyncEvent] = []
        stop = asyncio.Event()

        def progress(event: SyncEvent) -> None:
            events.append(event)
            if event.event == "error" and "not retrying" in (event.message or ""):
                stop.set()

        await asyncio.wait_for(service.sync(agent, once=False, stop=stop, progress=progress),
                               20)
        [said] = [e.message for e in events if e.event == "error" and "not retrying"
                  in (e.message or "")]
        assert said is not None and "until the password is changed" in said

        await service.set_account_password(agent, "bob", dovecot_pop3.users[BOB])
        [fixed] = await synced(service, agent)
        assert fixed.new == 1
        [health] = await service.status(agent)
        assert health.last_error is None and not health.auth_failed
    finally:
        await service.close()


async def test_a_malformed_message_among_good_ones_is_kept_raw_and_shown(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, mail("Before"), MALFORMED, mail("After"))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    try:
        [result] = await synced(service, agent)
        assert result.new == 3
        rows = await stored(service)
        assert [r["message_id"] for r in rows][1] == "<malformed-1@legacy.example>"
        raw = await service.store.reader.scalar(
            "SELECT data FROM message_raw WHERE message_id = ?", (rows[1]["id"],))
        codec = await service.store.reader.scalar(
            "SELECT compression FROM message_raw WHERE message_id = ?", (rows[1]["id"],))
        assert decompress(codec, bytes(raw)) == MALFORMED
        listed = {m.id for m in await service.list_by_spec(agent, "bob:INBOX", limit=10)}
        assert listed == {r["id"] for r in rows}
        opened = await service.open_message(agent, rows[1]["id"])
        assert "Rechnung anbei" in opened.text
    finally:
        await service.close()


async def test_new_only_imports_nothing_at_first_then_new_mail(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, *(mail(f"Old {n}") for n in range(3)))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path, import_mode="new-only",
                                        delete_after_import=True)
    try:
        [first] = await synced(service, agent)
        assert first.new == 0 and await stored(service) == []
        assert [u["state"] for u in (await uidl_rows(service)).values()] == ["skipped"] * 3
        deliver(dovecot_pop3, mail("Fresh"))
        [later] = await synced(service, agent)
        assert later.new == 1
        assert [r["subject"] for r in await stored(service)] == ["Fresh"]
        # Only what was imported is deleted: the old mail stays on the server.
        assert len(await on_server(dovecot_pop3)) == 3
    finally:
        await service.close()


async def test_since_imports_by_the_date_header_and_all_new_mail(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, mail("Ancient", days_ago=60), mail("Recent", days_ago=2),
            mail("Older", days_ago=30))
    since = (date.today() - timedelta(days=10)).isoformat()
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path, import_mode="since",
                                        import_since=since)
    try:
        await synced(service, agent)
        assert [r["subject"] for r in await stored(service)] == ["Recent"]
        deliver(dovecot_pop3, mail("Late but old-dated", days_ago=90))
        await synced(service, agent)
        assert [r["subject"] for r in await stored(service)] == ["Recent",
                                                                 "Late but old-dated"]
    finally:
        await service.close()


async def test_a_blocked_sender_is_not_imported_and_its_mail_stays_on_the_server(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path, delete_after_import=True)
    try:
        await service.block(agent, "domain", "spam.example", account="bob")
        deliver(dovecot_pop3, mail("Buy now", sender="Spammer <deals@spam.example>"),
                mail("Real question"))
        spam_id = (await on_server(dovecot_pop3))[0]
        [result] = await synced(service, agent)
        assert result.new == 1
        assert [r["subject"] for r in await stored(service)] == ["Real question"]
        assert sorted(u["state"] for u in (await uidl_rows(service)).values()) == [
            "denied", "stored"]
        assert await on_server(dovecot_pop3) == [spam_id]
        [again] = await synced(service, agent)
        assert again.new == 0 and len(await stored(service)) == 1
    finally:
        await service.close()


# -- acting on POP3 mail -----------------------------------------------------------------------


async def test_read_flag_delete_and_rules_stay_in_the_store(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, mail("urgent old"), mail("Plain old"))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    try:
        await service.save_rule(agent, flag_rule("urgent", "urgent"))
        await synced(service, agent)
        deliver(dovecot_pop3, mail("urgent new"))
        await synced(service, agent)
        rows = {r["subject"]: r for r in await stored(service)}
        assert {s for s, r in rows.items() if r["flagged"]} == {"urgent new"}

        plain = rows["Plain old"]["id"]
        await service.set_read(agent, plain, True)
        await service.set_flagged(agent, plain, True)
        removed = await service.delete_message(agent, rows["urgent old"]["id"])
        assert removed.job_id is None
        with pytest.raises(InvalidInputError, match="inbox only"):
            await service.archive_message(agent, plain)
        assert await jobs(service) == []
        rows = {r["subject"]: r for r in await stored(service)}
        assert rows["Plain old"]["seen"] and rows["Plain old"]["flagged"]
        listed = {m.subject for m in await service.list_by_spec(agent, "bob:INBOX")}
        assert listed == {"Plain old", "urgent new"}

        await synced(service, agent)  # the deleted one is known: not imported again
        listed = {m.subject for m in await service.list_by_spec(agent, "bob:INBOX")}
        assert listed == {"Plain old", "urgent new"}
        assert len(await on_server(dovecot_pop3)) == 3
        restored = await service.restore_message(agent, rows["urgent old"]["id"])
        assert restored.job_id is None
        listed = {m.subject for m in await service.list_by_spec(agent, "bob:INBOX")}
        assert listed == {"Plain old", "urgent new", "urgent old"}
        assert await jobs(service) == []
    finally:
        await service.close()


async def reply_to(service: LocalService, agent: Agent, message_id: int) -> int:
    draft = await service.start_draft(agent, "reply", message_id=message_id)
    draft = await service.save_draft(agent, draft.id, to=", ".join(draft.to), cc="", bcc="",
                                     subject=draft.subject, body="On its way.\n" + draft.body)
    return (await service.send_draft(agent, draft.id)).id


async def sent_folder(server: DovecotServer, user: str) -> list[str]:
    def read() -> list[str]:
        with server.connect(user) as client:
            client.select_folder("Sent", readonly=True)
            uids = client.search("ALL")
            fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"]) if uids \
                else {}
            return [fetched[u][b"BODY[HEADER.FIELDS (MESSAGE-ID)]"].decode().split(":", 1)[1]
                    .strip() for u in sorted(fetched)]

    return await asyncio.to_thread(read)


async def test_a_reply_files_its_sent_copy_in_the_chosen_imap_account(
    dovecot_pop3: DovecotServer, smtp_server_factory: Any, tmp_path: Path
) -> None:
    smtp: SmtpServer = smtp_server_factory("none")
    question = make_msgid(domain="customer.example")
    deliver(dovecot_pop3, mail("Where is my parcel?", sender=CARLA, message_id=question))
    service, agent = await open_service(tmp_path)
    try:
        # The same person's IMAP mailbox, synced for its Sent folder.
        await service.add_account(agent, spec_for(dovecot_pop3, BOB, name="bob-imap",
                                                  folders=("Sent",)),
                                  dovecot_pop3.users[BOB])
        await synced(service, agent, "bob-imap")
        await service.add_account(agent, pop3_spec(dovecot_pop3, name="bob-pop",
                                                   sent_to="bob-imap"),
                                  dovecot_pop3.users[BOB])
        [settings] = [a for a in await service.account_settings(agent) if a.name == "bob-pop"]
        assert settings.sent_account == "bob-imap"
        await service.configure_smtp(agent, "bob-pop", SmtpChange(
            host=smtp.host, port=smtp.port, security="none", no_auth=True))
        await synced(service, agent, "bob-pop")
        [row] = await stored(service, "bob-pop")

        draft_id = await reply_to(service, agent, row["id"])
        await synced(service, agent, "bob-pop")  # sends, files the copy, queues APPEND
        [got] = smtp.received
        draft = await service.draft(agent, draft_id)
        assert draft.state == "sent" and got.sender == BOB
        assert await jobs(service) == [("bob-imap", "imap.append")]
        await synced(service, agent, "bob-imap")  # the IMAP account files it
        assert await sent_folder(dovecot_pop3, BOB) == [draft.message_id]
        copies = await service.store.reader.fetchall(
            "SELECT a.name, m.uid FROM messages m JOIN folders f ON f.id = m.folder_id "
            "JOIN accounts a ON a.id = m.account_id WHERE m.message_id = ?",
            (draft.message_id,))
        assert [c[0] for c in copies] == ["bob-imap"] and copies[0][1] is not None
        opened = await service.open_message(agent, row["id"])
        thread = [m for m in await service.list_by_spec(agent, "all", limit=50)
                  if m.thread_id == opened.thread_id]
        assert len(thread) == 2  # the question and the Sent copy are one conversation
    finally:
        await service.close()


async def test_without_a_sent_account_the_copy_is_filed_nowhere(
    dovecot_pop3: DovecotServer, smtp_server_factory: Any, tmp_path: Path
) -> None:
    smtp: SmtpServer = smtp_server_factory("none")
    deliver(dovecot_pop3, mail("Hello there", sender=CARLA))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    try:
        await service.configure_smtp(agent, "bob", SmtpChange(
            host=smtp.host, port=smtp.port, security="none", no_auth=True))
        await synced(service, agent)
        [row] = await stored(service)
        draft_id = await reply_to(service, agent, row["id"])
        await synced(service, agent)
        assert len(smtp.received) == 1
        assert (await service.draft(agent, draft_id)).state == "sent"
        assert await jobs(service) == []
        assert len(await service.store.reader.fetchall("SELECT id FROM messages")) == 1
        assert await sent_folder(dovecot_pop3, BOB) == []
    finally:
        await service.close()


async def test_staying_up_polls_a_pop3_account(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    deliver(dovecot_pop3, mail("First"))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    stop = asyncio.Event()
    passes: list[SyncEvent] = []
    done = asyncio.Event()

    def progress(event: SyncEvent) -> None:
        passes.append(event)
        if event.event == "account_done":
            done.set()

    task = asyncio.create_task(service.sync(agent, once=False, stop=stop, progress=progress))
    try:
        await asyncio.wait_for(done.wait(), 10)
        assert [r["subject"] for r in await stored(service)] == ["First"]
        done.clear()
        deliver(dovecot_pop3, mail("Second"))
        await service.request_sync(agent)  # "sync now"; else the check interval
        await asyncio.wait_for(done.wait(), 10)
        assert [r["subject"] for r in await stored(service)] == ["First", "Second"]
        assert [e for e in passes if e.event == "error"] == []
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        await service.close()


async def test_doctor_logs_in_to_a_pop3_account_and_names_a_refused_password(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    """`frontdesk doctor` checks a POP3 account's login over POP3 (never IMAP), and
    leaves the clock to servers it can ask; a refused password says how to replace it."""
    deliver(dovecot_pop3, mail("Waiting on the server"))
    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    try:
        report = await service.doctor(agent, account="bob")
        login = {c.id: c for c in report.checks if c.account == "bob"}["account.login"]
        assert login.status == "ok", login.detail
        assert "POP3" in login.detail and "1 messages on the server" in login.detail

        await service.set_account_password(agent, "bob", "not the password")
        report = await service.doctor(agent, account="bob")
        login = {c.id: c for c in report.checks if c.account == "bob"}["account.login"]
        assert login.status == "fail"
        assert "frontdesk account password bob --password-stdin" in login.detail
        assert report.failed
    finally:
        await service.close()


async def test_account_set_keeps_what_pop3_cannot_do_out(
    dovecot_pop3: DovecotServer, tmp_path: Path
) -> None:
    """Changing a POP3 account later gets the checks adding it got: no read status on the
    server, no unread import; its server and check interval change as for IMAP."""
    from engine.account_edit import AccountChange

    service, agent = await pop3_mailbox(dovecot_pop3, tmp_path)
    try:
        for change, says in (
            (AccountChange(mark_read_on_import=True), "POP3 keeps no read status"),
            (AccountChange(write_read_status=True), "POP3 keeps no read status"),
            (AccountChange(import_mode="unread"), "--import unread"),
            (AccountChange(imap_host=""), "a POP3 account needs --host"),
        ):
            with pytest.raises(InvalidInputError, match=says):
                await service.change_account(agent, "bob", change)
        changed = await service.change_account(agent, "bob",
                                               AccountChange(check_every_minutes=7))
        assert (changed.protocol, changed.check_every_minutes) == ("pop3", 7)
    finally:
        await service.close()
