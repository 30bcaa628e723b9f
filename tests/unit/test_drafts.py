"""Drafts and the outbox in the store: who sees a draft, what can still change, what
sending queues, and how an account's SMTP settings resolve."""

from pathlib import Path

import pytest

from engine.errors import InvalidInputError, NotFoundError
from engine.ingest import Incoming, ingest
from engine.models import SmtpChange
from engine.sending.config import sending_settings
from engine.service import LocalService
from storage import customers
from tests.store_factory import build_team, dated, make_mail


@pytest.fixture
async def team(tmp_path: Path):
    service = await LocalService.open(tmp_path / "s.db")
    t = await build_team(service.store)
    (question,) = await ingest(
        service.store, account_id=t.accounts["support"], folder_id=t.inboxes["support"],
        items=[Incoming(make_mail("Printer on fire", sender="Jane Roe <jane@cust.example>",
                                  message_id="<q@cust.example>", when=dated(1)))])
    yield service, t, question
    await service.close()


async def _jobs(service: LocalService) -> list[str]:
    rows = await service.store.reader.fetchall("SELECT kind FROM jobs ORDER BY id")
    return [r[0] for r in rows]


async def test_a_draft_is_its_writers_alone(team) -> None:
    service, t, question = team
    bob, carol = t.agents["bob"], t.agents["carol"]
    draft = await service.start_draft(bob, "reply", message_id=question)
    assert [d.id for d in await service.list_drafts(bob)] == [draft.id]
    assert await service.list_drafts(carol) == []
    for act in (service.draft(carol, draft.id), service.send_draft(carol, draft.id),
                service.discard_draft(carol, draft.id)):
        with pytest.raises(NotFoundError, match=f"draft {draft.id} not found"):
            await act
    with pytest.raises(NotFoundError):  # ann cannot see support@: no reply from there
        await service.start_draft(t.agents["ann"], "reply", message_id=question)


async def test_sending_queues_once_and_freezes_the_draft(team) -> None:
    service, t, question = team
    bob = t.agents["bob"]
    draft = await service.start_draft(bob, "reply", message_id=question)
    empty = await service.save_draft(bob, draft.id, to="", cc="", bcc="", subject="x",
                                     body="y")
    with pytest.raises(InvalidInputError, match="has no recipient"):
        await service.send_draft(bob, empty.id)
    await service.save_draft(bob, draft.id, to="jane@cust.example; Bob <b@x.example>",
                             cc="", bcc="", subject="Re: Printer", body="Done.")
    sent = await service.send_draft(bob, draft.id)
    again = await service.send_draft(bob, draft.id)
    assert sent.state == again.state == "queued"
    assert sent.to == ("jane@cust.example", "Bob <b@x.example>")
    assert await _jobs(service) == ["smtp.send"]
    with pytest.raises(InvalidInputError, match="is queued and can no longer change"):
        await service.save_draft(bob, draft.id, to="x@y.example", cc="", bcc="",
                                 subject="changed", body="changed")
    with pytest.raises(InvalidInputError, match="can no longer change"):
        await service.discard_draft(bob, draft.id)
    raw = await service.store.reader.scalar("SELECT raw FROM outgoing WHERE id = ?",
                                            (draft.id,))
    assert draft.message_id.encode() in bytes(raw) and b"Done." in bytes(raw)


async def test_attachments_and_discard(team, tmp_path: Path) -> None:
    service, t, _ = team
    bob = t.agents["bob"]
    draft = await service.start_draft(bob, "new", account="bob-mail")
    with pytest.raises(InvalidInputError, match=r"cannot read|is not a file"):
        await service.attach_file(bob, draft.id, str(tmp_path / "nope.pdf"))
    (tmp_path / "quote.pdf").write_bytes(b"%PDF-1.4 quote")
    with_file = await service.attach_file(bob, draft.id, str(tmp_path / "quote.pdf"))
    [attached] = with_file.attachments
    assert (attached.filename, attached.content_type, attached.size) == (
        "quote.pdf", "application/pdf", 14)
    assert (await service.detach_file(bob, draft.id, attached.idx)).attachments == ()
    await service.discard_draft(bob, draft.id)
    assert await service.list_drafts(bob) == []


async def test_address_suggestions_put_customers_first(team) -> None:
    service, t, _ = team
    bob = t.agents["bob"]
    async with service.store.transaction() as db:
        await customers.insert(db, name="Janet Smith", company="",
                               addresses=["janet@shop.example"], created_by=bob.id)
    assert await service.address_suggestions(bob, "jan") == [
        "Janet Smith <janet@shop.example>", "Jane Roe <jane@cust.example>"]
    assert await service.address_suggestions(t.agents["ann"], "jane@") == []
    assert await service.address_suggestions(bob, "  ") == []


async def test_smtp_settings_resolve_the_system_smtp_and_password_commands(team) -> None:
    service, t, _ = team
    ann, bob = t.agents["ann"], t.agents["bob"]
    account = t.accounts["bob-mail"]
    with pytest.raises(InvalidInputError, match="has no SMTP server to send with"):
        await sending_settings(service.store, account)
    await service.configure_smtp(bob, "bob-mail", SmtpChange(use_system=True))
    with pytest.raises(InvalidInputError, match="frontdesk smtp system"):
        await sending_settings(service.store, account)
    await service.configure_system_smtp(ann, SmtpChange(
        host="relay.acme.example", security="ssl", username="relay",
        password_command="printf 'from-a-command'"))
    settings = await sending_settings(service.store, account)
    assert (settings.host, settings.port, settings.security, settings.username) == (
        "relay.acme.example", 465, "ssl", "relay")
    assert settings.password == "from-a-command"
    assert "from-a-command" not in repr(settings)
    await service.configure_smtp(bob, "bob-mail", SmtpChange(
        host="smtp.bob.example", password="s3cret", reply_to="help@acme.example"))
    mine = await sending_settings(service.store, account)
    assert (mine.host, mine.port, mine.password, mine.username) == (
        "smtp.bob.example", 587, "s3cret", "bob-mail@acme.example")
