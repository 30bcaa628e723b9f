"""Who replies go to, and the addresses a person types."""

import pytest

from engine.compose import (
    Original,
    addr_spec,
    format_mailbox,
    invalid_addresses,
    parse_address_list,
    prefill_reply,
    reply_all,
    reply_to_addresses,
)

OWN = ("Support@Shop.Example", "Jane Agent <jane@shop.example>")


def _original(**fields: object) -> Original:
    base: dict[str, object] = {
        "message_id": "<m1@customer.example>",
        "subject": "Broken kettle",
        "from_name": "Carla Customer",
        "from_addr": "carla@customer.example",
        "to": ("support@shop.example",),
        "date": "2026-10-01T09:00:00Z",
        "text": "It leaks.",
    }
    base.update(fields)
    return Original(**base)  # type: ignore[arg-type]


def test_reply_goes_to_the_sender() -> None:
    assert reply_to_addresses(_original()) == ("Carla Customer <carla@customer.example>",)


def test_reply_to_header_wins_over_the_sender() -> None:
    original = _original(
        reply_to=("Returns <returns@customer.example>", "RETURNS@customer.example")
    )
    assert reply_to_addresses(original) == ("Returns <returns@customer.example>",)


def test_reply_all_drops_own_addresses_and_duplicates_ignoring_case() -> None:
    original = _original(
        to=("support@shop.example", "Bob <bob@customer.example>", "JANE@SHOP.EXAMPLE"),
        cc=("BOB@customer.example", "Carla@Customer.Example", "dave@other.example",
            "Doe, Dana <dana@other.example>"),
    )
    to, cc = reply_all(original, OWN)
    assert to == ("Carla Customer <carla@customer.example>",)
    assert cc == (
        "Bob <bob@customer.example>",
        "dave@other.example",
        '"Doe, Dana" <dana@other.example>',
    )


def test_reply_to_a_message_the_agent_sent_goes_to_its_recipients() -> None:
    original = _original(
        from_name="Jane Agent", from_addr="jane@shop.example",
        to=("Carla Customer <carla@customer.example>", "SUPPORT@shop.example"),
        cc=("Bob <bob@customer.example>",),
    )
    to, cc = reply_all(original, OWN)
    assert to == ("Carla Customer <carla@customer.example>",)
    assert cc == ("Bob <bob@customer.example>",)
    assert prefill_reply(original, own=OWN).to == to


def test_reply_to_a_note_to_self_keeps_a_recipient() -> None:
    original = _original(from_addr="jane@shop.example", to=("support@shop.example",))
    to, cc = reply_all(original, OWN)
    assert [addr_spec(m) for m in to] == ["jane@shop.example"]
    assert cc == ()


def test_plain_reply_has_no_cc_and_reply_all_has() -> None:
    original = _original(cc=("bob@customer.example",))
    assert prefill_reply(original, own=OWN).cc == ()
    assert prefill_reply(original, own=OWN, all=True).cc == ("bob@customer.example",)


def test_hostile_display_names_become_one_quoted_line() -> None:
    original = _original(from_name="Carla\r\nBcc: evil@x.example")
    (to,) = reply_to_addresses(original)
    assert to == '"Carla Bcc: evil@x.example" <carla@customer.example>'
    assert addr_spec(to) == "carla@customer.example"


def test_format_mailbox_quotes_only_when_needed() -> None:
    assert format_mailbox("Jane Doe", "jane@x.example") == "Jane Doe <jane@x.example>"
    assert format_mailbox('Doe, "JD" Jane', "jane@x.example") == (
        '"Doe, \\"JD\\" Jane" <jane@x.example>'
    )
    assert format_mailbox("", "jane@x.example") == "jane@x.example"
    assert format_mailbox("Jäne", "jane@x.example") == "Jäne <jane@x.example>"


def test_parse_address_list() -> None:
    typed = ('"Doe, Jane" <jane@x.example>; bob@y.example,Ann (sales) <ann@z.example>,, '
             "Jäne <j@bücher.example>")
    assert parse_address_list(typed) == (
        '"Doe, Jane" <jane@x.example>',
        "bob@y.example",
        '"Ann (sales)" <ann@z.example>',
        "Jäne <j@bücher.example>",
    )
    assert parse_address_list("  ") == ()


def test_parse_address_list_keeps_bad_entries_for_the_refusal() -> None:
    parsed = parse_address_list("ok@x.example, foo bar; Jane jane@x.example")
    assert parsed == ("ok@x.example", "foo bar", "Jane jane@x.example")
    assert invalid_addresses(parsed) == ["foo bar", "Jane jane@x.example"]


@pytest.mark.parametrize("entry", [
    "jane@x.example", "Jane <jane@x.example>", "root@localhost", "a.b+tag@sub.x.example",
    "j@bücher.example", '"Doe, Jane" <jane@x.example>',
])
def test_valid_addresses(entry: str) -> None:
    assert invalid_addresses([entry]) == []


@pytest.mark.parametrize("entry", [
    "jane", "jane@", "@x.example", "a@b@x.example", "jane@example", "ja ne@x.example",
    "jane@x .example", "Jane <jane@x.example>\r\nBcc: e@x.example", "jane@x.example\x00",
    "a..b@x.example", "jöhn@x.example", "jane@-x.example", "jane@x..example",
    "=?utf-8?q?=0D=0A?=@x.example", "a@x.example, b@x.example", "x" * 250 + "@x.example",
])
def test_invalid_addresses(entry: str) -> None:
    assert invalid_addresses(["ok@x.example", entry]) == [entry]
