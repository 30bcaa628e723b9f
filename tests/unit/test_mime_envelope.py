"""engine.mime.parse_envelope: the sync-time summary. Never raises, never leaks controls."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from engine.mime import (
    UNREADABLE_SUBJECT,
    Address,
    Envelope,
    clean_msg_id,
    msg_id_list,
    parse_body,
    parse_envelope,
)
from engine.mime import envelope as envelope_module
from engine.mime.limits import ENVELOPE_TEXT_MAX_CHARS, MAX_REFERENCES, SNIPPET_CHARS

EVIL = "\x1b]52;c;ZXZpbA==\x07Pay \x1b[2J\x1b[31mnow\x1b[0m\x9b31m\x9d0;t\x9c \u202eexe.pdf"


def b64_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def raw_message(*headers: str, body: str | bytes = "Hello.\r\n") -> bytes:
    head = "\r\n".join(headers).encode("utf-8")
    return head + b"\r\n\r\n" + (body.encode("utf-8") if isinstance(body, str) else body)


def envelope_strings(env: Envelope) -> list[str]:
    addresses = [env.sender, *env.to, *env.cc, *env.reply_to]
    return [
        env.subject, env.text, env.snippet, env.error or "", env.message_id or "",
        env.in_reply_to or "", *env.references,
        *(a.name for a in addresses), *(a.addr for a in addresses),
    ]


def assert_no_controls(env: Envelope) -> None:
    for text in envelope_strings(env):
        assert not any(ch == "\x1b" or "\x80" <= ch <= "\x9f" for ch in text), repr(text)
        assert "\u202e" not in text


def support_message() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Åsa Lindström <asa@customer.example>"
    msg["To"] = "Support <support@acme.example>, dana@acme.example"
    msg["Cc"] = '"Reyes, Dana" <dana@acme.example>'
    msg["Reply-To"] = "tickets@customer.example"
    msg["Subject"] = "Re: Order #1234 — café délivré 中文"
    msg["Date"] = "Tue, 14 May 2024 09:30:00 +0200"
    msg["Message-ID"] = "<order-1234.reply@customer.example>"
    msg["In-Reply-To"] = "<order-1234@acme.example>"
    msg["References"] = "<root@acme.example> <order-1234@acme.example>"
    msg.set_content("Hi team,\n\nthe parcel  arrived\tdamaged.\n\nÅsa\n")
    msg.add_alternative("<p>Hi team,</p><p>the parcel arrived <b>damaged</b>.</p>", subtype="html")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                       filename="photo.pdf")
    return msg.as_bytes(policy=SMTP)


def test_normal_message() -> None:
    env = parse_envelope(support_message())
    assert env.error is None
    assert env.message_id == "<order-1234.reply@customer.example>"
    assert env.in_reply_to == "<order-1234@acme.example>"
    assert env.references == ("<root@acme.example>", "<order-1234@acme.example>")
    assert env.subject == "Re: Order #1234 — café délivré 中文"
    assert env.sender == Address("Åsa Lindström", "asa@customer.example")
    assert env.sender.display() == "Åsa Lindström <asa@customer.example>"
    assert env.to == (Address("Support", "support@acme.example"), Address("", "dana@acme.example"))
    assert env.cc == (Address("Reyes, Dana", "dana@acme.example"),)
    assert env.reply_to == (Address("", "tickets@customer.example"),)
    assert env.date == datetime(2024, 5, 14, 7, 30, tzinfo=UTC)
    assert env.has_attachments is True
    assert env.text == "Hi team,\n\nthe parcel  arrived\tdamaged.\n\nÅsa"
    assert env.snippet == "Hi team, the parcel arrived damaged. Åsa"
    assert env.auto_submitted is False and env.list_mail is False


def test_envelope_and_body_agree_on_normal_mail() -> None:
    raw = support_message()
    env, body = parse_envelope(raw), parse_body(raw)
    shown = dict(body.headers)
    assert shown["Subject"] == env.subject
    assert shown["From"] == env.sender.display()
    assert env.text == body.text
    assert env.has_attachments == bool(body.attachments)


def test_hostile_encoded_subject_and_name() -> None:
    raw = raw_message(
        f"From: {b64_word(EVIL)} <billing@evil.example>",
        f"To: {b64_word('[@click=app.quit]Agent')} <agent@acme.example>",
        f"Subject: {b64_word(EVIL + ' [@click=app.quit]')}",
        "Message-ID: <evil@x>",
        body="Body \x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[8mhidden\x1b[0m\r\n",
    )
    env = parse_envelope(raw)
    assert_no_controls(env)
    assert env.subject == "Pay now exe.pdf [@click=app.quit]"
    assert env.sender == Address("Pay now exe.pdf", "billing@evil.example")
    assert env.to[0].name == "[@click=app.quit]Agent"  # markup stays literal text
    assert env.text == "Body click hidden"


def test_encoded_crlf_in_subject_stays_on_one_line() -> None:
    env = parse_envelope(raw_message("Subject: =?utf-8?q?a=0D=0ABcc:_x@y?=", "Message-ID: <m@x>"))
    assert env.subject == "a Bcc: x@y"


def test_raw_utf8_and_windows_1252_headers() -> None:
    raw = b"From: J\xc3\xb6rg <j@x.example>\r\nSubject: caf\xe9 \x93quoted\x94\r\n\r\nx"
    env = parse_envelope(raw)
    assert env.sender.name == "Jörg"
    assert env.subject == "café “quoted”"


def test_encoded_words_split_inside_a_character_are_joined() -> None:
    word = "中文".encode()
    first, second = base64.b64encode(word[:2]).decode(), base64.b64encode(word[2:]).decode()
    env = parse_envelope(raw_message(f"Subject: =?utf-8?b?{first}?=\r\n =?utf-8?b?{second}?= ok"))
    assert env.subject == "中文 ok"


def test_header_line_without_colon_does_not_lose_later_headers() -> None:
    raw = raw_message(
        "From: a@b.example", "this line has no colon", "Message-ID: <after@x>", "Subject: hi"
    )
    env = parse_envelope(raw)
    assert env.message_id == "<after@x>"
    assert env.subject == "hi"
    assert env.text == "Hello."


def test_missing_blank_line_starts_body_at_first_non_header_line() -> None:
    env = parse_envelope(b"Subject: s\r\nMessage-ID: <m@x>\r\nHello there\r\nsecond line\r\n")
    assert env.subject == "s"
    assert env.text == "Hello there\nsecond line"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 14 May 2024 09:30:00 +0200", datetime(2024, 5, 14, 7, 30, tzinfo=UTC)),
        ("14 May 2024 09:30:00 -0000", datetime(2024, 5, 14, 9, 30, tzinfo=UTC)),
        ("not a date", None),
        ("Tue, 99 Foo 2024 99:99:99 +9999", None),
        ("", None),
    ],
)
def test_date(value: str, expected: datetime | None) -> None:
    env = parse_envelope(raw_message(f"Date: {value}", "Message-ID: <d@x>"))
    assert env.date == expected
    assert env.message_id == "<d@x>"


def test_missing_headers() -> None:
    env = parse_envelope(b"\r\njust a body")
    assert env.message_id is None and env.date is None and env.subject == ""
    assert env.sender == Address("", "") and env.sender.display() == ""
    assert env.text == "just a body"


def test_unterminated_encoded_word_is_left_as_written() -> None:
    env = parse_envelope(raw_message("Subject: =?utf-8?q?never_closed", "Message-ID: <u@x>"))
    assert env.subject == "=?utf-8?q?never_closed"
    assert env.message_id == "<u@x>"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<abc@example.com>", "<abc@example.com>"),
        ("  <abc@example.com>  (comment)", "<abc@example.com>"),
        ("<first@x> <second@x>", "<first@x>"),
        ("bare@example.com", "<bare@example.com>"),
        ("<a b@x>", None),
        ("<a\r\nBcc: x@y>", None),
        ("<a\x1b[31m@x>", None),
        ("<caf\u00e9@x>", None),
        ("<>", None),
        ("<" + "a" * 997 + ">", None),
        ("<" + "a" * 996 + ">", "<" + "a" * 996 + ">"),
        ("no id here", None),
        ("", None),
        (None, None),
    ],
)
def test_clean_msg_id(value: str | None, expected: str | None) -> None:
    assert clean_msg_id(value) == expected


def test_references_are_bounded_keeping_root_and_latest() -> None:
    ids = [f"<r{i}@x>" for i in range(200)]
    references = "References: " + "\r\n ".join(ids)
    env = parse_envelope(raw_message(references, "In-Reply-To: junk <r199@x>"))
    assert len(env.references) == MAX_REFERENCES
    assert env.references[0] == "<r0@x>" and env.references[-1] == "<r199@x>"
    assert env.in_reply_to == "<r199@x>"
    assert msg_id_list("<ok@x> <bad id@x> <ok2@x>") == ("<ok@x>", "<ok2@x>")


@pytest.mark.parametrize(
    ("headers", "auto", "listed"),
    [
        (["Auto-Submitted: auto-replied"], True, False),
        (["Auto-Submitted: no"], False, False),
        (["Auto-Submitted: No ; comment"], False, False),
        (["X-Autoreply: yes"], True, False),
        (["X-Autorespond: x"], True, False),
        (["List-Id: <news.example.com>"], False, True),
        (["List-Unsubscribe: <mailto:u@x>"], False, True),
        (["Precedence: bulk"], False, True),
        (["Precedence: Junk"], False, True),
        (["Precedence: first-class"], False, False),
    ],
)
def test_auto_submitted_and_list_flags(headers: list[str], auto: bool, listed: bool) -> None:
    env = parse_envelope(raw_message(*headers))
    assert (env.auto_submitted, env.list_mail) == (auto, listed)


def _single_part(charset: str, encoding: str, payload: bytes) -> bytes:
    return (
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: " + encoding.encode() + b"\r\n\r\n" + payload
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            _single_part("iso-8859-1", "quoted-printable", b"Gr=FC=DFe, caf=E9 =\r\nsoft"),
            "Grüße, café soft",
        ),
        (_single_part("windows-1252", "8bit", b"\x93smart\x94 \x80 caf\xe9"), "“smart” € café"),
        (_single_part('"utf-8"', "base64", base64.encodebytes("中文 🎉".encode())), "中文 🎉"),
        (_single_part("x-foo", "8bit", b"caf\xc3\xa9"), "café"),  # unknown charset, UTF-8 bytes
        (_single_part("x-foo", "8bit", b"caf\xe9"), "café"),  # unknown charset, legacy bytes
        (_single_part("utf-8", "8bit", b"bad \xff utf8"), "bad \ufffd utf8"),
        (_single_part("base64", "8bit", b"not a charset"), "not a charset"),
    ],
    ids=["latin1-qp", "cp1252", "utf8-b64", "unknown-utf8", "unknown-legacy", "bad-utf8",
         "codec-not-charset"],
)
def test_charsets(raw: bytes, expected: str) -> None:
    env = parse_envelope(raw)
    assert env.text == expected
    assert parse_body(raw).text == expected


def test_html_only_message_is_indexed_as_text() -> None:
    raw = raw_message(
        "Content-Type: text/html; charset=utf-8",
        body="<html><head><style>x{}</style></head><body><p>Hello <b>there</b></p>"
        "<script>steal()</script><a href='https://x.example'>link</a></body></html>",
    )
    env = parse_envelope(raw)
    assert env.text == "Hello there\n\nlink [1]"
    assert env.has_attachments is False


def multipart(*parts: bytes, subtype: str = "mixed", boundary: str = "BOUND") -> bytes:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
    return (
        b"Message-ID: <mp@x>\r\nContent-Type: multipart/" + subtype.encode()
        + b"; boundary=\"" + boundary.encode() + b"\"\r\n\r\npreamble\r\n" + body
        + b"--" + boundary.encode() + b"--\r\nepilogue\r\n"
    )


@pytest.mark.parametrize(
    ("part", "attached"),
    [
        (b"Content-Type: application/pdf\r\n\r\nxx", True),
        (b"Content-Type: text/plain\r\nContent-Disposition: attachment\r\n\r\nnotes", True),
        (b"Content-Type: text/plain; name=log.txt\r\n\r\nlog", True),
        (b"Content-Type: image/png\r\nContent-ID: <img1>\r\n\r\nxx", True),
        (b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\ninner body", True),
        (b"Content-Type: text/plain\r\n\r\nsecond text part", False),
    ],
)
def test_attachment_detection(part: bytes, attached: bool) -> None:
    raw = multipart(b"Content-Type: text/plain\r\n\r\nmain text", part)
    env = parse_envelope(raw)
    assert env.has_attachments is attached
    assert env.text.startswith("main text")
    assert "inner body" not in env.text  # an attached message is not our body
    assert bool(parse_body(raw).attachments) is attached


def test_truncated_multipart() -> None:
    raw = (
        b"Message-ID: <mp@x>\r\nContent-Type: multipart/mixed; boundary=BOUND\r\n\r\n"
        b"--BOUND\r\nContent-Type: text/plain\r\n\r\nfirst\r\n"
        b"--BOUND\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64"
        b"\r\n\r\nJVBERi0xLj"  # cut mid-part, mid-base64 quantum, no close delimiter
    )
    env = parse_envelope(raw)
    assert env.message_id == "<mp@x>"
    assert env.text == "first"
    assert env.has_attachments is True


def test_deeply_nested_multipart() -> None:
    body = b"Content-Type: text/plain\r\n\r\nleaf text"
    for depth in range(99, -1, -1):
        body = (
            b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n%s\r\n--b%d--" %
            (depth, depth, body, depth)
        )
    env = parse_envelope(b"Message-ID: <deep@x>\r\n" + body)
    assert env.message_id == "<deep@x>"
    assert isinstance(env.text, str)


def test_ten_thousand_parts() -> None:
    parts = [b"Content-Type: text/plain\r\n\r\npart %d" % i for i in range(10_000)]
    env = parse_envelope(multipart(*parts))
    assert env.message_id == "<mp@x>"
    assert env.text.startswith("part 0\n\npart 1")
    assert len(env.text) <= ENVELOPE_TEXT_MAX_CHARS


def test_five_megabyte_header_block() -> None:
    junk = b"".join(b"X-Junk-%d: %s\r\n" % (i, b"v" * 90) for i in range(52_000))
    raw = b"Message-ID: <big@x>\r\nSubject: big\r\n" + junk + b"\r\nthe body"
    assert len(raw) > 5_000_000
    env = parse_envelope(raw)
    assert env.message_id == "<big@x>" and env.subject == "big"
    assert env.text == "the body"


def test_huge_single_line_header_and_body() -> None:
    subject = b"Subject: " + b"=?utf-8?q?a" * 200_000
    raw = b"Message-ID: <x@x>\r\n" + subject + b"\r\n\r\n" + b"y" * 3_000_000
    env = parse_envelope(raw)
    assert env.message_id == "<x@x>"
    assert len(env.subject) <= 1000
    assert len(env.text) == ENVELOPE_TEXT_MAX_CHARS


def test_snippet_is_short_and_single_line() -> None:
    env = parse_envelope(raw_message(body="word\r\n\r\n\tnext  " * 200))
    assert len(env.snippet) <= SNIPPET_CHARS
    assert env.snippet.startswith("word next word next")


def test_unreadable_message_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(raw: bytes) -> object:
        raise RuntimeError("boom \x1b[31m")

    monkeypatch.setattr(envelope_module, "split_message", explode)
    env = parse_envelope(b"Subject: s\r\nMessage-ID: <salvaged@x>\r\n\r\nbody")
    assert env.subject == UNREADABLE_SUBJECT
    assert env.message_id == "<salvaged@x>"
    assert env.error is not None and "RuntimeError" in env.error
    assert_no_controls(env)


def test_one_bad_header_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(block: object) -> str:
        raise ValueError("bad subject")

    monkeypatch.setattr(envelope_module, "read_subject", explode)
    env = parse_envelope(support_message())
    assert env.subject == ""
    assert env.message_id == "<order-1234.reply@customer.example>"
    assert env.sender.addr == "asa@customer.example"
    assert env.error is not None and "Subject" in env.error


def test_random_mutations_never_raise() -> None:
    rng = random.Random(99)
    base = support_message()
    for _ in range(300):
        data = bytearray(base)
        for _ in range(rng.randint(1, 20)):
            pos = rng.randrange(len(data))
            data[pos] = rng.choice(b"\r\n:;=?<>\"\\ -\x1b\x00\xff\x9b")
        data = data[: rng.randint(0, len(data))]
        env = parse_envelope(bytes(data))
        assert isinstance(env, Envelope)
        assert_no_controls(env)


def test_body_summary_agrees_with_the_envelope_on_the_corpus() -> None:
    from engine.corpus import generate_corpus
    from engine.mime import parse_envelope, summarise_body

    for message in generate_corpus(300, seed=8):
        env = parse_envelope(message.raw)
        body = summarise_body(message.raw)
        assert (body.text, body.snippet, body.attachments) == (
            env.text, env.snippet, env.attachments)


def _only_fields(header: bytes, names: tuple[str, ...]) -> bytes:
    """A header block cut down to some fields, as IMAP BODY[HEADER.FIELDS (...)] sends it."""
    wanted = {n.lower().encode() for n in names}
    kept: list[bytes] = []
    keep = False
    for line in header.splitlines(keepends=True):
        if line[:1] in (b" ", b"\t"):
            if keep:
                kept.append(line)
            continue
        keep = line.partition(b":")[0].strip().lower() in wanted
        if keep:
            kept.append(line)
    return b"".join(kept) + b"\r\n"


def test_the_envelope_fields_are_all_a_header_pass_needs() -> None:
    """Parsing only ENVELOPE_FIELDS gives what parsing the whole header block gives, for
    ordinary, hostile and malformed generated mail."""
    from engine.corpus import generate_corpus
    from engine.mime import ENVELOPE_FIELDS

    base = (b"From: A <a@x.example>\r\nTo: b@y.example\r\nSubject: s\r\n"
            b"Received: from z\r\n\tby y\r\n")
    extra = [
        b"Reply-To: Desk <desk@x.example>\r\nAuto-Submitted: auto-replied\r\n",
        b"X-Autoreply: yes\r\n",
        b"List-Unsubscribe: <mailto:u@x.example>\r\n",
        b"List-Help: <mailto:h@x.example>\r\n",
        b"Precedence: bulk\r\n",
    ]
    raws = [m.raw for m in generate_corpus(400, seed=11)] + [base + e + b"\r\nhi" for e in extra]
    compared = 0
    for raw in raws:
        header = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
        whole = parse_envelope(header)
        cut = parse_envelope(_only_fields(header, ENVELOPE_FIELDS))
        assert (cut.message_id, cut.in_reply_to, cut.references, cut.subject, cut.sender,
                cut.to, cut.cc, cut.reply_to, cut.date, cut.auto_submitted,
                cut.list_mail) == (
                whole.message_id, whole.in_reply_to, whole.references, whole.subject,
                whole.sender, whole.to, whole.cc, whole.reply_to, whole.date,
                whole.auto_submitted, whole.list_mail), raw[:300]
        compared += 1
    assert compared == len(raws)


def test_the_body_summary_follows_folded_content_fields_among_others() -> None:
    """summarise_body reads only the Content-* fields of the header block; folded ones and
    ones after other fields still count (the corpus agreement test covers the rest)."""
    from engine.mime import summarise_body

    folded = (b"Subject: x\r\nContent-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n"
              b"X-Other: y\r\nContent-Transfer-Encoding: 7bit\r\n\r\n--b1\r\n"
              b"Content-Type: text/plain\r\n\r\nfolded ok\r\n--b1\r\n"
              b"Content-Type: application/pdf\r\nContent-Disposition: attachment;"
              b"\r\n\tfilename=\"a.pdf\"\r\n\r\nJVBE\r\n--b1--\r\n")
    summary = summarise_body(folded)
    assert summary.text == "folded ok"
    assert [a.filename for a in summary.attachments] == ["a.pdf"]
    assert summary.attachments == parse_envelope(folded).attachments


def test_blank_line_finds_what_the_regular_expression_finds() -> None:
    """The fast search for the end of a header block agrees with \\r?\\n\\r?\\n on every
    mix of CR, LF and text, within any bounds."""
    import random
    import re

    from engine.mime.headers import blank_line

    pattern = re.compile(rb"\r?\n\r?\n")
    rng = random.Random(7)
    for _ in range(5000):
        data = bytes(rng.choice(b"\r\n\r\nab:") for _ in range(rng.randrange(0, 14)))
        start = rng.randrange(0, len(data) + 1)
        end = rng.randrange(start, len(data) + 1)
        match = pattern.search(data, start, end)
        want = (match.start(), match.end()) if match else None
        assert blank_line(data, start, end) == want, (data, start, end)
