from datetime import datetime

from imapclient.response_parser import parse_fetch_response

from engine.sync.fetch_parser import parse_fetch


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
