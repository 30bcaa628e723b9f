"""Blocking a sender or a domain: stored mail hidden (not destroyed) and shown again,
refusals, who may block what, and the migration that added the `blocked` mark."""

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from engine.blocking import normalise
from engine.errors import AccessDeniedError, InvalidInputError, NotFoundError
from engine.ingest import Denied, Incoming, ingest
from engine.listing import Listing
from engine.models import Agent
from engine.service import LocalService
from storage import Store, accounts, deny, migrate
from tests.store_factory import Team, build_team, dated, make_mail

# (key, account, sender, seen); keys double as subjects.
MAIL = (
    ("pest", "support", "Pest <pest@spam.example>", False),
    ("pest-again", "support", "PEST <Pest@Spam.Example>", True),
    ("subdomain", "support", "Sub <x@mail.spam.example>", False),
    ("lookalike", "support", "Look <y@notspam.example>", False),
    ("friend", "support", "Friend <c@example.org>", True),
    ("sales-pest", "sales", "Pest <pest@spam.example>", False),
    ("sales-friend", "sales", "Friend <c@example.org>", False),
)
SUPPORT = {"pest", "pest-again", "subdomain", "lookalike", "friend"}
SALES = {"sales-pest", "sales-friend"}


class Setup:
    def __init__(self, service: LocalService, team: Team, ids: dict[str, int]) -> None:
        self.service = service
        self.team = team
        self.ids = ids

    def agent(self, name: str) -> Agent:
        return self.team.agents[name]

    async def shown(self, who: str = "bob", listing: Listing | None = None) -> set[str]:
        """Subjects of a listing, checked against its count."""
        agent, listing = self.agent(who), listing or Listing("all")
        rows = await self.service.list_listing(agent, listing, limit=1000)
        assert await self.service.count_listing(agent, listing) == len(rows)
        return {r.subject for r in rows}

    async def inbox_counts(self, account: str) -> tuple[int, int]:
        folder = next(f for f in await self.service.list_folders(self.agent("bob"))
                      if f.id == self.team.inboxes[account])
        return folder.total, folder.unread

    async def audit(self) -> list[tuple[str, str, int | None, dict[str, object]]]:
        rows = await self.service.store.reader.fetchall(
            "SELECT action, target_kind, target_id, detail FROM audit_log "
            "WHERE action LIKE 'block.%' ORDER BY id")
        return [(r[0], r[1], r[2], json.loads(r[3])) for r in rows]


async def _fill(store: Store, team: Team) -> dict[str, int]:
    ids: dict[str, int] = {}
    for n, (key, account, sender, seen) in enumerate(MAIL):
        [ids[key]] = await ingest(
            store, account_id=team.accounts[account], folder_id=team.inboxes[account],
            items=[Incoming(make_mail(key, sender=sender, message_id=f"<{key}@x>",
                                      when=dated(n)), ("\\Seen",) if seen else ())],
        )
    return ids


@pytest.fixture
async def setup(tmp_path: Path):
    service = await LocalService.open(tmp_path / "b.db")
    team = await build_team(service.store)
    yield Setup(service, team, await _fill(service.store, team))
    await service.close()


