import json
import sqlite3
from pathlib import Path

import pytest

from engine.errors import InvalidInputError, NotFoundError
from engine.ingest import Incoming, ingest
from engine.listing import Listing
from engine.models import Agent, MessageSummary
from engine.service import LocalService
from tests.listing_store import ALICE, ListingStore, build_listing_store, day, mail

BOB_INBOXES = {"invoice", "injection", "reset", "tie", "attach", "reply", "pending", "muller",
               "bob_private", "sales_lead"}
BOB_ALL = BOB_INBOXES | {"archived"}
SUPPORT_ALL = {"archived", "invoice", "injection", "reset", "tie", "attach", "reply",
               "pending", "muller"}


@pytest.fixture
async def setup(tmp_path: Path):
    service = await LocalService.open(tmp_path / "l.db")
    data = await build_listing_store(service.store)
    yield service, data
    await service.close()


async def keys(service: LocalService, agent: Agent, data: ListingStore,
               listing: Listing) -> set[str]:
    rows = await service.list_listing(agent, listing, limit=1000)
    assert await service.count_listing(agent, listing) == len(rows)
    return {data.key_of(r.id) for r in rows}


def ordered(rows: list[MessageSummary]) -> bool:
    order = [(r.date, r.id) for r in rows]
    return order == sorted(order, reverse=True)


async def test_scopes(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    assert await keys(service, bob, data, Listing("unified:inbox")) == BOB_INBOXES
    assert await keys(service, bob, data, Listing("all")) == BOB_ALL
    assert await keys(service, bob, data, Listing("unified:archive")) == {"archived"}
    assert await keys(service, bob, data, Listing("unified:sent")) == set()
    support_inbox = SUPPORT_ALL - {"archived"}
    assert await keys(service, bob, data, Listing("support:INBOX")) == support_inbox
    assert await keys(service, bob, data, Listing("support:inbox")) == support_inbox
    assert await keys(service, bob, data, Listing("support:Archive")) == {"archived"}
    folder = data.folders[("sales", "INBOX")]
    assert await keys(service, bob, data, Listing(f"folder:{folder}")) == {"sales_lead"}


async def test_order_is_newest_first_with_id_breaking_ties(setup) -> None:
    service, data = setup
    rows = await service.list_listing(data.team.agents["bob"], Listing("all"))
    assert ordered(rows)
    position = {data.key_of(r.id): n for n, r in enumerate(rows)}
    # "tie" and "reset" share their date; the later stored one comes first.
    assert data.ids["tie"] > data.ids["reset"]
    assert position["tie"] == position["reset"] - 1


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # from: matches parts of the name or the address, header-only mail included.
        ("from:acme-buyer", {"archived", "invoice", "reply", "pending", "sales_lead"}),
        ("from:acme-buyer.example", {"archived", "invoice", "reply", "pending", "sales_lead"}),
        ("from:alice", {"archived", "invoice", "reply", "sales_lead"}),
        ("from:ALICE", {"archived", "invoice", "reply", "sales_lead"}),
        ('from:"alice buyer"', {"archived", "invoice", "reply", "sales_lead"}),
        ("from:Müller", {"muller"}),
        ("to:help@acme", {"reset"}),
        ("to:ops@acme.example", {"reset"}),  # Cc counts as a recipient
        ("to:hangar", set()),
        ('subject:"late invoice"', {"pending"}),
        ("subject:INVOICE", {"invoice", "reply", "pending"}),
        ("account:sales", {"sales_lead"}),
        ("account:SUPPORT", SUPPORT_ALL),
        ("account:sales account:bob-mail", {"sales_lead", "bob_private"}),
        ("account:sales@acme.example", {"sales_lead"}),
        ("-account:support", {"sales_lead", "bob_private"}),
        ("account:nosuch", set()),
        ("folder:archive", {"archived"}),
        ("folder:INBOX", BOB_INBOXES),
        ("-folder:archive", BOB_INBOXES),
        ("is:unread", {"reset", "reply", "pending", "bob_private", "sales_lead"}),
        ("is:read", {"archived", "invoice", "injection", "tie", "attach", "muller"}),
        ("is:flagged", {"reset"}),
        ("-is:flagged", BOB_ALL - {"reset"}),
        ("has:attachment", {"attach"}),
        ("before:2026-10-03", {"archived", "invoice", "injection"}),
        ("after:2026-10-09", {"sales_lead"}),
        ("after:2026-10-03 before:2026-10-04", {"reset", "tie"}),
        ("zeppelin", {"archived", "invoice", "bob_private", "sales_lead"}),
        ("ZEPPELIN", {"archived", "invoice", "bob_private", "sales_lead"}),
        ('"never ordered"', {"invoice"}),
        ('"ordered never"', set()),
        ("muller", {"muller"}),  # the index folds diacritics
        # Words need the index: a message whose body has not arrived is not excluded...
        ("-zeppelin", BOB_ALL - {"archived", "invoice", "bob_private", "sales_lead"}),
        # ...and not found by words, only by header operators.
        ("reminder", set()),
        ("from:alice is:unread", {"reply", "sales_lead"}),
        ("from:acme-buyer -subject:re:", {"archived", "invoice", "pending", "sales_lead"}),
        ("zeppelin account:support", {"archived", "invoice"}),
        ("zeppelin -folder:archive is:unread", {"bob_private", "sales_lead"}),
        # Characters LIKE would treat as wildcards are literal.
        ("subject:%", set()),
        ("subject:_", set()),
        ("from:%alice", set()),
    ],
)
async def test_operators(setup, query: str, expected: set[str]) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    found = await keys(service, bob, data, Listing("all", query))
    assert found == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NEAR(", {"injection"}),
        ("NEAR(a", set()),
        ("col:x", set()),  # looks like an operator: refused below instead
        ('"col:x"', {"injection"}),
        ("^start", {"injection"}),
        ("quoted*", {"injection"}),
        ("50%_off", {"injection"}),
        ("{body}:x", set()),
        ("*", BOB_ALL),  # nothing searchable: no text condition
        ('"" -*', BOB_ALL),
        ("AND", set()),
        ("weird OR nothing", set()),
    ],
)
async def test_fts_syntax_in_queries_is_matched_literally(
    setup, query: str, expected: set[str]
) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    if query == "col:x":
        with pytest.raises(InvalidInputError, match="unknown operator col:"):
            await service.count_listing(bob, Listing("all", query))
        return
    assert await keys(service, bob, data, Listing("all", query)) == expected


