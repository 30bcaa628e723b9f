"""A small team store with mail chosen to exercise listings and every search operator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from engine.ingest import Incoming, ingest
from storage import Store, folders
from tests.store_factory import Team, build_team, make_mail


def day(n: int) -> datetime:
    """2026-10-01 09:00 UTC plus n days."""
    return datetime(2026, 10, 1, 9, 0, tzinfo=UTC) + timedelta(days=n)


def mail(
    subject: str, *, sender: str, when: datetime, body: str = "Hello.",
    to: str = "support@acme.example", cc: str = "", message_id: str | None = None,
    in_reply_to: str | None = None, attachment: str | None = None,
) -> bytes:
    return make_mail(subject, sender=sender, when=when, body=body, to=to, cc=cc,
                     message_id=message_id, in_reply_to=in_reply_to, attachment=attachment)


ALICE = "Alice Buyer <alice@acme-buyer.example>"

# key: (account, folder, raw, flags, headers_only)
_SPECS: dict[str, tuple[str, str, bytes, tuple[str, ...], bool]] = {
    "archived": ("support", "Archive", mail(
        "Old zeppelin order", sender=ALICE, when=day(-11), body="An archived zeppelin."),
        ("\\Seen",), False),
    "invoice": ("support", "INBOX", mail(
        "Invoice 42 is wrong", sender=ALICE, when=day(0), message_id="<inv@x>",
        body="The invoice lists a zeppelin we never ordered."), ("\\Seen",), False),
    "injection": ("support", "INBOX", mail(
        "Weird NEAR( syntax", sender="Fay <fay@odd.example>", when=day(1),
        body='col:x ^start "quoted* text 50%_off'), ("\\Seen",), False),
    "reset": ("support", "INBOX", mail(
        "Password reset", sender="Carl Chen <carl@other.example>", when=day(2),
        to="help@acme.example", cc="Ops Team <ops@acme.example>", message_id="<reset@x>",
        body="I cannot log in."), ("\\Flagged",), False),
    "tie": ("support", "INBOX", mail(
        "Tie breaker", sender="Gus <gus@other.example>", when=day(2), body="Same second.",
        in_reply_to="<reset@x>"),
        ("\\Seen",), False),
    "attach": ("support", "INBOX", mail(
        "Signed contract", sender="Erin <erin@partner.example>", when=day(3),
        body="Contract attached.", attachment="contract.pdf"), ("\\Seen",), False),
    "reply": ("support", "INBOX", mail(
        "Re: Invoice 42 is wrong", sender=ALICE, when=day(4), message_id="<reply@x>",
        in_reply_to="<inv@x>", body="Still waiting for a corrected invoice."), (), False),
    "pending": ("support", "INBOX", mail(
        "Late invoice reminder", sender="Dora Diaz <dora@acme-buyer.example>", when=day(5),
        body="This body has not arrived yet."), (), True),
    "muller": ("support", "INBOX", mail(
        "Rückfrage zur Rechnung", sender="Jörg Müller <joerg@mueller.example>", when=day(6),
        body="Bitte prüfen."), ("\\Seen",), False),
    "bob_private": ("bob-mail", "INBOX", mail(
        "Zeppelin hangar lease", sender="Landlord <landlord@hangar.example>", when=day(7),
        to="bob-mail@acme.example", body="The zeppelin hangar lease is due."), (), False),
    "sales_lead": ("sales", "INBOX", mail(
        "Bulk zeppelin order", sender=ALICE, when=day(8), to="sales@acme.example",
        body="A zeppelin quote, please."), (), False),
    "ann_private": ("ann-mail", "INBOX", mail(
        "Re: Invoice 42 is wrong", sender=ALICE, when=day(9), to="ann-mail@acme.example",
        in_reply_to="<reply@x>", message_id="<ann@x>",
        body="Only ann may read about this zeppelin."), (), False),
    "ann_midnight": ("ann-mail", "INBOX", mail(
        "On the stroke of midnight", sender="Hal <hal@other.example>",
        when=datetime(2026, 10, 3, tzinfo=UTC), to="ann-mail@acme.example"), (), False),
}


@dataclass
class ListingStore:
    team: Team
    ids: dict[str, int]
    folders: dict[tuple[str, str], int]

    def key_of(self, message_id: int) -> str:
        return next(k for k, v in self.ids.items() if v == message_id)


async def build_listing_store(store: Store) -> ListingStore:
    """build_team's people and accounts, a support Archive folder, and the mail above
    (each with a UID, so flag changes go to the server)."""
    team = await build_team(store)
    folder_ids = {(name, "INBOX"): fid for name, fid in team.inboxes.items()}
    async with store.transaction() as db:
        folder_ids[("support", "Archive")] = await folders.insert(
            db, account_id=team.accounts["support"], name="Archive", role="archive"
        )
    ids: dict[str, int] = {}
    for uid, (key, (account, folder, raw, flags, headers_only)) in enumerate(
        _SPECS.items(), 1
    ):
        stored = await ingest(
            store, account_id=team.accounts[account], folder_id=folder_ids[(account, folder)],
            items=[Incoming(raw, flags, uid=uid, uidvalidity=7, headers_only=headers_only)],
        )
        ids[key] = stored[0]
    return ListingStore(team, ids, folder_ids)
