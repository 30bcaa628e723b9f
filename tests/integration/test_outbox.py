"""Replies through the outbox, against a real SMTP server (aiosmtpd, STARTTLS with AUTH)
and the real Dovecot (the Sent folder): sent once, filed once, whatever fails when."""

from __future__ import annotations

import asyncio
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from engine.models import Agent, Draft, SmtpChange
from engine.sending.delivery import send_due
from engine.service import LocalService
from tests.integration.sync_support import Item, mail, open_service, spec_for
from tests.integration.test_message_actions import on_server, rows_of, synced
from tests.servers import smtp as smtp_servers
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.integration
USER = "bob@example.com"
SMTP_PASSWORD = "smtp-secret-ß"
ORIGINAL = "<question-1@customer.example>"

smtp_server_factory = smtp_servers.smtp_server_factory


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


@pytest.fixture
def smtp(smtp_server_factory: Any) -> SmtpServer:
    return smtp_server_factory("starttls", users={USER: SMTP_PASSWORD}, auth_required=True)


async def start(server: DovecotServer, smtp: SmtpServer, tmp_path: Path, *,
                password: str = SMTP_PASSWORD) -> tuple[LocalService, Agent, int]:
    """bob's mailbox with one question in INBOX, synced, sending through `smtp`; the
    question's store id."""
    server.append_messages(USER, [Item(mail("Printer on fire", message_id=ORIGINAL,
                                            body="It smokes.\nHelp!"))])
    service, agent = await open_service(tmp_path)
    await service.add_account(agent, spec_for(server, USER), server.users[USER])
    await synced(service, agent)
    await service.configure_smtp(agent, "bob", SmtpChange(
        host=smtp.host, port=smtp.port, security="starttls", username=USER,
        password=password, ca_file=str(smtp.ca_file)))
    [question] = await service.list_by_spec(agent, "bob:INBOX", limit=10)
    return service, agent, question.id


async def reply(service: LocalService, agent: Agent, question: int) -> Draft:
    draft = await service.start_draft(agent, "reply", message_id=question)
    draft = await service.save_draft(agent, draft.id, to=", ".join(draft.to), cc="",
                                     bcc="audit@example.com", subject=draft.subject,
                                     body="We are on our way.\n" + draft.body)
    return await service.send_draft(agent, draft.id)


async def make_due(service: LocalService) -> None:
    async with service.store.transaction() as db:
        await db.execute("UPDATE jobs SET next_attempt_at = '2000-01-01T00:00:00Z' "
                         "WHERE state = 'pending'")


async def test_a_reply_is_sent_once_filed_in_sent_and_joins_the_thread(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, question = await start(server, smtp, tmp_path)
    try:
        draft = await service.start_draft(agent, "reply", message_id=question)
        assert draft.to == ("Carla Customer <carla@customer.example>",)
        assert (draft.subject, draft.in_reply_to) == ("Re: Printer on fire", ORIGINAL)
        assert "wrote:\n> It smokes.\n> Help!" in draft.body
        await service.discard_draft(agent, draft.id)
        draft = queued = await reply(service, agent, question)
        assert queued.state == "queued" and smtp.received == []  # durable, not sent yet
        assert [d.id for d in await service.outbox(agent)] == [draft.id]

        await synced(service, agent)
        [got] = smtp.received
        assert got.sender == USER and got.login == USER
        assert sorted(got.recipients) == ["audit@example.com", "carla@customer.example"]
        sent = BytesParser(policy=policy.default).parsebytes(got.raw)
        assert sent["Subject"] == "Re: Printer on fire"
        assert sent["In-Reply-To"] == ORIGINAL and ORIGINAL in sent["References"]
        assert sent["Message-ID"] == draft.message_id and sent["Bcc"] is None
        assert "We are on our way." in sent.get_body(("plain",)).get_content()
        assert (await service.draft(agent, draft.id)).state == "sent"

        filed = await on_server(server, "Sent")
        assert list(filed.values()) == [draft.message_id]
        [row] = await rows_of(service, "Sent")
        assert row["uid"] == next(iter(filed)) and row["message_id"] == draft.message_id
        thread = {m.id for m in await service.list_by_spec(agent, "all", limit=50)
                  if m.thread_id == (await service.open_message(agent, question)).thread_id}
        assert thread == {question, row["id"]}

        await service.configure_folders(agent, "bob", sync=["INBOX", "Sent"])
        await synced(service, agent)
        await synced(service, agent)
        assert len(smtp.received) == 1
        assert len(await on_server(server, "Sent")) == 1
        assert len(await rows_of(service, "Sent")) == 1
    finally:
        await service.close()


async def test_a_send_while_the_server_is_down_goes_out_once_it_is_back(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, question = await start(server, smtp, tmp_path)
    try:
        smtp.stop()
        draft = await reply(service, agent, question)
        await synced(service, agent)
        waiting = await service.draft(agent, draft.id)
        assert waiting.state == "queued"
        assert waiting.error is not None and "trying again shortly" in waiting.error
        smtp.start()
        await synced(service, agent)  # not due yet: backoff
        assert smtp.received == []
        await make_due(service)
        await synced(service, agent)
        await make_due(service)
        await synced(service, agent)
        assert len(smtp.received) == 1
        assert (await service.draft(agent, draft.id)).state == "sent"
        assert len(await on_server(server, "Sent")) == 1
    finally:
        await service.close()


async def test_a_crash_between_send_and_append_files_one_copy(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    """Sent and recorded, then the process died while appending to Sent (the server got
    the APPEND, the job stayed running). The next run finds the copy by its Message-ID."""
    service, agent, question = await start(server, smtp, tmp_path)
    try:
        draft = await reply(service, agent, question)
        assert await send_due(service.store, draft.account_id) == 1
        [row] = await rows_of(service, "Sent")
        assert row["uid"] is None  # shown at once, filed on the server later
        raw = await service.store.reader.scalar("SELECT raw FROM outgoing WHERE id = ?",
                                                (draft.id,))
        async with service.store.transaction() as db:
            await db.execute("UPDATE jobs SET state = 'running' WHERE kind = 'imap.append'")

        def append_directly() -> None:
            with server.connect(USER) as client:
                client.append("Sent", bytes(raw), flags=[b"\\Seen"])

        await asyncio.to_thread(append_directly)
        await synced(service, agent)  # a new run: the running job is due again
        await synced(service, agent)
        filed = await on_server(server, "Sent")
        assert list(filed.values()) == [draft.message_id]
        [row] = await rows_of(service, "Sent")
        assert row["uid"] == next(iter(filed))
        assert len(smtp.received) == 1
    finally:
        await service.close()


async def test_a_refused_password_fails_the_message_with_what_to_do(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, question = await start(server, smtp, tmp_path, password="wrong")
    try:
        draft = await reply(service, agent, question)
        await synced(service, agent)
        failed = await service.draft(agent, draft.id)
        assert failed.state == "failed" and failed.error is not None
        assert "password" in failed.error and "wrong" not in failed.error
        await make_due(service)
        await synced(service, agent)  # not retried
        assert smtp.received == []
        assert await on_server(server, "Sent") == {}
        again = await service.reopen_draft(agent, draft.id)
        assert again.state == "draft" and again.body == failed.body
    finally:
        await service.close()
