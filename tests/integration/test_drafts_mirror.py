"""Drafts mirrored to the real Dovecot's Drafts folder: one copy, always the latest, \\Draft
and \\Seen; gone once the draft is sent or discarded; one copy again after a run that
stopped between the APPEND and the delete."""

from __future__ import annotations

import asyncio
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from engine.jobs import draft_mirror
from engine.models import Agent, Draft
from engine.service import LocalService
from tests.integration.sync_support import flag_set
from tests.integration.test_message_actions import on_server, synced
from tests.integration.test_outbox import SMTP_PASSWORD, USER, make_due, start
from tests.servers import smtp as smtp_servers
from tests.servers.dovecot import DovecotServer
from tests.servers.smtp import SmtpServer

pytestmark = pytest.mark.integration

smtp_server_factory = smtp_servers.smtp_server_factory


@pytest.fixture
def server(dovecot: DovecotServer) -> DovecotServer:
    dovecot.reset_user(USER)
    return dovecot


@pytest.fixture
def smtp(smtp_server_factory: Any) -> SmtpServer:
    return smtp_server_factory("starttls", users={USER: SMTP_PASSWORD}, auth_required=True)


async def in_drafts(server: DovecotServer) -> list[tuple[set[str], str, str]]:
    """(flags, Message-ID, plain body) of every message in bob's Drafts, by UID."""
    def read() -> list[tuple[set[str], str, str]]:
        with server.connect(USER) as client:
            client.select_folder("Drafts", readonly=True)
            uids = client.search("ALL")
            data = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
        found = []
        for uid in sorted(data):
            message = BytesParser(policy=policy.default).parsebytes(data[uid][b"BODY[]"])
            body = message.get_body(("plain",))
            text = body.get_content() if body is not None else ""
            found.append((flag_set(data[uid][b"FLAGS"]), str(message["Message-ID"]), text))
        return found

    return await asyncio.to_thread(read)


async def new_draft(service: LocalService, agent: Agent, body: str) -> Draft:
    draft = await service.start_draft(agent, "new", account="bob")
    return await save(service, agent, draft, body)


async def save(service: LocalService, agent: Agent, draft: Draft, body: str) -> Draft:
    return await service.save_draft(agent, draft.id, to="carla@customer.example", cc="",
                                     bcc="", subject="Quote", body=body)


async def mirror_jobs(service: LocalService) -> list[Any]:
    return await service.store.reader.fetchall(
        "SELECT * FROM jobs WHERE kind = 'imap.draft' ORDER BY id")


