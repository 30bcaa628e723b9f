"""A shared mailbox against the real Dovecot and a real SMTP server: a reply one member
sends (and its copy in Sent) is in the thread for every member, and for nobody else."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from engine.errors import NotFoundError
from engine.listing import Listing
from engine.models import Agent, SmtpChange
from engine.service import LocalService
from storage import agents
from tests.integration.sync_support import Item, mail, server_uids, spec_for
from tests.servers import smtp as smtp_servers
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.integration
SUPPORT = "support@example.com"
SMTP_PASSWORD = "smtp-secret-support"
QUESTION = "<invoice-7@customer.example>"

smtp_server_factory = smtp_servers.smtp_server_factory


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(SUPPORT)
    return dovecot


@pytest.fixture
def smtp(smtp_server_factory: Any) -> SmtpServer:
    return smtp_server_factory("starttls", users={SUPPORT: SMTP_PASSWORD}, auth_required=True)


async def engine_pass(service: LocalService, admin: Agent) -> None:
    """One pass of the admin's engine: it runs the shared account, though the admin is
    not listed on it."""
    [result] = await service.sync(admin)
    assert (result.account, result.error) == ("support", None)


async def thread_of(service: LocalService, agent: Agent, thread_id: int) -> set[int]:
    rows = await service.list_listing(agent, Listing(scope="all"), limit=100)
    return {m.id for m in rows if m.thread_id == thread_id}


async def sent_on_server(server: DovecotServer) -> list[bytes]:
    return [next(v for k, v in values.items() if k.startswith(b"BODY[HEADER"))
            for values in (await server_uids(server, SUPPORT, "Sent")).values()]


async def test_a_reply_from_a_shared_mailbox_is_in_the_thread_for_every_member(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    server.append_messages(SUPPORT, [Item(mail("Invoice 7 is wrong", message_id=QUESTION,
                                                to=SUPPORT, body="Please fix it."))])
    service = await LocalService.open(tmp_path / "shared.db")
    try:
        admin = await service.login("admin")  # the store's first agent: an admin
        async with service.store.transaction() as db:
            alice, bob, carol = [await agents.insert(db, name=n, os_user=None, role="agent")
                                 for n in ("alice", "bob", "carol")]
        await service.add_account(admin, spec_for(server, SUPPORT, name="support",
                                                  shared=True, display_name="Support"),
                                  server.users[SUPPORT])
        await service.share_account(admin, "support", agent_names=["alice", "bob"])
        await service.configure_smtp(admin, "support", SmtpChange(
            host=smtp.host, port=smtp.port, security="starttls", username=SUPPORT,
            password=SMTP_PASSWORD, ca_file=str(smtp.ca_file)))
        await engine_pass(service, admin)

        [question] = await service.list_by_spec(alice, "support:INBOX", limit=10)
        draft = await service.start_draft(alice, "reply", message_id=question.id)
        draft = await service.save_draft(alice, draft.id, to=", ".join(draft.to), cc="",
                                         bcc="", subject=draft.subject,
                                         body="Fixed, sorry.\n" + draft.body)
        sent = await service.send_draft(alice, draft.id)
        await engine_pass(service, admin)

        # Out through SMTP once, from the shared address, and filed in its Sent.
        [got] = smtp.received
        message = BytesParser(policy=policy.default).parsebytes(got.raw)
        assert got.sender == SUPPORT and message["In-Reply-To"] == QUESTION
        assert message["Message-ID"] == sent.message_id
        [filed] = await sent_on_server(server)
        assert sent.message_id is not None and sent.message_id.encode() in filed

        thread_id = (await service.open_message(bob, question.id)).thread_id
        assert thread_id is not None
        bobs_thread = await thread_of(service, bob, thread_id)
        assert question.id in bobs_thread and len(bobs_thread) == 2
        [reply_id] = bobs_thread - {question.id}
        seen = await service.open_message(bob, reply_id)
        assert seen.subject == "Re: Invoice 7 is wrong"
        assert "Fixed, sorry." in seen.text
        [conversation] = await service.list_listing(bob, Listing(scope="all", threads=True))
        assert (conversation.thread_id, conversation.thread_count) == (thread_id, 2)
        assert await thread_of(service, alice, thread_id) == bobs_thread

        # Syncing Sent brings the server's copy: still one reply in the thread.
        await service.configure_folders(admin, "support", sync=["INBOX", "Sent"])
        await engine_pass(service, admin)
        await engine_pass(service, admin)
        assert await thread_of(service, bob, thread_id) == bobs_thread
        [copy] = await service.list_by_spec(bob, "support:Sent", limit=10)
        assert copy.id == reply_id and len(smtp.received) == 1

        # carol is not listed: neither the question nor the reply exists for her.
        assert await service.list_listing(carol, Listing(scope="all")) == []
        assert await service.list_listing(carol, Listing(scope="all", threads=True)) == []
        for message_id in (question.id, reply_id):
            with pytest.raises(NotFoundError):
                await service.open_message(carol, message_id)
        assert "support" not in {a.name for a in await service.list_accounts(carol)}
    finally:
        await service.close()
