"""Customers through the Service: pairing, adding, the sender card, search and timeline,
each refusal, the audit rows, and that a timeline never shows mail the agent may not see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from engine.customers import match_score, shortest_span
from engine.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    UnknownAgentError,
)
from engine.ingest import Incoming, ingest
from engine.listing import Listing
from engine.models import Agent
from engine.service import LocalService
from storage import Store
from tests.store_factory import Team, build_team, dated, make_mail

JANE = "\"Doe, Jane\" <Jane.Doe@Client.example>"
JANE_ADDR = "jane.doe@client.example"

# key: (account, raw). Dates rise with the number, so newest first is the reverse.
_MAIL: dict[str, tuple[str, bytes]] = {
    "order": ("support", make_mail("Order 1", sender=JANE, when=dated(0),
                                   message_id="<order@x>")),
    "answer": ("support", make_mail("Re: Order 1", sender="Support <support@acme.example>",
                                    to="Jane Doe <jane.doe@client.example>", when=dated(1),
                                    in_reply_to="<order@x>")),
    "cc": ("support", make_mail("Team lunch", sender="Boss <boss@client.example>",
                                cc="Ops <ops@client.example>, JANE.DOE@client.example",
                                when=dated(2))),
    "lookalike": ("support", make_mail(
        "Not for Jane", sender="Jim <jim@client.example>",
        to="xjane.doe@client.example, Other <jane.doe@client.example.au>",
        cc="jane.doe@client.examples", when=dated(3))),
    "bob_private": ("bob-mail", make_mail("Private to bob", sender=JANE,
                                          to="bob-mail@acme.example", when=dated(4))),
    "sales": ("sales", make_mail("Sales question", sender=JANE, to="sales@acme.example",
                                 when=dated(5))),
    "ann_private": ("ann-mail", make_mail("Private to ann", sender=JANE,
                                          to="ann-mail@acme.example", when=dated(6))),
    "stranger": ("support", make_mail("Hello", sender="Zed <zed@else.example>",
                                      when=dated(7))),
}


@dataclass
class Mailroom:
    service: LocalService
    team: Team
    ids: dict[str, int]

    def agent(self, name: str) -> Agent:
        return self.team.agents[name]

    def key_of(self, message_id: int) -> str:
        return next(k for k, v in self.ids.items() if v == message_id)


async def build_mailroom(store: Store) -> tuple[Team, dict[str, int]]:
    """build_team's people and accounts with the mail above."""
    team = await build_team(store)
    ids = {}
    for key, (account, raw) in _MAIL.items():
        stored = await ingest(store, account_id=team.accounts[account],
                              folder_id=team.inboxes[account], items=[Incoming(raw)])
        ids[key] = stored[0]
    return team, ids


@pytest.fixture
async def room(tmp_path: Path):
    service = await LocalService.open(tmp_path / "s.db")
    team, ids = await build_mailroom(service.store)
    yield Mailroom(service, team, ids)
    await service.close()


async def audit_rows(store: Store, action: str) -> list[tuple[int, int, dict[str, Any]]]:
    rows = await store.reader.fetchall(
        "SELECT agent_id, target_id, detail FROM audit_log WHERE action = ? ORDER BY id",
        (action,),
    )
    return [(r[0], r[1], json.loads(r[2])) for r in rows]


async def customer_count(store: Store) -> int:
    return int(await store.reader.scalar("SELECT count(*) FROM customers"))


async def senders_customer(room: Mailroom, who: str, address: str) -> dict[str, int | None]:
    """customer_id of each listed message from `address`, keyed by message key."""
    rows = await room.service.list_listing(room.agent(who), Listing(scope="all"))
    return {room.key_of(r.id): r.customer_id for r in rows if r.from_addr.lower() == address}


# The sender card


