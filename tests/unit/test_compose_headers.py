"""Header values copied from received mail into replies: cleaned, validated, bounded."""

import base64
import re

import pytest

from engine.compose import (
    Original,
    clean_header_text,
    clean_references,
    forward_subject,
    make_message_id,
    references_for,
    reply_subject,
    valid_msg_id,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Invoice\r\nBcc: attacker@evil.example", "Invoice Bcc: attacker@evil.example"),
    ("a\tb\x00c\x1bd\x7fe\x85f\u2028g", "a b c d e f g"),
    ("  lots   of\n\n space  ", "lots of space"),
    ("=?utf-8?q?Invoice=0D=0ABcc:_attacker@evil.example?=", "Invoice Bcc: attacker@evil.example"),
    ("Re: =?utf-8?b?SGFsbG8gV8O2cmxk?=", "Re: Hallo Wörld"),
    ("bad \udcff byte", "bad \ufffd byte"),
])
def test_clean_header_text(raw: str, expected: str) -> None:
    assert clean_header_text(raw) == expected


def test_encoded_word_inside_an_encoded_word_cannot_bring_a_line_break() -> None:
    inner = "=?utf-8?q?Hi=0D=0ABcc:_x@evil.example?="
    value = f"=?utf-8?b?{base64.b64encode(inner.encode()).decode()}?="
    for _ in range(4):  # nest deeper than the decoder follows
        value = f"=?utf-8?b?{base64.b64encode(value.encode()).decode()}?="
    cleaned = clean_header_text(value)
    assert "\r" not in cleaned and "\n" not in cleaned
    # What remains must be inert: decoding it again (as email.policy will) changes nothing.
    assert clean_header_text(cleaned) == cleaned


def test_clean_header_text_is_bounded_on_a_character_boundary() -> None:
    assert len(clean_header_text("x" * 5000)) == 998
    assert clean_header_text("abc def", limit=5) == "abc d"
    accented = "e\u0301" * 10  # e + combining acute: never split the pair
    cut = clean_header_text(accented, limit=5)
    assert cut == "e\u0301" * 2


@pytest.mark.parametrize(("value", "expected"), [
    ("<abc.123@mail.example>", "<abc.123@mail.example>"),
    ("  <CA+x=y/z_{}@mail.gmail.com>\r\n", "<CA+x=y/z_{}@mail.gmail.com>"),
    ("<abc@x.example>\r\nBcc: evil@x.example", None),
    ("<abc def@x.example>", None),
    ("<abc\r\n@x.example>", None),
    ("<a@x.example> <b@x.example>", None),
    ("abc@x.example", None),
    ("<abc.x.example>", None),
    ("<a@b@x.example>", None),
    ("<@x.example>", None),
    ("<=?utf-8?q?=0D=0ABcc:_x?=@x.example>", None),
    ("<é@x.example>", None),
    ("<" + "a" * 300 + "@x.example>", None),
    ("", None),
    (None, None),
])
def test_valid_msg_id(value: str | None, expected: str | None) -> None:
    assert valid_msg_id(value) == expected


@pytest.mark.parametrize(("subject", "expected"), [
    ("Order 42", "Re: Order 42"),
    ("Re: Order 42", "Re: Order 42"),
    ("RE: Order 42", "Re: Order 42"),
    ("re: Order 42", "Re: Order 42"),
    ("Re[2]: Order 42", "Re: Order 42"),
    ("Re: RE: Aw: Order 42", "Re: Order 42"),
    ("Aw: Order 42", "Re: Order 42"),
    ("SV: Order 42", "Re: Order 42"),
    ("Fwd: Order 42", "Re: Fwd: Order 42"),
    ("Regarding: Order 42", "Re: Regarding: Order 42"),
    ("", "Re:"),
    ("Invoice\r\nBcc: attacker@evil.example", "Re: Invoice Bcc: attacker@evil.example"),
])
def test_reply_subject(subject: str, expected: str) -> None:
    assert reply_subject(subject) == expected


@pytest.mark.parametrize(("subject", "expected"), [
    ("Order 42", "Fwd: Order 42"),
    ("Fwd: Order 42", "Fwd: Order 42"),
    ("Fw: Order 42", "Fwd: Order 42"),
    ("FWD: FW: Order 42", "Fwd: Order 42"),
    ("Re: Order 42", "Fwd: Re: Order 42"),
    ("a\nb", "Fwd: a b"),
])
def test_forward_subject(subject: str, expected: str) -> None:
    assert forward_subject(subject) == expected


def test_references_for_appends_the_message_id_once_keeping_order() -> None:
    original = Original(
        message_id="<c@x.example>",
        references=("<a@x.example>", "<bad id@x.example>", "<b@x.example>", "<a@x.example>",
                    "<c@x.example>", "<x@y>\r\nBcc: evil@x.example"),
    )
    assert references_for(original) == "<a@x.example> <b@x.example> <c@x.example>"


def test_references_for_uses_in_reply_to_without_references() -> None:
    original = Original(message_id="<c@x.example>", in_reply_to="<b@x.example>")
    assert references_for(original) == "<b@x.example> <c@x.example>"


def test_references_for_hostile_message_id_gives_nothing() -> None:
    assert references_for(Original(message_id="<a@x.example>\r\nBcc: e@x.example")) == ""


def test_references_keep_the_root_and_the_newest_within_bounds() -> None:
    ids = tuple(f"<{i:03d}.{'r' * 40}@x.example>" for i in range(100))
    value = references_for(Original(message_id="<new@x.example>", references=ids))
    kept = value.split(" ")
    assert len(value) <= 900
    assert kept[0] == ids[0]
    assert kept[-2:] == [ids[-1], "<new@x.example>"]
    assert kept[1:-1] == list(ids[100 - len(kept) + 2 :])  # a contiguous newest run


def test_clean_references_drops_invalid_ids() -> None:
    assert clean_references("<a@x.example>  junk <b c@x> <b@x.example>") == (
        "<a@x.example> <b@x.example>"
    )


def test_make_message_id() -> None:
    first = make_message_id("Agent@Support.Example.com")
    assert re.fullmatch(r"<[0-9a-f]{32}@support\.example\.com>", first)
    assert valid_msg_id(first) == first
    assert make_message_id("support.example.com") != make_message_id("support.example.com")
    assert make_message_id("x@bücher.example").endswith("@xn--bcher-kva.example>")


@pytest.mark.parametrize("domain", ["", "localhost", "bad domain.example", "x@-a.example",
                                    "a\r\nb.example", "x@[127.0.0.1]"])
def test_make_message_id_falls_back_for_unusable_domains(domain: str) -> None:
    assert make_message_id(domain).endswith("@frontdesk.invalid>")
