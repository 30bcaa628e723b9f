"""Outgoing messages as bytes: headers that cannot be forged, MIME that round-trips."""

from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from engine.compose import (
    Original,
    Outgoing,
    OutgoingAttachment,
    build_message,
    prefill_reply,
    recipients,
    reply_subject,
)
from engine.errors import InvalidInputError

HOSTILE_SUBJECT = "=?utf-8?q?Invoice=0D=0ABcc:_attacker@evil.example?="


def _outgoing(**fields: object) -> Outgoing:
    base: dict[str, object] = {
        "message_id": "<out1@shop.example>",
        "from_addr": "support@shop.example",
        "from_name": "Shop Support",
        "to": ("Carla <carla@customer.example>",),
        "subject": "Your kettle",
        "body": "Hello Carla,\n\nA new one is on its way.\n",
        "date": datetime(2026, 10, 1, 9, 0, tzinfo=UTC),
    }
    base.update(fields)
    return Outgoing(**base)  # type: ignore[arg-type]


def _parse(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


def _text(part: EmailMessage) -> str:
    """A text part's content with the wire's CRLF line ends read back as newlines."""
    content = part.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def _assert_wire_format(data: bytes) -> None:
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 998
    assert data.isascii()


def test_hostile_subject_from_a_decoded_header_stays_one_line() -> None:
    decoded = str(make_header(decode_header(HOSTILE_SUBJECT)))
    assert "\r\n" in decoded  # the engine's decoded subject really carries the line break
    data = build_message(_outgoing(subject=reply_subject(decoded)))
    message = _parse(data)
    assert message.get_all("Bcc") is None
    assert b"\r\nBcc:" not in data
    subjects = message.get_all("Subject")
    assert subjects is not None and len(subjects) == 1
    assert subjects[0] == "Re: Invoice Bcc: attacker@evil.example"
    assert recipients(_outgoing(subject=decoded)) == ["carla@customer.example"]
    _assert_wire_format(data)


@pytest.mark.parametrize("field", ["subject", "from_name"])
def test_raw_encoded_word_cannot_add_a_header(field: str) -> None:
    # email.policy decodes encoded words when a header is set: a raw one must be cleaned too.
    data = build_message(_outgoing(**{field: HOSTILE_SUBJECT}))
    message = _parse(data)
    assert message.get_all("Bcc") is None
    assert b"\r\nBcc:" not in data


def test_hostile_display_name_in_a_recipient() -> None:
    data = build_message(_outgoing(to=(
        f"{HOSTILE_SUBJECT} <carla@customer.example>",
        "Evil\r\nBcc: attacker@evil.example <bob@customer.example>",
    )))
    message = _parse(data)
    assert message.get_all("Bcc") is None
    assert [a.addr_spec for a in message["To"].addresses] == [
        "carla@customer.example", "bob@customer.example",
    ]
    assert message["To"].addresses[1].display_name == "Evil Bcc: attacker@evil.example"


def test_hostile_ids_are_dropped_from_in_reply_to_and_references() -> None:
    original = Original(
        message_id="<m1@customer.example>\r\nBcc: attacker@evil.example",
        references=("<m0 @customer.example>", "<=?utf-8?q?=0D=0ABcc:_x?=@x.example>"),
        subject="Hi", from_addr="carla@customer.example",
    )
    prefill = prefill_reply(original, own=["support@shop.example"])
    data = build_message(_outgoing(
        to=prefill.to, subject=prefill.subject, in_reply_to=prefill.in_reply_to,
        references=prefill.references,
    ))
    message = _parse(data)
    assert message["In-Reply-To"] is None and message["References"] is None
    assert message.get_all("Bcc") is None
    # Handed straight to build_message, they are dropped there too.
    message = _parse(build_message(_outgoing(
        in_reply_to="<a@x.example>\r\nBcc: e@x.example",
        references="<ok@x.example> <b c@x.example> <=?utf-8?q?=0D=0A?=@x.example>",
    )))
    assert message["In-Reply-To"] is None
    assert message["References"] == "<ok@x.example>"


def test_headers() -> None:
    data = build_message(_outgoing(
        cc=("Bob <bob@customer.example>",), reply_to="Returns <returns@shop.example>",
        in_reply_to="<m1@customer.example>", references="<m0@x.example> <m1@customer.example>",
    ))
    message = _parse(data)
    assert message["From"] == "Shop Support <support@shop.example>"
    assert message["To"] == "Carla <carla@customer.example>"
    assert message["Cc"] == "Bob <bob@customer.example>"
    assert message["Reply-To"] == "Returns <returns@shop.example>"
    assert message["Message-ID"] == "<out1@shop.example>"
    assert message["In-Reply-To"] == "<m1@customer.example>"
    assert message["References"] == "<m0@x.example> <m1@customer.example>"
    assert message["Date"].datetime == datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    assert message["MIME-Version"] == "1.0"
    assert message["User-Agent"] == "frontdesk"
    assert message.get_content_type() == "text/plain"
    assert _text(message) == "Hello Carla,\n\nA new one is on its way.\n"
    _assert_wire_format(data)


def test_optional_headers_are_left_out_and_date_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    message = _parse(build_message(_outgoing(date=None)))
    for name in ("Cc", "Reply-To", "In-Reply-To", "References", "Bcc"):
        assert message[name] is None
    assert before <= message["Date"].datetime <= datetime.now(UTC)


def test_date_is_written_in_utc() -> None:
    local = datetime(2026, 10, 1, 11, 0, tzinfo=timezone(timedelta(hours=2)))
    message = _parse(build_message(_outgoing(date=local)))
    assert message["Date"].datetime == datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
    assert message["Date"].endswith("+0000")


def test_bcc_is_an_envelope_recipient_only() -> None:
    outgoing = _outgoing(
        to=("Carla <carla@customer.example>",),
        cc=("bob@customer.example", "CARLA@customer.example"),
        bcc=("boss@shop.example", "Bob@Customer.Example"),
    )
    data = build_message(outgoing)
    assert b"boss@shop.example" not in data
    assert _parse(data)["Bcc"] is None
    assert recipients(outgoing) == [
        "carla@customer.example", "bob@customer.example", "boss@shop.example",
    ]


def test_non_ascii_names_and_subject_round_trip() -> None:
    outgoing = _outgoing(
        from_name="Zoë Støtte", to=("Jürgen Groß <jg@customer.example>",),
        subject="Rückerstattung für Bestellung № 42 — 返金", body="Grüße\n",
    )
    data = build_message(outgoing)
    _assert_wire_format(data)
    message = _parse(data)
    assert message["From"].addresses[0].display_name == "Zoë Støtte"
    assert message["To"].addresses[0].display_name == "Jürgen Groß"
    assert message["Subject"] == "Rückerstattung für Bestellung № 42 — 返金"
    assert _text(message) == "Grüße\n"


def test_internationalised_domain_is_sent_in_ascii() -> None:
    outgoing = _outgoing(to=("Jäne <j@bücher.example>",))
    assert recipients(outgoing) == ["j@xn--bcher-kva.example"]
    assert _parse(build_message(outgoing))["To"].addresses[0].domain == "xn--bcher-kva.example"


def test_long_values_are_folded_within_the_line_limit() -> None:
    ids = " ".join(f"<{i}.{'r' * 60}@x.example>" for i in range(40))
    data = build_message(_outgoing(
        subject="word " * 300 + "x" * 2000, references=ids,
        body="y" * 5000 + "\n" + "é" * 3000 + "\n", html_body="<p>" + "z" * 5000 + "</p>",
        to=tuple(f"Person {i} <p{i}@customer.example>" for i in range(60)),
    ))
    _assert_wire_format(data)
    message = _parse(data)
    assert len(message["To"].addresses) == 60
    text = message.get_body(preferencelist=("plain",))
    assert text is not None and _text(text) == "y" * 5000 + "\n" + "é" * 3000 + "\n"


def test_html_alternative_puts_plain_text_first() -> None:
    message = _parse(build_message(_outgoing(html_body="<p>Hello <b>Carla</b></p>")))
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert _text(parts[0]) == "Hello Carla,\n\nA new one is on its way.\n"
    assert _text(parts[1]) == "<p>Hello <b>Carla</b></p>\n"
    assert all(part["MIME-Version"] is None for part in parts)


def test_attachment_round_trips_byte_for_byte() -> None:
    payload = bytes(range(256)) * 40 + b"\r\n\x00end"
    data = build_message(_outgoing(
        html_body="<p>hi</p>",
        attachments=(OutgoingAttachment("Rechnung März.pdf", "application/pdf", payload),),
    ))
    _assert_wire_format(data)
    message = _parse(data)
    assert message.get_content_type() == "multipart/mixed"
    body, attached = list(message.iter_parts())
    assert body.get_content_type() == "multipart/alternative"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_filename() == "Rechnung März.pdf"
    assert attached.get_content() == payload


@pytest.mark.parametrize(("filename", "content_type", "name", "mime"), [
    ("../../etc/passwd", "text/plain", "passwd", "text/plain"),
    ("C:\\Users\\x\\report.txt", "TEXT/CSV; charset=utf-8", "report.txt", "text/csv"),
    ("a\r\nContent-Type: evil.pdf", "application/pdf", "a Content-Type: evil.pdf",
     "application/pdf"),
    ("...", "not a type", "attachment", "application/octet-stream"),
    ("", "message/rfc822", "attachment", "application/octet-stream"),
    ("x.bin", "multipart/mixed", "x.bin", "application/octet-stream"),
])
def test_attachment_names_and_types_are_sanitised(
    filename: str, content_type: str, name: str, mime: str
) -> None:
    data = build_message(_outgoing(
        attachments=(OutgoingAttachment(filename, content_type, b"data"),),
    ))
    attached = list(_parse(data).iter_attachments())
    assert len(attached) == 1
    assert attached[0].get_filename() == name
    assert attached[0].get_content_type() == mime
    assert attached[0].get_payload(decode=True) == b"data"


@pytest.mark.parametrize("field", ["to", "cc", "bcc"])
def test_invalid_recipient_is_refused_with_its_name(field: str) -> None:
    outgoing = _outgoing(**{field: ("ok@customer.example", "not an address")})
    with pytest.raises(InvalidInputError, match="not an address"):
        recipients(outgoing)
    if field != "bcc":
        with pytest.raises(InvalidInputError, match="not an address"):
            build_message(outgoing)


def test_invalid_sender_and_message_id_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        build_message(_outgoing(from_addr="support"))
    with pytest.raises(ValueError, match="Message-ID"):
        build_message(_outgoing(message_id="<x@y>\r\nBcc: e@x.example"))


def test_header_block_is_checked_even_if_cleaning_missed_something(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import engine.compose.build as build

    monkeypatch.setattr(build, "clean_header_text", lambda value, limit=998: value)
    with pytest.raises(InvalidInputError, match="built safely"):
        build_message(_outgoing(subject=HOSTILE_SUBJECT))