async def test_sender_card_parses_the_display_name(room: Mailroom) -> None:
    card = await room.service.sender_of(room.agent("carol"), room.ids["order"])
    assert (card.name, card.address, card.domain) == ("Jane Doe", JANE_ADDR, "client.example")
    assert card.account_id == room.team.accounts["support"]
    assert card.customer is None
    added = await room.service.add_customer(room.agent("carol"), name=card.name,
                                            addresses=[card.address])
    again = await room.service.sender_of(room.agent("carol"), room.ids["order"])
    assert again.customer == added


async def test_sender_card_of_mail_the_agent_cannot_see_is_not_found(room: Mailroom) -> None:
    hidden = room.ids["bob_private"]
    missing = max(room.ids.values()) + 100
    with pytest.raises(NotFoundError) as not_visible:
        await room.service.sender_of(room.agent("carol"), hidden)
    with pytest.raises(NotFoundError) as not_there:
        await room.service.sender_of(room.agent("carol"), missing)
    # The two refusals read the same: a probe learns nothing about bob's mail.
    assert str(not_visible.value).replace(str(hidden), "N") == \
        str(not_there.value).replace(str(missing), "N")
    assert (await room.service.sender_of(room.agent("bob"), hidden)).address == JANE_ADDR


# Pairing


async def test_pairing_gives_past_and_future_mail_to_the_customer(room: Mailroom) -> None:
    bob = room.agent("bob")
    acme = await room.service.add_customer(bob, name="Jane Doe", company="Client")
    before = await senders_customer(room, "bob", JANE_ADDR)
    assert before == {"order": None, "bob_private": None, "sales": None}

    paired = await room.service.pair_sender(bob, room.ids["order"], acme.id)
    assert paired.addresses == (JANE_ADDR,)
    after = await senders_customer(room, "bob", JANE_ADDR)
    assert after == {"order": acme.id, "bob_private": acme.id, "sales": acme.id}
    assert await audit_rows(room.service.store, "customer.pair") == [
        (bob.id, acme.id, {"address": JANE_ADDR})]

    later = await ingest(room.service.store, account_id=room.team.accounts["support"],
                         folder_id=room.team.inboxes["support"],
                         items=[Incoming(make_mail("Order 2", sender=JANE, when=dated(9)))])
    rows = await room.service.list_listing(bob, Listing(scope="all"))
    assert next(r.customer_id for r in rows if r.id == later[0]) == acme.id


async def test_pairing_again_to_the_same_customer_changes_nothing(room: Mailroom) -> None:
    bob = room.agent("bob")
    acme = await room.service.add_customer(bob, name="Jane Doe")
    await room.service.pair_address(bob, "Jane.Doe@client.example", acme.id)
    again = await room.service.pair_address(bob, f"  {JANE_ADDR.upper()} ", acme.id)
    assert again.addresses == (JANE_ADDR,)
    assert len(await audit_rows(room.service.store, "customer.pair")) == 1


async def test_pairing_an_address_of_another_customer_needs_move(room: Mailroom) -> None:
    bob = room.agent("bob")
    first = await room.service.add_customer(bob, name="First Owner", addresses=[JANE_ADDR])
    second = await room.service.add_customer(bob, name="Second")
    with pytest.raises(ConflictError) as info:
        await room.service.pair_address(bob, JANE_ADDR, second.id)
    message = str(info.value)
    assert f"customer {first.id} (First Owner)" in message
    assert "--move" in message and "\n" not in message
    assert (await room.service.customer(bob, first.id)).addresses == (JANE_ADDR,)
    assert (await room.service.customer(bob, second.id)).addresses == ()
    assert set((await senders_customer(room, "bob", JANE_ADDR)).values()) == {first.id}
    assert await audit_rows(room.service.store, "customer.move_address") == []

    moved = await room.service.pair_address(bob, JANE_ADDR, second.id, move=True)
    assert moved.addresses == (JANE_ADDR,)
    assert (await room.service.customer(bob, first.id)).addresses == ()
    assert set((await senders_customer(room, "bob", JANE_ADDR)).values()) == {second.id}
    [(agent_id, target, detail)] = await audit_rows(room.service.store,
                                                    "customer.move_address")
    assert (agent_id, target) == (bob.id, second.id)
    assert detail["address"] == JANE_ADDR
    assert detail["from_customer_id"] == first.id
    assert await audit_rows(room.service.store, "customer.pair") == []