def expected_threads(rows: list[MessageSummary]) -> list[tuple[int, int]]:
    """(newest id, count) per conversation, computed from a flat listing."""
    groups: dict[object, list[MessageSummary]] = {}
    for row in rows:
        groups.setdefault(row.thread_id if row.thread_id is not None else ("own", row.id),
                          []).append(row)
    newest = [max(g, key=lambda r: (r.date, r.id)) for g in groups.values()]
    newest.sort(key=lambda r: (r.date, r.id), reverse=True)
    return [(r.id, len(groups[r.thread_id if r.thread_id is not None else ("own", r.id)]))
            for r in newest]


@pytest.mark.parametrize(
    ("scope", "query", "unread_only"),
    [
        ("unified:inbox", "", False),
        ("all", "", False),
        ("all", "from:alice", False),
        ("all", "", True),
        ("all", "zeppelin", False),
        ("support:INBOX", "-zeppelin", False),
    ],
)
async def test_threads_mode_matches_the_flat_listing(
    setup, scope: str, query: str, unread_only: bool
) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    flat = await service.list_listing(bob, Listing(scope, query, unread_only), limit=1000)
    listing = Listing(scope, query, unread_only, threads=True)
    rows = await service.list_listing(bob, listing, limit=1000)
    assert [(r.id, r.thread_count) for r in rows] == expected_threads(flat)
    assert await service.count_listing(bob, listing) == len(rows)
    assert all(r.thread_count == 1 for r in flat)


