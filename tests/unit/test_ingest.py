from pathlib import Path

import pytest

from engine.errors import NotFoundError
from engine.ingest import Incoming, ingest
from engine.service import LocalService
from storage import messages
from tests.store_factory import build_team, dated, make_mail


@pytest.fixture
async def setup(tmp_path: Path):
    service = await LocalService.open(tmp_path / "g.db")
    team = await build_team(service.store)
    yield service, team
    await service.close()


async def test_ingest_threads_indexes_and_keeps_raw(setup) -> None:
    service, team = setup
    ann = team.agents["bob"]
    support, folder = team.accounts["support"], team.inboxes["support"]
    first = make_mail("Invoice 42 is wrong", message_id="<a@x>", when=dated(1),
                      body="The invoice lists a zeppelin we never ordered.")
    reply = make_mail("Re: Invoice 42 is wrong", message_id="<b@x>", in_reply_to="<a@x>",
                      when=dated(2), body="Sorry, fixing it.")
    other = make_mail("Password reset", message_id="<c@x>", when=dated(3))
    ids = await ingest(service.store, account_id=support, folder_id=folder, items=[
        Incoming(first, ("\\Seen", "\\Flagged"), uid=1, uidvalidity=9),
        Incoming(reply, (), uid=2, uidvalidity=9),
        Incoming(other, ("\\Answered",), uid=3, uidvalidity=9),
    ])
    assert len(ids) == 3
    rows = await service.list_messages(ann, folder)
    assert [r.subject for r in rows] == ["Password reset", "Re: Invoice 42 is wrong",
                                         "Invoice 42 is wrong"]
    by_subject = {r.subject: r for r in rows}
    assert by_subject["Invoice 42 is wrong"].thread_id == by_subject[
        "Re: Invoice 42 is wrong"].thread_id
    assert by_subject["Password reset"].thread_id != by_subject["Invoice 42 is wrong"].thread_id
    assert by_subject["Invoice 42 is wrong"].seen and by_subject["Invoice 42 is wrong"].flagged
    assert not by_subject["Re: Invoice 42 is wrong"].seen
    assert by_subject["Password reset"].answered
    stored = await messages.raw(service.store.reader, message_id=ids[0], account_ids=[support])
    assert stored == first
    hits = await messages.search_ids(service.store.reader, match="zeppelin",
                                     account_ids=[support], limit=10)
    assert hits == [ids[0]]
    # The index follows the account filter too.
    assert await messages.search_ids(service.store.reader, match="zeppelin",
                                     account_ids=[team.accounts["sales"]], limit=10) == []


async def test_ingest_is_idempotent_per_server_key(setup) -> None:
    service, team = setup
    support, folder = team.accounts["support"], team.inboxes["support"]
    batch = [Incoming(make_mail(f"m{i}", message_id=f"<m{i}@x>"), uid=i, uidvalidity=1)
             for i in range(1, 6)]
    assert len(await ingest(service.store, account_id=support, folder_id=folder,
                            items=batch[:3])) == 3
    # A batch fetched again after an interruption: only the new ones are stored.
    assert len(await ingest(service.store, account_id=support, folder_id=folder,
                            items=batch)) == 2
    assert await service.count_messages(team.agents["bob"], folder) == 5
    # A new UIDVALIDITY is a different server identity.
    again = [Incoming(i.raw, uid=i.uid, uidvalidity=2) for i in batch]
    assert len(await ingest(service.store, account_id=support, folder_id=folder,
                            items=again)) == 5


async def test_malformed_mail_is_stored_and_shown(setup) -> None:
    service, team = setup
    support, folder = team.accounts["support"], team.inboxes["support"]
    junk = (b"From: =?utf-8?b?broken\r\nSubject: =?x-unknown?q?=1b]8;;evil?=\r\n"
            b"Date: not a date\r\nthis line has no colon\r\n\r\nbody \x1b[2J here\r\n")
    ids = await ingest(service.store, account_id=support, folder_id=folder,
                       items=[Incoming(junk, uid=1, uidvalidity=1)])
    assert len(ids) == 1
    view = await service.open_message(team.agents["bob"], ids[0])
    assert "\x1b" not in view.text and "body" in view.text
    for _, value in view.headers:
        assert "\x1b" not in value