async def test_pairing_to_an_unknown_customer_is_not_found(room: Mailroom) -> None:
    with pytest.raises(NotFoundError, match="customer 999 not found"):
        await room.service.pair_address(room.agent("bob"), JANE_ADDR, 999)
    assert await audit_rows(room.service.store, "customer.pair") == []


@pytest.mark.parametrize("address", [
    "", "   ", "no-at-sign", "two words@x.com", "a@b@c.com", "@x.com", "jane@",
    "<jane@x.com>", "jane@.x.com", "jane@x..com", "jane,doe@x.com", "jane@x.com\nBcc: x@y.com",
    "ja\x1bne@x.com", "j" * 250 + "@x.com",
])
async def test_invalid_addresses_are_refused(room: Mailroom, address: str) -> None:
    bob = room.agent("bob")
    acme = await room.service.add_customer(bob, name="Acme")
    with pytest.raises(InvalidInputError) as info:
        await room.service.pair_address(bob, address, acme.id)
    assert "\n" not in str(info.value)
    with pytest.raises(InvalidInputError):
        await room.service.add_customer(bob, name="Other", addresses=[address])
    assert await customer_count(room.service.store) == 1
    assert (await room.service.customer(bob, acme.id)).addresses == ()


async def test_pairing_a_sender_of_hidden_mail_is_not_found(room: Mailroom) -> None:
    carol = room.agent("carol")
    acme = await room.service.add_customer(carol, name="Acme")
    with pytest.raises(NotFoundError):
        await room.service.pair_sender(carol, room.ids["bob_private"], acme.id)
    assert (await room.service.customer(carol, acme.id)).addresses == ()


# Adding


async def test_add_normalises_addresses_and_writes_the_audit_row(room: Mailroom) -> None:
    carol = room.agent("carol")
    added = await room.service.add_customer(
        carol, name="  Jane   Doe ", company=" Client  Ltd ", notes=" VIP\nsince 2020 ",
        addresses=["  Jane.Doe@Client.example", JANE_ADDR, "J2@Client.example"],
    )
    assert (added.name, added.company, added.notes) == ("Jane Doe", "Client Ltd",
                                                        "VIP\nsince 2020")
    assert added.addresses == ("j2@client.example", JANE_ADDR)
    assert added.created_by == carol.id
    assert await room.service.customer(room.agent("bob"), added.id) == added
    [(agent_id, target, detail)] = await audit_rows(room.service.store, "customer.add")
    assert (agent_id, target) == (carol.id, added.id)
    assert sorted(detail["addresses"]) == ["j2@client.example", JANE_ADDR]


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
async def test_add_needs_a_name(room: Mailroom, name: str) -> None:
    with pytest.raises(InvalidInputError, match="name"):
        await room.service.add_customer(room.agent("bob"), name=name, addresses=[JANE_ADDR])
    assert await customer_count(room.service.store) == 0
    assert await audit_rows(room.service.store, "customer.add") == []


async def test_add_with_a_taken_address_creates_nothing_unless_move(room: Mailroom) -> None:
    bob = room.agent("bob")
    first = await room.service.add_customer(bob, name="First", addresses=[JANE_ADDR])
    with pytest.raises(ConflictError, match=f"customer {first.id} \\(First\\)"):
        await room.service.add_customer(bob, name="Second",
                                        addresses=["new@client.example", JANE_ADDR])
    assert await customer_count(room.service.store) == 1
    assert len(await audit_rows(room.service.store, "customer.add")) == 1

    second = await room.service.add_customer(
        bob, name="Second", addresses=["new@client.example", JANE_ADDR], move=True)
    assert second.addresses == (JANE_ADDR, "new@client.example")
    assert (await room.service.customer(bob, first.id)).addresses == ()
    [(_, target, detail)] = await audit_rows(room.service.store, "customer.move_address")
    assert (target, detail["from_customer_id"], detail["address"]) == (
        second.id, first.id, JANE_ADDR)


