"""Account options against the real Dovecot: import modes, security, deny list,
malformed mail, read status to and from the server, wrong password."""

import asyncio
from pathlib import Path

import pytest

from engine.errors import NotFoundError
from engine.identity import os_user
from storage import deny
from tests.integration.sync_support import (
    Item,
    flag_set,
    mail,
    open_service,
    server_uids,
    spec_for,
    store_rows,
)
from tests.servers.dovecot import DovecotServer

pytestmark = pytest.mark.integration
USER = "bob@example.com"


@pytest.fixture
def bob(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


def _subjects(rows) -> set[str]:
    return {r["subject"] for r in rows}


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("all", {"old read", "old unread", "recent read", "recent unread", "after"}),
        ("unread", {"old unread", "recent unread", "after"}),
        ("since", {"recent read", "recent unread", "after"}),
        ("new-only", {"after"}),
    ],
)
async def test_import_modes(bob, tmp_path: Path, mode: str, expected: set[str]) -> None:
    from datetime import UTC, date, datetime, timedelta

    now = datetime.now(UTC)
    long_ago = now - timedelta(days=60)
    bob.append_messages(USER, [
        Item(mail("old read"), flags=("\\Seen",), when=long_ago),
        Item(mail("old unread"), when=long_ago),
        Item(mail("recent read"), flags=("\\Seen",), when=now),
        Item(mail("recent unread"), when=now),
    ])
    service, agent = await open_service(tmp_path)
    try:
        since = (date.today() - timedelta(days=7)).isoformat() if mode == "since" else None
        spec = spec_for(bob, USER, import_mode=mode, import_since=since)
        await service.add_account(agent, spec, bob.users[USER])
        first = (await service.sync(agent))[0]
        assert first.error is None
        bob.append_messages(USER, [Item(mail("after"), when=now)])
        await service.sync(agent)
        assert _subjects(await store_rows(service)) == expected
        # later passes never pull in the mail the mode left out
        await service.sync(agent)
        assert _subjects(await store_rows(service)) == expected
    finally:
        await service.close()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_security_modes(bob, tmp_path: Path, security: str) -> None:
    bob.append_messages(USER, [Item(mail("over tls"))])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER, security=security),
                                  bob.users[USER])
        result = (await service.sync(agent))[0]
        assert result.error is None and result.new == 1
    finally:
        await service.close()


async def test_untrusted_certificate_is_a_clear_error(bob, tmp_path: Path) -> None:
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER, ca_file=None), bob.users[USER])
        result = (await service.sync(agent))[0]
        assert result.error is not None and "certificate" in result.error
        health = (await service.status(agent))[0]
        assert health.last_error == result.error
    finally:
        await service.close()


async def test_wrong_password_is_recorded_and_not_leaked(bob, tmp_path: Path) -> None:
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER), "not-the-password-123")
        result = (await service.sync(agent))[0]
        assert result.auth_failed and result.error
        assert "not-the-password-123" not in result.error
        health = (await service.status(agent))[0]
        assert health.auth_failed and not health.healthy
        # a new password clears the failure and works
        await service.set_account_password(agent, "bob", bob.users[USER])
        assert (await service.sync(agent))[0].error is None
        assert not (await service.status(agent))[0].auth_failed
        # the password is not stored in clear anywhere in the database
        raw = (tmp_path / "sync.db").read_bytes() + (tmp_path / "sync.db-wal").read_bytes()
        assert bob.users[USER].encode() not in raw
    finally:
        await service.close()


async def test_password_command_is_used_and_never_stored(bob, tmp_path: Path) -> None:
    secret_file = tmp_path / "pw"
    secret_file.write_text(bob.users[USER] + "\n")
    secret_file.chmod(0o600)
    bob.append_messages(USER, [Item(mail("via command"))])
    service, agent = await open_service(tmp_path)
    try:
        spec = spec_for(bob, USER, password_command=f"cat {secret_file}")
        await service.add_account(agent, spec, None)
        assert (await service.sync(agent))[0].new == 1
        rows = await service.store.reader.fetchall("SELECT * FROM account_secrets")
        assert rows == []
    finally:
        await service.close()


async def test_denied_sender_is_not_imported(bob, tmp_path: Path) -> None:
    bob.append_messages(USER, [
        Item(mail("spam 1", sender="Pest <pest@annoying.example>")),
        Item(mail("spam 2", sender="Other <x@blocked-domain.example>")),
        Item(mail("wanted")),
    ])
    service, agent = await open_service(tmp_path)
    try:
        added = await service.add_account(agent, spec_for(bob, USER), bob.users[USER])
        async with service.store.transaction() as db:
            await deny.add(db, account_id=added.id, kind="address",
                           value="PEST@annoying.example", created_by=agent.id)
            await deny.add(db, account_id=None, kind="domain", value="blocked-domain.example",
                           created_by=agent.id)
        await service.sync(agent)
        assert _subjects(await store_rows(service)) == {"wanted"}
        # and a later pass does not fetch them again either
        await service.sync(agent)
        assert len(await store_rows(service)) == 1
    finally:
        await service.close()


