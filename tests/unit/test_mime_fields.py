"""Header readers: the fast forms agree with the general parsers they stand in for."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from engine.mime.fields import read_date
from engine.mime.headers import HeaderBlock, _line_by_line, _well_formed, parse_header_block


def _general_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None


def _date_block(value: str) -> HeaderBlock:
    return HeaderBlock({"date": [value.encode()]})


def test_plain_dates_read_as_the_stdlib_reads_them() -> None:
    rng = random.Random(11)
    days = ["", "Mon, ", "thu, ", "Fri,", "Xyz, "]
    months = ["Jan", "feb", "AUG", "Dec", "Foo"]
    years = ["2026", "1999", "0001", "0099", "0100", "9999", "26", "12026"]
    zones = ["+0000", "-0000", "-0300", "+1400", "+2359", "+2400", "-2400", "+0099", "GMT",
             "EST", "+0000 (UTC)"]
    for _ in range(5000):
        value = (f"{rng.choice(days)}{rng.randint(0, 32)} {rng.choice(months)} "
                 f"{rng.choice(years)} {rng.randint(0, 25):02d}:{rng.randint(0, 60):02d}"
                 f":{rng.randint(0, 61):02d} {rng.choice(zones)}")
        assert read_date(_date_block(value)) == _general_date(value), value


def test_a_plain_date_becomes_utc() -> None:
    got = read_date(_date_block("Mon, 03 Aug 2026 09:40:44 -0300"))
    assert got == datetime(2026, 8, 3, 12, 40, 44, tzinfo=UTC)
    assert read_date(_date_block("31 Dec 9999 23:00:00 -1200")) is None  # past year 9999


def _fields(block: HeaderBlock) -> dict[str, list[str]]:
    return {name: block.get_all(name) for name in block.names()}


def test_well_formed_blocks_read_as_line_by_line_reads_them() -> None:
    pieces = [
        b"From: a@b.example\r\n", b"To: x@y.example,\r\n\tz@y.example\r\n", b"Subject:\tTabs\r\n",
        b"X-Spaced : value\r\n", b"Bad Name: v\r\n", b"no colon\r\n", b"\r\n", b"\n",
        b"From mbox line 10:00\r\n", b" continued\r\n", b"Subject: again\n", b"Empty:\r\n",
        b"K: \xc3\xa9\r\n", b":novalue\r\n", b"Tail: end",
    ]
    rng = random.Random(5)
    fast_seen = 0
    for _ in range(5000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 8)))
        fast = _well_formed(data)
        for stop in (False, True):
            block, stopped = parse_header_block(data, stop_at_garbage=stop)
            slow, slow_stopped = _line_by_line(data, stop)
            assert (_fields(block), stopped) == (_fields(slow), slow_stopped), data
            if fast is not None:
                assert _fields(HeaderBlock(fast)) == _fields(slow), data
        fast_seen += fast is not None
    assert fast_seen > 500  # the shortcut is taken, not only the fallback


def test_a_line_that_is_no_field_ends_the_shortcut_at_once() -> None:
    # A long run without a colon must not be searched from every position.
    data = b"a" * 200_000 + b": x\r\nb: y"
    assert _well_formed(data) is not None
    assert _well_formed(b"x" * 200_000) is None
    block, _ = parse_header_block(b"Subject: s\r\n" + b"y" * 200_000 + b"\r\nTo: t@x")
    assert block.get("subject") == "s" and block.get("to") == "t@x"


def test_content_fields_are_the_lines_an_anchored_expression_finds() -> None:
    import re

    from engine.mime.headers import content_fields

    anchored = re.compile(rb"(?im)^content-[^:\r\n]*:[^\n]*(?:\n[ \t][^\n]*)*")
    pieces = [b"Content-Type: text/plain;\r\n charset=utf-8\r\n", b"CONTENT-ID: <x>\n",
              b"content-disposition: attachment\r\n", b"Received: from x\r\n\tby y\r\n",
              b"X-Content-Type: no\r\n", b"Content-NoColon\r\n", b" content-folded: no\r\n",
              b"Subject: content-type: no\r\n", b"\r\n", b"Content-Type:", b"\n"]
    rng = random.Random(9)
    for _ in range(3000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 7)))
        assert content_fields(data) == b"\n".join(m.group() for m in anchored.finditer(data))


def test_snippets_read_from_the_first_lines_equal_those_read_further() -> None:
    from engine.mime.envelope import _snippet
    from engine.mime.limits import SNIPPET_CHARS

    atoms = ["word", "a", "  ", "\n", "\t", "x" * 60, "é", "\u3000", "\r\n", " "]
    rng = random.Random(1)
    for _ in range(20_000):
        text = "".join(rng.choice(atoms) for _ in range(rng.randint(0, 300)))
        full = " ".join(text[: SNIPPET_CHARS * 8].split())[:SNIPPET_CHARS]
        assert _snippet(text) == full, repr(text)


def test_remembered_addresses_are_those_parsed_afresh() -> None:
    from engine.mime import addresses

    values = ['"Doe, John" <j@x.example>', "=?utf-8?b?w6k=?= <e@x.example>", "a@b, , c@d",
              "undisclosed-recipients:;", "Dana <dana@acme.example>", "\x1b[31m <r@x>",
              "x" * 300 + " <long@x.example>"]
    for value in values * 2:  # the second round is answered from memory
        assert addresses.parse_addresses([value]) == tuple(addresses._parse_value(value))
    found = addresses.parse_addresses(["Dana <dana@acme.example>"])
    assert isinstance(found, tuple) and isinstance(found[0], tuple)  # shared, so immutable
