"""engine.mime.parse_body: the preview parse. Malformed mail is shown, never dropped."""

from __future__ import annotations

import base64
from email.message import EmailMessage
from email.policy import SMTP

import pytest

from engine.mime import Attachment, MessageBody, attachment_bytes, parse_body, parse_envelope
from engine.mime import body as body_module
from engine.mime.limits import BODY_TEXT_MAX_CHARS, TRUNCATION_NOTE

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def b64_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


def body_strings(body: MessageBody) -> list[str]:
    return [
        *(part for header in body.headers for part in header),
        body.text, body.html_text or "", body.error or "", *body.links,
        *(a.filename for a in body.attachments), *(a.content_type for a in body.attachments),
    ]


def assert_no_controls(body: MessageBody) -> None:
    for text in body_strings(body):
        assert not any(ch == "\x1b" or "\x80" <= ch <= "\x9f" for ch in text), repr(text)
        assert "\u202e" not in text


def rich_message() -> bytes:
    msg = EmailMessage()
    msg["Subject"] = "Invoice 42 — überfällig"
    msg["From"] = "Billing Bot <billing@vendor.example>"
    msg["To"] = "support@acme.example"
    msg["Cc"] = "Dana <dana@acme.example>"
    msg["Reply-To"] = "noreply@vendor.example"
    msg["Date"] = "Wed, 15 May 2024 08:00:00 +0000"
    msg["Message-ID"] = "<inv42@vendor.example>"
    msg["X-Mailer"] = "not displayed"
    msg.set_content("Please find invoice 42 attached.\n")
    msg.add_alternative(
        '<p>Please find <b>invoice 42</b> attached. <a href="https://vendor.example/pay">Pay</a>'
        '</p><script>alert(1)</script>',
        subtype="html",
    )
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice-42.pdf")
    msg.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="lines.csv")
    return msg.as_bytes(policy=SMTP)


def test_rich_message() -> None:
    raw = rich_message()
    body = parse_body(raw)
    assert body.error is None
    assert body.headers == (
        ("From", "Billing Bot <billing@vendor.example>"),
        ("To", "support@acme.example"),
        ("Cc", "Dana <dana@acme.example>"),
        ("Reply-To", "noreply@vendor.example"),
        ("Date", "Wed, 15 May 2024 08:00:00 +0000"),
        ("Subject", "Invoice 42 — überfällig"),
    )
    assert body.text == "Please find invoice 42 attached."
    assert body.html_text == "Please find invoice 42 attached. Pay [1]"
    assert body.links == ("https://vendor.example/pay",)
    names = [(a.filename, a.content_type) for a in body.attachments]
    assert names == [("invoice-42.pdf", "application/pdf"), ("lines.csv", "text/csv")]
    pdf = body.attachments[0]
    assert abs(pdf.size - len(PDF)) <= 2
    assert attachment_bytes(raw, pdf.part_index) == PDF
    assert attachment_bytes(raw, body.attachments[1].part_index) == b"a,b\n1,2\n"
    assert attachment_bytes(raw, 0) is None  # the multipart container itself
    assert attachment_bytes(raw, 999) is None


def test_envelope_and_body_agree() -> None:
    raw = rich_message()
    env, body = parse_envelope(raw), parse_body(raw)
    shown = dict(body.headers)
    assert shown["Subject"] == env.subject
    assert shown["From"] == env.sender.display()
    assert body.text == env.text


def test_html_only_message_uses_converted_html_as_text() -> None:
    raw = (
        b"Subject: html\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello &amp; welcome</p><ul><li>one</li></ul>"
    )
    body = parse_body(raw)
    assert body.text == body.html_text == "Hello & welcome\n\n- one"


def test_plain_only_message_has_no_html_text() -> None:
    body = parse_body(b"Subject: s\r\n\r\nJust text.\r\n")
    assert body.text == "Just text."
    assert body.html_text is None and body.links == () and body.attachments == ()


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ("attachment", "attachment-1"),
        ("attachment; filename*=utf-8''%E2%82%AC%20rates.pdf", "€ rates.pdf"),
        ("attachment; filename*0*=utf-8''%E4%B8%AD; filename*1=\"x.pdf\"", "中x.pdf"),
        ('attachment; filename="=?utf-8?q?caf=C3=A9.pdf?="', "café.pdf"),
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Users\\\\x\\\\evil.exe"', "evil.exe"),
        ("attachment; filename=\"invoice\u202efdp.exe\"", "invoicefdp.exe"),
        ("attachment; filename=\"a\x1b]0;x\x07b.txt\"", "ab.txt"),
    ],
)
def test_attachment_filenames(disposition: str, expected: str) -> None:
    raw = (
        "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        f"body\r\n--B\r\nContent-Type: application/octet-stream\r\nContent-Disposition: "
        f"{disposition}\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--B--\r\n"
    ).encode()
    body = parse_body(raw)
    assert body.attachments == (
        Attachment(filename=expected, content_type="application/octet-stream", size=3,
                   part_index=2),
    )
    assert attachment_bytes(raw, 2) == b"\x00\x01\x02"


def test_attached_message_is_listed_not_merged() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        b"outer text\r\n--B\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\n"
        b"inner text\r\n--B--\r\n"
    )
    body = parse_body(raw)
    assert body.text == "outer text"
    assert [(a.filename, a.content_type) for a in body.attachments] == [
        ("attachment-1", "message/rfc822")
    ]
    inner = attachment_bytes(raw, body.attachments[0].part_index)
    assert inner is not None and b"Subject: inner" in inner and b"inner text" in inner