async def test_blocking_an_address_hides_its_mail_and_unblocking_shows_it(setup) -> None:
    s, bob = setup, setup.agent("bob")
    assert await s.inbox_counts("support") == (5, 3)
    entry = await s.service.block(bob, "address", "pest@spam.example", account="support")
    assert (entry.account, entry.account_id, entry.kind, entry.value) == (
        "support", s.team.accounts["support"], "address", "pest@spam.example")
    hidden = {"pest", "pest-again"}
    assert await s.shown() == (SUPPORT | SALES) - hidden
    assert await s.shown(listing=Listing("support:INBOX")) == SUPPORT - hidden
    assert await s.shown(listing=Listing("all", threads=True)) == (SUPPORT | SALES) - hidden
    assert await s.shown(listing=Listing("all", query="from:pest")) == {"sales-pest"}
    assert await s.shown(listing=Listing("all", query="pest")) == {"sales-pest"}
    assert await s.shown(listing=Listing("all", unread_only=True)) == {
        "subdomain", "lookalike", "sales-pest", "sales-friend"}
    assert await s.inbox_counts("support") == (3, 2)
    assert await s.inbox_counts("sales") == (2, 2)  # the entry is on support only
    assert await s.service.position_in_listing(bob, Listing("all"), s.ids["pest"]) is None
    # Hidden, not destroyed: it still opens by id.
    assert (await s.service.open_message(bob, s.ids["pest"])).subject == "pest"

    removed = await s.service.unblock(bob, entry.id)
    assert removed == replace(entry, changed=removed.changed)
    assert removed.changed == entry.changed > 0  # what it hid is shown again
    assert await s.shown() == SUPPORT | SALES
    assert await s.inbox_counts("support") == (5, 3)
    assert await s.service.list_blocks(bob) == []
    assert [(a, k, t, d["hidden" if a == "block.add" else "shown"])
            for a, k, t, d in await s.audit()] == [
        ("block.add", "deny_list", entry.id, 2), ("block.remove", "deny_list", entry.id, 2)]


async def test_a_domain_covers_its_subdomains_and_nothing_else(setup) -> None:
    s, bob = setup, setup.agent("bob")
    await s.service.block(bob, "domain", "Spam.Example", account="support")
    assert await s.shown(listing=Listing("support:INBOX")) == {"lookalike", "friend"}
    assert "sales-pest" in await s.shown()
    assert (await s.audit())[0][3]["hidden"] == 3


async def test_mail_stays_hidden_while_another_entry_covers_it(setup) -> None:
    s, ann, bob = setup, setup.agent("ann"), setup.agent("bob")
    by_address = await s.service.block(bob, "address", "pest@spam.example", account="support")
    by_domain = await s.service.block(bob, "domain", "spam.example", account="support")
    everywhere = await s.service.block(ann, "address", "pest@spam.example", account=None)
    assert await s.shown() == {"lookalike", "friend", "sales-friend"}
    await s.service.unblock(bob, by_domain.id)
    assert await s.shown() == {"subdomain", "lookalike", "friend", "sales-friend"}
    await s.service.unblock(bob, by_address.id)  # the global entry still covers pest@
    assert await s.shown() == {"subdomain", "lookalike", "friend", "sales-friend"}
    assert (await s.audit())[-1][3]["shown"] == 0
    await s.service.unblock(ann, everywhere.id)
    assert await s.shown() == SUPPORT | SALES


async def test_blocking_twice_returns_the_same_entry(setup) -> None:
    s, bob = setup, setup.agent("bob")
    first = await s.service.block(bob, "address", "pest@spam.example", account="support")
    assert first.changed == 2  # the two stored messages from it
    again = await s.service.block(bob, "address", "  PEST@Spam.example ", account="support")
    assert again == replace(first, changed=0)  # nothing more to hide
    card_entry = await s.service.block_sender(bob, s.ids["pest"], "address")
    assert card_entry == replace(first, changed=0)
    assert await s.service.store.reader.scalar("SELECT count(*) FROM deny_list") == 1
    assert len(await s.audit()) == 1
    # The same value on another account is another entry.
    other = await s.service.block(bob, "address", "pest@spam.example", account="sales")
    assert other.id != first.id and other.account == "sales"


async def test_block_sender_blocks_on_the_messages_account(setup) -> None:
    s, bob = setup, setup.agent("bob")
    entry = await s.service.block_sender(bob, s.ids["subdomain"], "domain")
    assert (entry.account, entry.kind, entry.value) == ("support", "domain", "mail.spam.example")
    entry = await s.service.block_sender(bob, s.ids["sales-pest"], "address")
    assert (entry.account, entry.kind, entry.value) == ("sales", "address", "pest@spam.example")
    assert await s.shown() == SUPPORT - {"subdomain"} | {"sales-friend"}
    with pytest.raises(InvalidInputError, match="address or domain"):
        await s.service.block_sender(bob, s.ids["friend"], "customer")