async def test_malformed_message_among_good_ones(bob, tmp_path: Path) -> None:
    broken = (b"From: =?utf-8?b?!!!broken\r\nSubject: =?x-nope?q?=1b]0;owned=07?=\r\n"
              b"Date: yesterday-ish\r\nno colon in this header line\r\n"
              b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
              b"Content-Type: text/plain\r\n\r\ncut short \x1b[2J here")
    bob.append_messages(USER, [Item(mail("good 1")), Item(broken), Item(mail("good 2"))])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER), bob.users[USER])
        result = (await service.sync(agent))[0]
        assert result.error is None and result.new == 3
        listed = await service.list_by_spec(agent, "bob:INBOX")
        assert len(listed) == 3
        odd = next(m for m in listed if m.subject not in ("good 1", "good 2"))
        view = await service.open_message(agent, odd.id)
        assert "cut short" in view.text and "\x1b" not in view.text
        assert all("\x1b" not in value for _, value in view.headers)
    finally:
        await service.close()


async def test_read_status_written_back_to_the_server(bob, tmp_path: Path) -> None:
    bob.append_messages(USER, [Item(mail("to read")), Item(mail("to unread"), flags=("\\Seen",))])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER), bob.users[USER])
        await service.sync(agent)
        rows = {m.subject: m for m in await service.list_by_spec(agent, "bob:INBOX")}
        await service.set_read(agent, rows["to read"].id, True)
        await service.set_read(agent, rows["to unread"].id, False)
        # durable before any server contact
        pending = await service.store.reader.scalar(
            "SELECT count(*) FROM jobs WHERE state = 'pending'")
        assert pending == 2
        await service.sync(agent)
        remote = await server_uids(bob, USER)
        seen = {uid: "\\Seen" in flag_set(v[b"FLAGS"]) for uid, v in remote.items()}
        local = {r["uid"]: bool(r["seen"]) for r in await store_rows(service)}
        assert seen == local and sorted(seen.values()) == [False, True]
        done = await service.store.reader.scalar("SELECT count(*) FROM jobs WHERE state = 'done'")
        assert done == 2
    finally:
        await service.close()


async def test_read_status_stays_local_when_write_back_is_off(bob, tmp_path: Path) -> None:
    bob.append_messages(USER, [Item(mail("private read"))])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER, write_read_status=False),
                                  bob.users[USER])
        await service.sync(agent)
        message = (await service.list_by_spec(agent, "bob:INBOX"))[0]
        await service.set_read(agent, message.id, True)
        await service.sync(agent)
        remote = await server_uids(bob, USER)
        assert all("\\Seen" not in flag_set(v[b"FLAGS"]) for v in remote.values())
    finally:
        await service.close()


async def test_mark_read_on_server_after_import(bob, tmp_path: Path) -> None:
    bob.append_messages(USER, [Item(mail(f"new {i}")) for i in range(3)])
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER, mark_read_on_import=True),
                                  bob.users[USER])
        await service.sync(agent)
        remote = await server_uids(bob, USER)
        assert len(remote) == 3
        assert all("\\Seen" in flag_set(v[b"FLAGS"]) for v in remote.values())
        # agents still see the mail as unread: the server's \Seen means "imported" here
        rows = await store_rows(service)
        assert [bool(r["seen"]) for r in rows] == [False, False, False]
        await service.sync(agent)
        assert [bool(r["seen"]) for r in await store_rows(service)] == [False, False, False]
    finally:
        await service.close()


async def test_other_agents_cannot_touch_the_account(bob, tmp_path: Path) -> None:
    service, agent = await open_service(tmp_path)
    try:
        await service.add_account(agent, spec_for(bob, USER), bob.users[USER])
        async with service.store.transaction() as db:
            from storage import agents, gateways

            await agents.insert(db, name="mallory", os_user=None, role="agent")
            # the tests' OS user may then log in as mallory, as a gateway may
            await gateways.add(db, os_user=os_user(), added_by=None)
        mallory = await service.login("mallory")
        assert await service.account_settings(mallory) == []
        with pytest.raises(NotFoundError):
            await service.test_account(mallory, "bob")
        with pytest.raises(NotFoundError):
            await service.remove_account(mallory, "bob")
        assert await service.sync(mallory) == []
        await asyncio.sleep(0)
    finally:
        await service.close()
