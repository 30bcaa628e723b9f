from datetime import UTC, datetime, timedelta

import pytest
from imapclient.datetime_util import parse_to_datetime
from imapclient.response_parser import parse_fetch_response

from engine.sync.fetch_parser import internal_date, parse_fetch


def slow(data):
    parsed = dict(parse_fetch_response(data, False, True))
    for values in parsed.values():
        if b"MODSEQ" in values:
            values[b"MODSEQ"] = values[b"MODSEQ"][0]
    return parsed


def test_literal_and_simple_items_match_imapclient() -> None:
    data = [
        (b'7 (UID 42 FLAGS (\\Seen $Label1) INTERNALDATE "24-Oct-2026 22:25:39 +0200" '
         b"RFC822.SIZE 12 MODSEQ (81) BODY[HEADER] {12}", b"Subject: x\r\n"),
        b")",
        b"8 (UID 43 FLAGS () MODSEQ (90))",
    ]
    fast = parse_fetch(data)
    assert fast == slow(data)
    assert fast is not None
    assert fast[42][b"BODY[HEADER]"] == b"Subject: x\r\n"
    assert fast[42][b"FLAGS"] == (b"\\Seen", b"$Label1")
    assert isinstance(fast[42][b"INTERNALDATE"], datetime)
    assert fast[42][b"INTERNALDATE"].utcoffset() is not None
    assert fast[43][b"FLAGS"] == ()


def test_unknown_shapes_fall_back() -> None:
    assert parse_fetch([b"7 (UID 1 X-GM-LABELS (\\Inbox))"]) is None
    assert parse_fetch([b'7 (UID 1 ENVELOPE ("a" NIL))']) is None
    # literal size that does not match what arrived
    assert parse_fetch([(b"7 (UID 1 BODY[] {10}", b"short"), b")"]) is None
    # no UID
    assert parse_fetch([b"7 (FLAGS (\\Seen))"]) is None
    # unterminated
    assert parse_fetch([(b"7 (UID 1 BODY[] {2}", b"ab")]) is None
    assert parse_fetch([b"garbage"]) is None


def test_nil_body_and_empty_response() -> None:
    data = [b"3 (UID 9 BODY[] NIL)"]
    assert parse_fetch(data) == slow(data) == {9: {b"SEQ": 3, b"BODY[]": None}}
    assert parse_fetch([]) == {}


@pytest.mark.parametrize("text", [
    b"24-Oct-2026 22:25:39 +0200",
    b" 4-Oct-2026 01:05:00 -0930",
    b"4-feb-1999 23:59:59 +1345",
    b"29-Feb-2024 00:00:00 -0000",
])
def test_internal_date_is_the_same_moment_as_imapclients_in_utc(text: bytes) -> None:
    found = internal_date(text)
    assert found == parse_to_datetime(text, normalise=False)
    assert found.utcoffset() == timedelta(0)


def test_internal_date_of_another_form_goes_to_the_general_parser() -> None:
    # RFC 2822 form, which some servers send: not the IMAP form, still read.
    assert internal_date(b"Sat, 24 Oct 2026 22:25:39 +0200") == datetime(
        2026, 10, 24, 20, 25, 39, tzinfo=UTC)


@pytest.mark.parametrize("text", [b"31-Feb-2026 04:58:33 +0100", b"24-Foo-2026 04:58:33 +0100"])
def test_internal_date_that_is_no_date_raises_value_error(text: bytes) -> None:
    with pytest.raises(ValueError):
        internal_date(text)


@pytest.mark.parametrize("items", [
    b'UID 5 FLAGS () INTERNALDATE "1-Jan-2026 00:00:00 +0000" RFC822.SIZE 99 '
    b"BODY[HEADER.FIELDS (SUBJECT FROM)] {12}",
    b'UID 5 FLAGS (\\Seen) INTERNALDATE "1-Jan-2026 00:00:00 -0130" RFC822.SIZE 99 '
    b"MODSEQ (7) BODY[HEADER.FIELDS (SUBJECT FROM)] {12}",
    b'BODY[HEADER.FIELDS (SUBJECT FROM)] {12}',
    b'FLAGS (\\Seen) UID 5 RFC822.SIZE 99 INTERNALDATE "1-Jan-2026 00:00:00 +0000" '
    b"BODY[HEADER.FIELDS (SUBJECT FROM)] {12}",
])
def test_header_fetches_in_any_order_match_imapclient(items: bytes) -> None:
    # Dovecot's order is read in one match, any other item by item: the same result.
    data = [(b"3 (" + items, b"Subject: x\r\n"), b" UID 5)" if b"UID" not in items else b")"]
    fast = parse_fetch(data)
    assert fast is not None
    assert fast == slow(data)


def test_a_header_record_with_a_wrong_literal_size_or_date_falls_back() -> None:
    record = (b'3 (UID 5 FLAGS () INTERNALDATE "%s" RFC822.SIZE 99 '
              b"BODY[HEADER.FIELDS (SUBJECT)] {%d}")
    assert parse_fetch([(record % (b"1-Jan-2026 00:00:00 +0000", 13), b"Subject: x\r\n"),
                        b")"]) is None
    assert parse_fetch([(record % (b"31-Feb-2026 00:00:00 +0000", 12), b"Subject: x\r\n"),
                        b")"]) is None