async def test_a_mirrored_draft_has_one_copy_that_follows_each_save(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, _ = await start(server, smtp, tmp_path)
    try:
        setting = await service.set_drafts_mirror(agent, "bob", True)
        assert (setting.on, setting.drafts_folder) == (True, "Drafts")
        draft = await new_draft(service, agent, "First words.")
        assert len(await mirror_jobs(service)) == 1  # started and saved: one job waits
        await synced(service, agent)
        [(flags, message_id, text)] = await in_drafts(server)
        assert {"\\Draft", "\\Seen"} <= flags
        assert message_id == draft.message_id and text.startswith("First words.")

        await save(service, agent, draft, "Second thoughts.")
        await synced(service, agent)
        [(flags, message_id, text)] = await in_drafts(server)
        assert message_id == draft.message_id and text.startswith("Second thoughts.")
        assert {"\\Draft", "\\Seen"} <= flags and "\\Deleted" not in flags

        await synced(service, agent)  # nothing new: nothing changes
        assert len(await in_drafts(server)) == 1
        assert {j["state"] for j in await mirror_jobs(service)} == {"done"}
    finally:
        await service.close()


async def test_a_run_stopped_between_append_and_delete_converges_to_one_copy(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, agent, _ = await start(server, smtp, tmp_path)
    try:
        await service.set_drafts_mirror(agent, "bob", True)
        draft = await new_draft(service, agent, "Version one.")
        await synced(service, agent)
        await save(service, agent, draft, "Version two.")

        def stopped(*args: Any, **kwargs: Any) -> str:
            raise RuntimeError("the process died here")

        monkeypatch.setattr(draft_mirror.ops, "expunge_uids", stopped)
        await synced(service, agent)
        copies = await in_drafts(server)
        assert [text.splitlines()[0] for _, _, text in copies] == ["Version one.",
                                                                   "Version two."]
        [*_, job] = await mirror_jobs(service)
        assert job["state"] == "pending" and "process died" in job["last_error"]

        monkeypatch.undo()
        await save(service, agent, draft, "Version three.")  # rides on the waiting job
        assert len(await mirror_jobs(service)) == 2
        await make_due(service)
        await synced(service, agent)
        [(flags, message_id, text)] = await in_drafts(server)
        assert message_id == draft.message_id and text.startswith("Version three.")
        assert "\\Deleted" not in flags
    finally:
        await service.close()


async def test_sending_takes_the_copy_out_of_drafts_and_files_it_in_sent(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, _ = await start(server, smtp, tmp_path)
    try:
        await service.set_drafts_mirror(agent, "bob", True)
        draft = await new_draft(service, agent, "Here is the quote.")
        await synced(service, agent)
        assert len(await in_drafts(server)) == 1
        await service.send_draft(agent, draft.id)
        await synced(service, agent)
        assert len(smtp.received) == 1
        assert await in_drafts(server) == []
        assert list((await on_server(server, "Sent")).values()) == [draft.message_id]
    finally:
        await service.close()


async def test_discarding_takes_the_copy_out_of_drafts(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, _ = await start(server, smtp, tmp_path)
    try:
        await service.set_drafts_mirror(agent, "bob", True)
        draft = await new_draft(service, agent, "Never mind.")
        await synced(service, agent)
        assert len(await in_drafts(server)) == 1
        await service.discard_draft(agent, draft.id)
        # A new draft may be given the discarded one's id: its copy is its own.
        other = await new_draft(service, agent, "Another try.")
        await synced(service, agent)
        [(_, message_id, text)] = await in_drafts(server)
        assert message_id == other.message_id and text.startswith("Another try.")
        await service.discard_draft(agent, other.id)
        await synced(service, agent)
        assert await in_drafts(server) == []
    finally:
        await service.close()


async def test_without_the_mirror_nothing_goes_to_drafts_and_turning_it_off_cleans_up(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, _ = await start(server, smtp, tmp_path)
    try:
        assert not (await service.drafts_mirror(agent, "bob")).on
        kept = await new_draft(service, agent, "Only here.")
        await synced(service, agent)
        assert await in_drafts(server) == [] and await mirror_jobs(service) == []

        await service.set_drafts_mirror(agent, "bob", True)  # open drafts are mirrored
        await synced(service, agent)
        assert [m for _, m, _ in await in_drafts(server)] == [kept.message_id]
        await service.set_drafts_mirror(agent, "bob", False)  # and taken out again
        await synced(service, agent)
        assert await in_drafts(server) == []
        await save(service, agent, kept, "Still only here.")
        await synced(service, agent)
        assert await in_drafts(server) == []
    finally:
        await service.close()


async def test_no_drafts_folder_ends_the_job_with_a_note(
    server: DovecotServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    service, agent, _ = await start(server, smtp, tmp_path)
    try:
        await service.configure_folders(agent, "bob", roles={"Drafts": None})
        setting = await service.set_drafts_mirror(agent, "bob", True)
        assert setting.drafts_folder is None
        draft = await new_draft(service, agent, "Nowhere to go.")
        await synced(service, agent)
        [job] = await mirror_jobs(service)
        assert job["state"] == "done" and job["attempts"] == 1
        [note] = await service.store.reader.fetchall(
            "SELECT * FROM audit_log WHERE action = 'draft.mirror'")
        assert note["target_id"] == draft.id and "no Drafts folder" in note["detail"]
        assert await in_drafts(server) == []
    finally:
        await service.close()
