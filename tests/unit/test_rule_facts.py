"""What rules read of a message (read_facts): it never raises, its text is sanitised, and
the Return-Path is read as RFC 3834 needs it."""

from __future__ import annotations

import re
import time

import pytest

from engine.mime.limits import MAX_HEADER_VALUE_BYTES, MAX_SUBJECT_CHARS
from engine.rules.facts import Facts, read_facts

# C0 controls (tab and newline aside), DEL, C1 controls and the bidi overrides.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile("[\r\n]")


def texts(facts: Facts) -> list[str]:
    """Every string rules compare or show, body aside."""
    out = [facts.sender, facts.sender_name, facts.subject, *facts.to, *facts.cc,
           *facts.delivered_to, *facts.reply_to, *facts.references,
           facts.message_id or "", facts.return_path or ""]
    for name, values in facts.headers.items():
        out.append(name)
        out.extend(values)
    return out


def assert_clean(facts: Facts) -> None:
    for text in texts(facts):
        assert not _CONTROL.search(text), repr(text)
        assert not _LINE_BREAK.search(text), repr(text)
    assert not _CONTROL.search(facts.body), repr(facts.body[:200])


MALFORMED = {
    "empty": b"",
    "garbage bytes": bytes(range(256)) * 40,
    "only a blank line": b"\r\n\r\n",
    "no header/body separator": (b"From: a@b.example\r\nSubject: hi\r\n"
                                 b"this is not a header line\r\nmore body"),
    "headers only, no separator": b"From: a@b.example\r\nSubject: hi",
    "broken encoded words": (b"From: =?utf-8?q?broken <a@b.example>\r\n"
                             b"Subject: =?utf-8?b?!!!notbase64?= =?x-unknown?q?abc?= "
                             b"=?utf-8?q?=ZZ?= =?utf-8?b?\xff\xfe?=\r\n"
                             b"X-A: =?\r\nX-B: =?utf-8??=\r\n\r\nx"),
    "huge header value": (b"From: a@b.example\r\nSubject: " + b"A" * 3_000_000
                          + b"\r\n\r\nbody"),
    "huge header block": (b"".join(b"X-H%d: v\r\n" % i for i in range(200_000))
                          + b"\r\nbody"),
    "broken multipart": (b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=\r\n"
                         b"\r\n--\r\n--"),
    "nesting bomb": (b"From: a@b.example\r\n"
                     + b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n'
                                % (i, i) for i in range(200)) + b"\r\nx"),
    "unknown charsets": (b"From: a@b.example\r\nSubject: =?x-nope?b?aGk=?=\r\n"
                         b"Content-Type: text/plain; charset=x-nope\r\n\r\nhi\xff"),
    "NUL bytes": b"From: a\x00@b.example\r\nSubject: a\x00b\r\n\r\n\x00",
    "bad addresses": (b"From: <<<@@@>>>\r\nTo: ,,,;;;\"unclosed\r\nCc: @\r\n"
                      b"Delivered-To: <>\r\nReply-To: a@\r\n\r\n"),
    "bad Return-Path": b"Return-Path: <a@b.example\r\nFrom: x@y.example\r\n\r\n",
    "base64 body garbage": (b"From: a@b.example\r\nContent-Transfer-Encoding: base64\r\n"
                            b"\r\n!!!***\x00\xff==="),
}


@pytest.mark.parametrize("raw", list(MALFORMED.values()), ids=list(MALFORMED))
def test_read_facts_never_raises_on_malformed_mail(raw: bytes) -> None:
    started = time.monotonic()
    facts = read_facts(raw)
    assert time.monotonic() - started < 5
    assert isinstance(facts, Facts)
    assert_clean(facts)
    assert len(facts.subject) <= MAX_SUBJECT_CHARS
    for values in facts.headers.values():
        assert all(len(v) <= MAX_HEADER_VALUE_BYTES for v in values)
    assert facts.sender == facts.sender.lower()


def test_empty_mail_has_empty_facts() -> None:
    facts = read_facts(b"")
    assert (facts.sender, facts.subject, facts.body, facts.to, facts.headers) == (
        "", "", "", (), {})
    assert facts.return_path is None and facts.message_id is None