async def test_unknown_customer_is_not_found(room: Mailroom) -> None:
    with pytest.raises(NotFoundError, match="customer 42"):
        await room.service.customer(room.agent("bob"), 42)
    with pytest.raises(NotFoundError, match="customer 42"):
        await room.service.customer_timeline(room.agent("bob"), 42)


async def test_a_deactivated_agent_is_refused(room: Mailroom) -> None:
    carol = room.agent("carol")
    await room.service.add_customer(carol, name="Acme")
    async with room.service.store.transaction() as db:
        await db.execute("UPDATE agents SET active = 0 WHERE id = ?", (carol.id,))
    with pytest.raises(UnknownAgentError):
        await room.service.find_customers(carol)
    with pytest.raises(UnknownAgentError):
        await room.service.add_customer(carol, name="Other")
    assert await customer_count(room.service.store) == 1


# Finding


async def test_find_ranks_exact_prefix_substring_then_shortest_scattered(
    room: Mailroom,
) -> None:
    bob = room.agent("bob")
    names = ["Axxxnxxxn", "Joann", "Bob", "Annabel", "Axnxn", "Ann"]
    for name in names:
        await room.service.add_customer(bob, name=name)
    found = [c.name for c in await room.service.find_customers(bob, "ANN")]
    assert found == ["Ann", "Annabel", "Joann", "Axnxn", "Axxxnxxxn"]
    assert [c.name for c in await room.service.find_customers(bob, "ann", limit=2)] == \
        ["Ann", "Annabel"]
    everyone = [c.name for c in await room.service.find_customers(room.agent("carol"))]
    assert everyone == sorted(names, key=str.casefold)


async def test_find_looks_in_company_and_addresses(room: Mailroom) -> None:
    bob = room.agent("bob")
    acme = await room.service.add_customer(bob, name="Pat", company="ACME Ltd")
    jane = await room.service.add_customer(bob, name="J", addresses=["jane.doe@x.example"])
    await room.service.add_customer(bob, name="Unrelated", company="Globex")
    assert [c.id for c in await room.service.find_customers(bob, "acm")] == [acme.id]
    assert [c.id for c in await room.service.find_customers(bob, "jdoe")] == [jane.id]
    assert await room.service.find_customers(bob, "zzz") == []


def test_match_score_orders_the_kinds_of_match() -> None:
    scores = [match_score("doe", text) for text in
              ("Doe", "Doe Industries", "jane.doe@x", "d.o.e", "d...o...e")]
    assert all(s is not None for s in scores)
    assert scores == sorted(scores)  # type: ignore[type-var]
    assert match_score("doe", "ode") is None
    assert shortest_span("abc", "a-b-c--abc") == 3
    assert shortest_span("abc", "axbxxc axbc") == 4
    assert shortest_span("abc", "cba") is None


# The timeline


def keys(room: Mailroom, timeline) -> list[str]:
    return [room.key_of(m.id) for m in timeline.messages]


async def test_timeline_holds_mail_to_and_from_the_customer(room: Mailroom) -> None:
    bob = room.agent("bob")
    jane = await room.service.add_customer(bob, name="Jane", addresses=[JANE_ADDR])
    timeline = await room.service.customer_timeline(bob, jane.id)
    # Newest first; "lookalike" only holds addresses that contain Jane's.
    assert keys(room, timeline) == ["sales", "bob_private", "cc", "answer", "order"]
    assert timeline.total == 5
    assert timeline.customer == jane
    page = await room.service.customer_timeline(bob, jane.id, offset=1, limit=2)
    assert keys(room, page) == ["bob_private", "cc"]
    assert page.total == 5