async def test_a_message_without_sender_address_cannot_be_blocked(setup) -> None:
    s, bob = setup, setup.agent("bob")
    raw = (b"Subject: no sender\r\nDate: Sun, 01 Nov 2026 09:00:00 +0000\r\n"
           b"Message-ID: <anon@x>\r\n\r\nWho wrote this?\r\n")
    [message_id] = await ingest(s.service.store, account_id=s.team.accounts["support"],
                                folder_id=s.team.inboxes["support"], items=[Incoming(raw)])
    for kind in ("address", "domain"):
        with pytest.raises(InvalidInputError) as info:
            await s.service.block_sender(bob, message_id, kind)
        assert str(info.value) == f"message {message_id} has no sender address to block"


async def test_own_and_colleagues_mailboxes_cannot_be_blocked(setup) -> None:
    s, bob = setup, setup.agent("bob")
    async with s.service.store.transaction() as db:
        await accounts.insert(db, name="eu-help", email="help@eu.acme-group.example",
                              kind="shared", owner_agent_id=None)
    cases = [
        ("address", "Support@acme.example",
         "refusing to block support@acme.example: it is the address of the mailbox support"),
        ("domain", "acme.example",
         "refusing to block acme.example: the mailbox bob-mail@acme.example is on it"),
        # A colleague's mailbox bob may not see: refused, without naming it.
        ("address", "ann-mail@acme.example", "refusing to block ann-mail@acme.example: it is "
         "the address of a mailbox in this store"),
        # The mailbox is on a subdomain of the domain.
        ("domain", "acme-group.example",
         "refusing to block acme-group.example: a mailbox in this store is on it"),
    ]
    for kind, value, message in cases:
        for account in ("support", "bob-mail"):
            with pytest.raises(InvalidInputError) as info:
                await s.service.block(bob, kind, value, account=account)
            assert str(info.value) == message
    with pytest.raises(InvalidInputError, match=r"refusing to block acme\.example"):
        await s.service.block(s.agent("ann"), "domain", "acme.example", account=None)
    # The sender of a message the team sent itself.
    [own] = await ingest(s.service.store, account_id=s.team.accounts["support"],
                         folder_id=s.team.inboxes["support"], items=[Incoming(make_mail(
                             "from us", sender="Support <support@acme.example>"))])
    with pytest.raises(InvalidInputError, match=r"refusing to block acme\.example"):
        await s.service.block_sender(bob, own, "domain")
    assert await s.service.store.reader.scalar("SELECT count(*) FROM deny_list") == 0
    assert await s.audit() == []
    # A parent domain's subdomain that holds no mailbox is fine.
    entry = await s.service.block(bob, "domain", "mail.acme-group.example", account="support")
    assert entry.value == "mail.acme-group.example"


async def test_every_account_is_for_admins(setup) -> None:
    s, ann, bob = setup, setup.agent("ann"), setup.agent("bob")
    with pytest.raises(AccessDeniedError) as info:
        await s.service.block(bob, "domain", "spam.example", account=None)
    assert "only an admin" in str(info.value)
    entry = await s.service.block(ann, "domain", "spam.example", account=None)
    assert (entry.account_id, entry.account) == (None, "")
    # It covers accounts the admin does not see too.
    assert await s.shown() == {"lookalike", "friend", "sales-friend"}
    assert await s.service.list_blocks(bob) == [replace(entry, changed=0)]
    assert await s.service.list_blocks(s.agent("carol")) == [replace(entry, changed=0)]
    with pytest.raises(AccessDeniedError, match="only an admin"):
        await s.service.unblock(bob, entry.id)
    # A demoted admin loses it at once, whatever the caller's copy of the agent says.
    async with s.service.store.transaction() as db:
        await db.execute("UPDATE agents SET role = 'agent' WHERE id = ?", (ann.id,))
    with pytest.raises(AccessDeniedError):
        await s.service.unblock(ann, entry.id)
    with pytest.raises(AccessDeniedError):
        await s.service.block(ann, "domain", "other.example", account=None)