def test_hostile_headers_and_body() -> None:
    evil = "\x1b]52;c;ZXZpbA==\x07Pay \x1b[31mnow\x9b2J \u202eexe.pdf"
    raw = (
        f"From: {b64_word(evil)} <billing@evil.example>\r\n"
        f"Subject: {b64_word(evil + ' [@click=app.quit]')}\r\n"
        "Date: \x1b[2Jnot a date\r\n"
        "Content-Type: multipart/alternative; boundary=B\r\n\r\n"
        "--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"[@click=app.quit]click[/] {evil}\r\n"
        "--B\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        "<a href='https://evil.example/&#x1b;[31m'>x&#27;[2J</a>\r\n--B--\r\n"
    ).encode()
    body = parse_body(raw)
    assert_no_controls(body)
    shown = dict(body.headers)
    assert shown["Subject"] == "Pay now exe.pdf [@click=app.quit]"
    assert shown["From"] == "Pay now exe.pdf <billing@evil.example>"
    assert shown["Date"] == "not a date"
    assert body.text == "[@click=app.quit]click[/] Pay now exe.pdf"


def test_encoded_crlf_in_subject_stays_on_one_line() -> None:
    body = parse_body(b"Subject: =?utf-8?q?a=0D=0ABcc:_x@y?=\r\n\r\nx")
    assert dict(body.headers)["Subject"] == "a Bcc: x@y"


@pytest.mark.parametrize(
    ("charset", "encoding", "payload", "expected"),
    [
        ("iso-8859-1", "quoted-printable", b"Gr=FC=DFe caf=E9", "Grüße café"),
        ("windows-1252", "8bit", b"\x93hi\x94 \x80", "“hi” €"),
        ("utf-8", "base64", base64.encodebytes("中文 🎉".encode()), "中文 🎉"),
        ("x-foo", "8bit", b"caf\xc3\xa9", "café"),
    ],
)
def test_charsets(charset: str, encoding: str, payload: bytes, expected: str) -> None:
    raw = (
        f"Content-Type: text/plain; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode() + payload
    assert parse_body(raw).text == expected


def test_header_line_without_colon() -> None:
    body = parse_body(b"From: a@b.example\r\nno colon here\r\nSubject: kept\r\n\r\ntext")
    assert body.headers == (("From", "a@b.example"), ("Subject", "kept"))
    assert body.text == "text"


def test_truncated_multipart_is_shown() -> None:
    raw = (
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\n"
        b"first part\r\n--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment;"
        b" filename=cut.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x"
    )
    body = parse_body(raw)
    assert body.text == "first part"
    assert [a.filename for a in body.attachments] == ["cut.pdf"]


def test_deeply_nested_multipart() -> None:
    inner = b"Content-Type: text/plain\r\n\r\nleaf text"
    for depth in range(99, -1, -1):
        inner = (
            b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n%s\r\n--b%d--" %
            (depth, depth, inner, depth)
        )
    body = parse_body(b"Subject: deep\r\n" + inner)
    assert body.headers == (("Subject", "deep"),)
    assert body.error is not None  # parts beyond the depth limit are reported, not shown


def test_ten_thousand_parts() -> None:
    part = b"--B\r\nContent-Type: text/plain\r\n\r\npart %d\r\n"
    parts = b"".join(part % i for i in range(10_000))
    body = parse_body(b"Content-Type: multipart/mixed; boundary=B\r\n\r\n" + parts + b"--B--\r\n")
    assert body.text.startswith("part 0\n\npart 1")
    assert body.error is not None


def test_five_megabyte_header_block() -> None:
    junk = b"".join(b"X-Junk-%d: %s\r\n" % (i, b"v" * 90) for i in range(52_000))
    body = parse_body(b"Subject: big\r\n" + junk + b"\r\nthe body")
    assert body.headers == (("Subject", "big"),)
    assert body.text == "the body"


def test_hostile_part_headers_stay_fast() -> None:
    # Quadratic in the stdlib's parameter parsers (minutes); bounded here.
    semis = b"text/plain" + b";" * 200_000
    quoted = b"multipart/mixed; boundary=\"" + b";" * 200_000
    for ctype in (semis, quoted):
        raw = b"Content-Type: " + ctype + b"\r\nContent-Disposition: attachment; filename=" + ctype
        body = parse_body(raw + b"\r\n\r\nbody")
        assert isinstance(body.text, str)


def test_long_body_is_bounded() -> None:
    body = parse_body(b"Subject: s\r\n\r\n" + b"0123456789\r\n" * 200_000)
    assert len(body.text) <= BODY_TEXT_MAX_CHARS + len(TRUNCATION_NOTE) + 2
    assert body.text.endswith(TRUNCATION_NOTE)


def test_structure_failure_falls_back_to_raw_text(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(block: object, data: bytes) -> object:
        raise RecursionError("too deep \x1b[31m")

    monkeypatch.setattr(body_module, "parse_structure", explode)
    raw = b"Subject: still shown\r\n\r\nraw \x1b[2Jbody \xff\r\n"
    body = parse_body(raw)
    assert body.headers == (("Subject", "still shown"),)
    assert body.text == "Subject: still shown\n\nraw body \ufffd\n"
    assert body.error is not None and "RecursionError" in body.error
    assert_no_controls(body)


def test_total_failure_still_returns_raw(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(body_module, "display_headers", explode)
    body = parse_body(b"Subject: s\r\n\r\nbody")
    assert body.text == "Subject: s\n\nbody"
    assert body.error == "MemoryError:"


@pytest.mark.parametrize(
    "raw",
    [b"", b"\r\n", b"no headers at all", b"\x00\xff\x1b" * 1000, b"Subject: =?", b":\r\n:"],
)
def test_garbage_never_raises(raw: bytes) -> None:
    body = parse_body(raw)
    assert isinstance(body, MessageBody)
    assert_no_controls(body)