def test_mail_without_a_separator_keeps_its_headers() -> None:
    facts = read_facts(MALFORMED["no header/body separator"])
    assert (facts.sender, facts.subject) == ("a@b.example", "hi")
    assert "this is not a header line" in facts.body
    assert not facts.has_header("this is not a header line")


def test_huge_subject_is_bounded() -> None:
    facts = read_facts(MALFORMED["huge header value"])
    assert facts.sender == "a@b.example"
    assert 0 < len(facts.subject) <= MAX_SUBJECT_CHARS
    assert facts.body == "body"


HOSTILE = (
    b'From: "Evil\x1b[2J\xc2\x9b31m" <ev\x1b[31mil@x.example>\r\n'
    b"To: a\x1b]0;title\x07b@y.example\r\n"
    b"Delivered-To: d\x1b[1m@z.example\r\n"
    b"Return-Path: <r\x1b[5m@p.example>\r\n"
    b"Reply-To: q\x1b[1m@r.example\r\n"
    # "\x1b[2J\x1b]0;hi\x07\nX-Inject: y", base64-encoded
    b"Subject: =?utf-8?b?G1syShtdMDtoaQcKWC1JbmplY3Q6IHk=?=\r\n"
    # ESC, CSI (U+009B) and a right-to-left override, q-encoded
    b"X-Esc: =?utf-8?q?a=1B[31mb=C2=9Bc=E2=80=AEd?=\r\n"
    b"X-Raw: one\x1b[31m two\x7f three\x85 four\r\n"
    b"Message-ID: <m\x1b[1m@x>\r\n"
    b"References: <r\x1b[1m@x>\r\n"
    b"\r\n"
    b"body\x1b[31m text \xc2\x9b\x1b]8;;http://evil\x07link\r\n"
)


def test_text_is_sanitised() -> None:
    facts = read_facts(HOSTILE)
    assert_clean(facts)
    # Decoded header values lose the control sequences and their line breaks.
    assert "\x1b" not in facts.subject and "X-Inject: y" in facts.subject
    assert facts.header("x-esc") == ("abd",)
    assert "\x7f" not in facts.header("x-raw")[0]
    assert facts.return_path == "r@p.example"
    assert facts.sender_name == "Evil"


def test_addresses_and_names_are_read_and_lower_cased() -> None:
    facts = read_facts(
        b"From: =?utf-8?q?J=C3=BCrgen?= <Juergen@Example.ORG>\r\n"
        b"To: A <A@X.example>, b@x.example\r\nCc: C@X.example\r\n"
        b"Delivered-To: Support@Acme.example\r\nX-Original-To: alias@acme.example\r\n"
        b"Bcc: hidden@acme.example\r\nReply-To: R@x.example\r\n"
        b"Message-ID: <id-1@x.example>\r\nReferences: <a@x> <b@x>\r\n"
        b"Subject: Hi\r\n\r\nText\r\n")
    assert (facts.sender, facts.sender_name) == ("juergen@example.org", "Jürgen")
    assert facts.to == ("a@x.example", "b@x.example")
    assert facts.cc == ("c@x.example",)
    assert set(facts.delivered_to) == {"support@acme.example", "alias@acme.example",
                                       "hidden@acme.example"}
    assert facts.reply_to == ("r@x.example",)
    assert facts.message_id == "<id-1@x.example>"
    assert facts.references == ("<a@x>", "<b@x>")
    assert facts.header("SUBJECT") == ("Hi",) and facts.has_header("Delivered-To")


@pytest.mark.parametrize(("header", "expected"), [
    (b"Return-Path: <Bounce@Example.org>\r\n", "bounce@example.org"),
    (b"Return-Path:   <a@b.example>  \r\n", "a@b.example"),
    (b"Return-Path: a@b.example\r\n", "a@b.example"),
    (b"Return-Path: <>\r\n", ""),
    (b"Return-Path: < >\r\n", ""),
    (b"Return-Path: <a@b.example> (comment)\r\n", "a@b.example"),
    (b"", None),
])
def test_return_path(header: bytes, expected: str | None) -> None:
    facts = read_facts(b"From: x@y.example\r\n" + header + b"Subject: s\r\n\r\nb\r\n")
    assert facts.return_path == expected