async def test_what_the_agent_may_not_see_is_not_found(setup) -> None:
    s, bob, carol = setup, setup.agent("bob"), setup.agent("carol")

    async def not_found(call) -> str:
        with pytest.raises(NotFoundError) as info:
            await call
        return str(info.value)

    # carol sees support only: sales' mail, account and entries do not exist for her.
    hidden = await not_found(s.service.block_sender(carol, s.ids["sales-pest"], "address"))
    missing = await not_found(s.service.block_sender(carol, 999_999, "address"))
    assert hidden.replace(str(s.ids["sales-pest"]), "N") == missing.replace("999999", "N")
    hidden = await not_found(s.service.block(carol, "address", "a@b.example", account="sales"))
    missing = await not_found(s.service.block(carol, "address", "a@b.example", account="nope"))
    assert hidden.replace("sales", "X") == missing.replace("nope", "X")
    entry = await s.service.block(bob, "address", "pest@spam.example", account="sales")
    hidden = await not_found(s.service.unblock(carol, entry.id))
    missing = await not_found(s.service.unblock(carol, 999_999))
    assert hidden.replace(str(entry.id), "N") == missing.replace("999999", "N")
    assert await s.service.list_blocks(carol) == []
    assert await s.service.list_blocks(bob) == [replace(entry, changed=0)]
    assert await s.service.store.reader.scalar("SELECT count(*) FROM deny_list") == 1


async def test_entries_are_listed_newest_first_with_their_account(setup) -> None:
    s, ann, bob = setup, setup.agent("ann"), setup.agent("bob")
    first = await s.service.block(bob, "address", "pest@spam.example", account="support")
    second = await s.service.block(ann, "domain", "spam.example", account=None)
    third = await s.service.block(bob, "domain", "spam.example", account="bob-mail")
    mine = await s.service.block(ann, "domain", "spam.example", account="ann-mail")
    listed = await s.service.list_blocks(bob)
    assert [e.id for e in listed] == [third.id, second.id, first.id]
    assert [e.account for e in listed] == ["bob-mail", "", "support"]
    assert [e.id for e in await s.service.list_blocks(ann)] == [mine.id, second.id]