async def test_thread_row_is_the_newest_matching_message(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    rows = {data.key_of(r.id): r for r in await service.list_listing(
        bob, Listing("all", threads=True))}
    # invoice and reply are one conversation; ann's later reply is in an account bob
    # cannot see, so it neither represents the thread nor counts.
    assert "invoice" not in rows
    assert rows["reply"].thread_count == 2
    unread = {data.key_of(r.id): r for r in await service.list_listing(
        bob, Listing("all", "is:read", threads=True))}
    assert "reply" not in unread and unread["invoice"].thread_count == 1
    ann_rows = await service.list_listing(data.team.agents["ann"], Listing("all", threads=True))
    assert [(data.key_of(r.id), r.thread_count) for r in ann_rows] == [
        ("ann_private", 1), ("ann_midnight", 1)]


async def test_same_second_messages_of_one_thread_make_one_row(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    head = await service.store.reader.fetchall(
        "SELECT thread_id, date FROM messages WHERE id IN (?, ?)",
        (data.ids["tie"], data.ids["reset"]))
    assert head[0][0] == head[1][0] and head[0][1] == head[1][1]
    rows = {data.key_of(r.id): r for r in await service.list_listing(
        bob, Listing("support:INBOX", threads=True))}
    assert "reset" not in rows and rows["tie"].thread_count == 2
    listing = Listing("support:INBOX", threads=True)
    assert (await service.position_in_listing(bob, listing, data.ids["reset"])
            == await service.position_in_listing(bob, listing, data.ids["tie"]))


async def test_day_limits_at_midnight(setup) -> None:
    service, data = setup
    ann = data.team.agents["ann"]
    midnight = data.ids["ann_midnight"]
    for query, holds in (("before:2026-10-03", False), ("after:2026-10-03", True),
                         ("before:2026-10-04", True), ("after:2026-10-04", False)):
        found = await service.position_in_listing(ann, Listing("all", query), midnight)
        assert (found is not None) == holds, query


async def test_messages_without_a_thread_are_their_own_rows(setup) -> None:
    service, data = setup
    async with service.store.transaction() as db:
        await db.execute("UPDATE messages SET thread_id = NULL WHERE id IN (?, ?, ?)",
                         (data.ids["tie"], data.ids["reset"], data.ids["invoice"]))
    bob = data.team.agents["bob"]
    flat = await service.list_listing(bob, Listing("all"))
    listing = Listing("all", threads=True)
    rows = await service.list_listing(bob, listing)
    assert [(r.id, r.thread_count) for r in rows] == expected_threads(flat)
    assert {data.key_of(r.id) for r in rows} >= {"tie", "reset", "invoice", "reply"}
    assert await service.count_listing(bob, listing) == len(rows)
    for n, row in enumerate(rows):
        assert await service.position_in_listing(bob, listing, row.id) == n


async def test_unread_only(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    assert (await keys(service, bob, data, Listing("all", unread_only=True))
            == await keys(service, bob, data, Listing("all", "is:unread")))
    contradiction = Listing("all", "is:read", unread_only=True)
    assert await service.list_listing(bob, contradiction) == []
    assert await service.count_listing(bob, contradiction) == 0
    assert await service.position_in_listing(bob, contradiction, data.ids["invoice"]) is None


async def test_pages_are_slices_of_the_whole_listing(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    for listing in (Listing("all"), Listing("all", threads=True), Listing("all", "from:alice")):
        whole = await service.list_listing(bob, listing, limit=1000)
        assert len(whole) > 3
        for offset in range(len(whole) + 1):
            page = await service.list_listing(bob, listing, offset=offset, limit=3)
            assert page == whole[offset:offset + 3]
        assert await service.list_listing(bob, listing, limit=0) == []
        assert await service.list_listing(bob, listing, offset=-5, limit=2) == whole[:2]


@pytest.mark.parametrize(
    "listing",
    [Listing("all"), Listing("unified:inbox", threads=True), Listing("all", "zeppelin"),
     Listing("all", "from:acme-buyer", threads=True), Listing("all", unread_only=True)],
)
async def test_position_is_the_row_index(setup, listing: Listing) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    rows = await service.list_listing(bob, listing, limit=1000)
    assert rows
    for n, row in enumerate(rows):
        assert await service.position_in_listing(bob, listing, row.id) == n
    shown = {r.id for r in rows}
    absent = [i for k, i in data.ids.items() if i not in shown and k in BOB_ALL]
    for message_id in absent:
        found = await service.position_in_listing(bob, listing, message_id)
        if listing.threads and found is not None:
            # An older message of a shown conversation is found at its conversation's row.
            assert rows[found].thread_count > 1
        else:
            assert found is None
    assert await service.position_in_listing(bob, listing, 10**9) is None


async def test_position_of_an_older_message_in_thread_mode(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    listing = Listing("all", threads=True)
    row = await service.position_in_listing(bob, listing, data.ids["invoice"])
    assert row is not None
    assert row == await service.position_in_listing(bob, listing, data.ids["reply"])
    assert (await service.list_listing(bob, listing, offset=row, limit=1))[0].id == data.ids[
        "reply"]


async def test_no_path_leaks_another_agents_mail(setup) -> None:
    service, data = setup
    carol = data.team.agents["carol"]  # sees the shared support account only
    support = data.team.accounts["support"]
    for listing in (Listing("all"), Listing("all", threads=True), Listing("unified:inbox"),
                    Listing("all", "zeppelin"), Listing("all", "from:alice"),
                    Listing("all", "account:bob-mail account:support")):
        rows = await service.list_listing(carol, listing, limit=1000)
        assert rows and {r.account_id for r in rows} == {support}
        assert await service.count_listing(carol, listing) == len(rows)
    for query in ("account:bob-mail", "account:sales", "account:ann-mail", "from:landlord",
                  "hangar", "to:sales@acme.example"):
        listing = Listing("all", query)
        assert await service.count_listing(carol, listing) == 0
        assert await service.list_listing(carol, listing) == []
        assert await service.count_listing(carol, Listing("all", query, threads=True)) == 0
    for key in ("bob_private", "sales_lead", "ann_private"):
        for listing in (Listing("all"), Listing("all", threads=True), Listing("all", key)):
            assert await service.position_in_listing(carol, listing, data.ids[key]) is None
    # Threads span accounts: carol's row for the invoice conversation counts only what
    # she may see, and is never a message of ann's.
    rows = await service.list_listing(carol, Listing("all", "subject:invoice", threads=True))
    assert {data.key_of(r.id): r.thread_count for r in rows} == {"reply": 2, "pending": 1}
    for scope in (f"folder:{data.folders[('bob-mail', 'INBOX')]}", "bob-mail:INBOX",
                  "sales:INBOX"):
        with pytest.raises(NotFoundError):
            await service.count_listing(carol, Listing(scope))
        with pytest.raises(NotFoundError):
            await service.list_listing(carol, Listing(scope))
    # A deactivated agent sees nothing, whatever it asks.
    async with service.store.transaction() as db:
        await db.execute("UPDATE agents SET active = 0 WHERE id = ?", (carol.id,))
    assert await service.count_listing(carol, Listing("all")) == 0
    assert await service.position_in_listing(carol, Listing("all"), data.ids["invoice"]) is None


async def test_bad_scope_and_query_raise_one_line_errors(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    for listing, error in ((Listing("weird"), InvalidInputError),
                           (Listing("unified:nope"), InvalidInputError),
                           (Listing("support:Nope"), NotFoundError),
                           (Listing("folder:999999"), NotFoundError),
                           (Listing("all", "bogus:1"), InvalidInputError),
                           (Listing("all", 'subject:"open'), InvalidInputError)):
        for call in (service.count_listing(bob, listing), service.list_listing(bob, listing),
                     service.position_in_listing(bob, listing, data.ids["invoice"])):
            with pytest.raises(error) as caught:
                await call
            assert "\n" not in str(caught.value)


async def test_list_by_spec_is_the_listing_of_its_scope(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    for spec in ("unified:inbox", "support:INBOX", "all"):
        assert (await service.list_by_spec(bob, spec, limit=1000)
                == await service.list_listing(bob, Listing(spec), limit=1000))


async def test_list_rows_carry_thread_count_one(setup) -> None:
    service, data = setup
    rows = await service.list_messages(data.team.agents["bob"], data.folders[("support", "INBOX")])
    assert rows and all(r.thread_count == 1 for r in rows)


async def _jobs(service: LocalService) -> list[dict[str, object]]:
    rows = await service.store.reader.fetchall("SELECT kind, payload FROM jobs ORDER BY id")
    return [{"kind": r[0], **json.loads(r[1])} for r in rows]


async def test_set_flagged_changes_the_row_and_queues_the_server_change(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    target = data.ids["tie"]
    await service.set_flagged(bob, target, True)
    assert data.ids["tie"] in {r.id for r in await service.list_listing(
        bob, Listing("all", "is:flagged"))}
    await service.set_flagged(bob, target, False)
    assert await service.position_in_listing(bob, Listing("all", "is:flagged"), target) is None
    jobs = await _jobs(service)
    head = await service.store.reader.fetchone("SELECT uid FROM messages WHERE id = ?",
                                               (target,))
    assert [(j["kind"], j["folder"], j["uids"], j["add"], j["remove"]) for j in jobs] == [
        ("imap.flags", "INBOX", [head[0]], ["\\Flagged"], []),
        ("imap.flags", "INBOX", [head[0]], [], ["\\Flagged"]),
    ]


async def test_set_flagged_without_uid_queues_nothing(setup) -> None:
    service, data = setup
    bob = data.team.agents["bob"]
    local = await ingest(service.store, account_id=data.team.accounts["support"],
                         folder_id=data.folders[("support", "INBOX")],
                         items=[Incoming(mail("Local only", sender=ALICE, when=day(3)))])
    await service.set_flagged(bob, local[0], True)
    assert await service.position_in_listing(bob, Listing("all", "is:flagged"), local[0]) == 0
    assert await _jobs(service) == []


async def test_set_flagged_on_unseen_mail_is_not_found(setup) -> None:
    service, data = setup
    carol = data.team.agents["carol"]
    with pytest.raises(NotFoundError):
        await service.set_flagged(carol, data.ids["bob_private"], True)
    bob = data.team.agents["bob"]
    assert await service.count_listing(bob, Listing("all", "is:flagged")) == 1  # only reset
    assert await _jobs(service) == []


async def test_change_marker_moves_on_every_commit(setup, tmp_path: Path) -> None:
    service, data = setup
    first = await service.change_marker()
    assert await service.change_marker() == first
    await service.set_flagged(data.team.agents["bob"], data.ids["tie"], True)
    second = await service.change_marker()
    assert second != first
    other = sqlite3.connect(tmp_path / "l.db")
    other.execute("UPDATE messages SET seen = 1 WHERE id = ?", (data.ids["reply"],))
    other.commit()
    other.close()
    assert await service.change_marker() != second