async def test_fts_rows_follow_deletes(setup) -> None:
    service, team = setup
    support, folder = team.accounts["support"], team.inboxes["support"]
    ids = await ingest(service.store, account_id=support, folder_id=folder, items=[
        Incoming(make_mail("kiwi", body="quokka"), uid=1, uidvalidity=1)])
    async with service.store.transaction() as db:
        await db.execute("DELETE FROM messages WHERE id = ?", (ids[0],))
    assert await messages.search_ids(service.store.reader, match="quokka",
                                     account_ids=[support], limit=5) == []
    count = await service.store.reader.scalar(
        "SELECT count(*) FROM message_fts WHERE message_fts MATCH 'quokka'")
    assert count == 0


async def test_message_with_headers_only_opens_with_a_note(setup) -> None:
    """During a first sync the list shows mail whose body is still on its way: opening
    it shows the stored headers and says so, rather than 'not found'."""
    from engine.service import BODY_PENDING

    service, team = setup
    bob = team.agents["bob"]
    support, folder = team.accounts["support"], team.inboxes["support"]
    raw = make_mail("Parcel lost", sender="Carla <carla@customer.example>", body="Long body")
    header_block = raw[: raw.index(b"\r\n\r\n") + 2]
    ids = await ingest(service.store, account_id=support, folder_id=folder, items=[
        Incoming(header_block, uid=7, uidvalidity=3, size=len(raw), headers_only=True)])
    view = await service.open_message(bob, ids[0])
    assert view.text == BODY_PENDING
    assert dict(view.headers)["Subject"] == "Parcel lost"
    assert dict(view.headers)["From"] == "Carla <carla@customer.example>"
    # Read state still works on such a message, and reaches the queue for the server.
    await service.set_read(bob, ids[0], True)
    assert (await service.list_messages(bob, folder))[0].seen
    head = await messages.headers(service.store.reader, message_id=ids[0],
                                  account_ids=[support])
    assert head is not None and (head.uidvalidity, head.uid, head.has_body) == (3, 7, False)
    # Other agents still get 'not found'.
    with pytest.raises(NotFoundError):
        await service.open_message(team.agents["ann"], ids[0])


async def test_bodies_of_a_batch_are_indexed_and_replace_older_text(setup) -> None:
    """Bodies arriving for header-only rows: every one is found by its own words (accents
    folded, quotes and brackets kept as text), sender and subject too; a body stored again
    replaces the old text in the index instead of adding a second row."""
    from engine.ingest import prepare_bodies, store_bodies

    service, team = setup
    support, folder = team.accounts["support"], team.inboxes["support"]
    words = ["alpaca", "bérénice", 'say "quote" [x]', "ocelot"]
    raws = [make_mail(f"note {n}", sender=f"Sender {n} <s{n}@customer.example>",
                      message_id=f"<h{n}@x>", body=f"body {word} end")
            for n, word in enumerate(words)]
    ids = await ingest(service.store, account_id=support, folder_id=folder, items=[
        Incoming(raw[: raw.index(b"\r\n\r\n") + 2], uid=n + 1, uidvalidity=4,
                 size=len(raw), headers_only=True) for n, raw in enumerate(raws)])

    async def found(match: str) -> list[int]:
        return await messages.search_ids(service.store.reader, match=match,
                                         account_ids=[support], limit=10)

    assert await found("alpaca") == []  # header-only rows are not indexed yet
    await store_bodies(service.store, await prepare_bodies(list(zip(ids, raws, strict=True))))
    assert await found("alpaca") == [ids[0]]
    assert await found("berenice") == [ids[1]]
    assert await found('"quote"') == [ids[2]]
    assert await found("s3") == [ids[3]]
    assert sorted(await found("note")) == sorted(ids)

    again = make_mail("note 0", sender="Sender 0 <s0@customer.example>",
                      message_id="<h0@x>", body="body wombat end")
    await store_bodies(service.store, await prepare_bodies([(ids[0], again)]))
    assert await found("alpaca") == []
    assert await found("wombat") == [ids[0]]
    rows = await service.store.reader.scalar(
        "SELECT count(*) FROM message_text WHERE id = ?", (ids[0],))
    assert rows == 1