async def test_timeline_never_shows_mail_of_accounts_the_agent_cannot_see(
    room: Mailroom,
) -> None:
    jane = await room.service.add_customer(room.agent("carol"), name="Jane",
                                           addresses=[JANE_ADDR])
    carol = await room.service.customer_timeline(room.agent("carol"), jane.id)
    assert keys(room, carol) == ["cc", "answer", "order"]
    assert carol.total == 3
    ann = await room.service.customer_timeline(room.agent("ann"), jane.id)
    assert keys(room, ann) == ["ann_private"]
    assert ann.total == 1
    visible = {a.id for a in await room.service.list_accounts(room.agent("carol"))}
    assert {m.account_id for m in carol.messages} <= visible


async def test_timeline_follows_every_address_and_leaves_out_deleted_mail(
    room: Mailroom,
) -> None:
    carol = room.agent("carol")
    jane = await room.service.add_customer(carol, name="Jane", addresses=[JANE_ADDR])
    await room.service.pair_address(carol, "zed@else.example", jane.id)
    assert keys(room, await room.service.customer_timeline(carol, jane.id)) == [
        "stranger", "cc", "answer", "order"]
    async with room.service.store.transaction() as db:
        await db.execute("UPDATE messages SET deleted = 1 WHERE id = ?", (room.ids["cc"],))
    timeline = await room.service.customer_timeline(carol, jane.id)
    assert keys(room, timeline) == ["stranger", "answer", "order"]
    assert timeline.total == 3


async def _case(store: Store, *, number: str, customer_id: int, source: int,
                created_by: int) -> int:
    async with store.transaction() as db:
        return await db.insert(
            "INSERT INTO cases (number, subject, customer_id, source_message_id, created_by) "
            "VALUES (?, ?, ?, ?, ?)", (number, f"case {number}", customer_id, source,
                                       created_by))


async def _lead(store: Store, *, name: str, customer_id: int, source: int,
                created_by: int) -> int:
    async with store.transaction() as db:
        return await db.insert(
            "INSERT INTO leads (name, customer_id, source_message_id, created_by) "
            "VALUES (?, ?, ?, ?)", (name, customer_id, source, created_by))


async def test_timeline_cases_and_leads_follow_what_the_agent_may_see(
    room: Mailroom,
) -> None:
    store = room.service.store
    bob, carol = room.agent("bob"), room.agent("carol")
    jane = await room.service.add_customer(bob, name="Jane", addresses=[JANE_ADDR])
    other = await room.service.add_customer(bob, name="Other")
    await _case(store, number="C-000001", customer_id=jane.id, source=room.ids["order"],
                created_by=bob.id)
    await _case(store, number="C-000002", customer_id=jane.id,
                source=room.ids["bob_private"], created_by=bob.id)
    await _case(store, number="C-000003", customer_id=other.id, source=room.ids["order"],
                created_by=bob.id)
    await _lead(store, name="from bob's mail", customer_id=jane.id,
                source=room.ids["bob_private"], created_by=bob.id)
    await _lead(store, name="carol's own", customer_id=jane.id,
                source=room.ids["bob_private"], created_by=carol.id)

    for_bob = await room.service.customer_timeline(bob, jane.id)
    assert sorted(c.number for c in for_bob.cases) == ["C-000001", "C-000002"]
    assert sorted(lead.name for lead in for_bob.leads) == ["carol's own", "from bob's mail"]
    for_carol = await room.service.customer_timeline(carol, jane.id)
    assert [c.number for c in for_carol.cases] == ["C-000001"]
    assert [lead.name for lead in for_carol.leads] == ["carol's own"]
    for_ann = await room.service.customer_timeline(room.agent("ann"), jane.id)
    assert for_ann.cases == () and for_ann.leads == ()