@pytest.mark.parametrize(
    ("kind", "value", "needle"),
    [
        ("address", "no-at-sign.example", "is not an email address"),
        ("address", "@spam.example", "is not an email address"),
        ("address", "pest@", "is not an email address"),
        ("address", "two words@spam.example", "is not an email address"),
        ("address", "pest@spam..example", "is not an email address"),
        ("address", "pe\nst@spam.example", "is not an email address"),
        ("domain", "spam", "is not a domain"),
        ("domain", "pest@spam.example", "without '@'"),
        ("domain", "spam..example", "is not a domain"),
        ("domain", ".spam.example", "is not a domain"),
        ("domain", "sp am.example", "is not a domain"),
        ("domain", "spam.example\x1b[2J", "is not a domain"),
        ("domain", "x" * 300 + ".example", "is not a domain"),
        ("sender", "spam.example", "choose address or domain"),
    ],
)
async def test_bad_values_are_refused_in_one_line(setup, kind: str, value: str,
                                                  needle: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        await setup.service.block(setup.agent("bob"), kind, value, account="support")
    message = str(info.value)
    assert needle in message and "\n" not in message and "\x1b" not in message
    assert len(message) < 200


def test_values_are_stored_lower_cased() -> None:
    assert normalise("address", " Pest@Spam.Example ") == "pest@spam.example"
    assert normalise("domain", "Mail.Spam.EXAMPLE") == "mail.spam.example"


async def test_new_mail_from_a_blocked_sender_is_not_imported(setup) -> None:
    s, bob = setup, setup.agent("bob")
    await s.service.block(bob, "domain", "spam.example", account="support")
    batch = [Incoming(make_mail(key, sender=sender, message_id=f"<new-{key}@x>"))
             for key, sender in (("new-pest", "pest@spam.example"),
                                 ("new-sub", "a@deep.mail.spam.example"),
                                 ("new-lookalike", "b@notspam.example"))]
    stored = await ingest(s.service.store, account_id=s.team.accounts["support"],
                          folder_id=s.team.inboxes["support"], items=batch)
    assert len(stored) == 1
    assert "new-lookalike" in await s.shown()
    # The entry is on support: sales still imports the same mail.
    stored = await ingest(s.service.store, account_id=s.team.accounts["sales"],
                          folder_id=s.team.inboxes["sales"], items=batch)
    assert len(stored) == 3


def test_import_matching_follows_the_subdomain_rule() -> None:
    denied = Denied(frozenset({"pest@a.example"}), frozenset({"spam.example"}))
    assert denied.blocks("x@spam.example") and denied.blocks("x@Mail.SPAM.example")
    assert denied.blocks("x@a.b.spam.example") and denied.blocks("Pest@A.example")
    assert not denied.blocks("x@notspam.example")
    assert not denied.blocks("x@spam.example.org")
    assert not denied.blocks("spam.example")  # no address at all
    assert not denied.blocks("friend@a.example") and not denied.blocks("")
    merged = denied | Denied(frozenset({"b@c.example"}))
    assert merged.blocks("b@c.example") and merged.blocks("x@spam.example")


# -- the migration ------------------------------------------------------------------------

LIST_INDEXES = {
    "messages_list_date": ["date", "id", "folder_id", "account_id", "deleted", "blocked",
                           "seen", "flagged", "has_attachments", "thread_id"],
    "messages_list_folder": ["folder_id", "date", "id", "account_id", "deleted", "blocked",
                             "seen", "flagged", "has_attachments", "thread_id"],
    "messages_list_thread": ["thread_id", "date", "id", "folder_id", "account_id", "deleted",
                             "blocked", "seen", "flagged", "has_attachments"],
    "messages_list_text": ["date", "id", "folder_id", "account_id", "deleted", "blocked",
                           "seen", "flagged", "has_attachments", "thread_id", "from_addr",
                           "from_name", "subject", "to_addrs", "cc_addrs"],
}


async def _index_columns(store: Store) -> dict[str, list[str]]:
    return {
        name: [r["name"] for r in await store.reader.fetchall(
            "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,))]
        for name in LIST_INDEXES
    }


async def test_an_old_store_is_upgraded(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "old.db"
    every = migrate.known_migrations()
    before = tuple(m for m in every if m.version < 5)
    monkeypatch.setattr(migrate, "known_migrations", lambda: before)
    monkeypatch.setattr(migrate, "latest_version", lambda: before[-1].version)
    store = await Store.open(path)
    team = await build_team(store)
    ids = await _fill(store, team)
    async with store.transaction() as db:  # entries made before blocking hid mail
        await deny.add(db, account_id=team.accounts["support"], kind="address",
                       value="PEST@spam.example", created_by=None)
        await deny.add(db, account_id=None, kind="domain", value="mail.spam.example",
                       created_by=None)
    await store.close()
    monkeypatch.setattr(migrate, "known_migrations", lambda: every)
    monkeypatch.setattr(migrate, "latest_version", lambda: every[-1].version)

    service = await LocalService.open(path)
    try:
        assert await service.store.reader.scalar("PRAGMA user_version") == every[-1].version
        blocked = {key for key, message_id in ids.items() if await service.store.reader.scalar(
            "SELECT blocked FROM messages WHERE id = ?", (message_id,))}
        assert blocked == {"pest", "pest-again", "subdomain"}
        assert await _index_columns(service.store) == LIST_INDEXES
        s = Setup(service, team, ids)
        assert await s.shown() == (SUPPORT | SALES) - blocked
        assert await s.inbox_counts("support") == (2, 1)
        [old] = [e for e in await service.list_blocks(s.agent("bob")) if e.kind == "address"]
        await service.unblock(s.agent("bob"), old.id)
        assert await s.shown() == (SUPPORT | SALES) - {"subdomain"}
    finally:
        await service.close()


async def test_a_new_store_has_the_listing_indexes_with_blocked(setup) -> None:
    store = setup.service.store
    assert await _index_columns(store) == LIST_INDEXES
    assert await store.reader.scalar("SELECT count(*) FROM messages WHERE blocked = 0") == len(MAIL)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        async with store.transaction() as db:
            await db.execute("UPDATE messages SET blocked = 2")
