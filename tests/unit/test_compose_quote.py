"""The first text of replies, forwards and new mail."""

from engine.compose import (
    Original,
    OutgoingAttachment,
    attribution,
    forward_body,
    prefill_forward,
    prefill_new,
    prefill_reply,
    quoted,
    reply_body,
    signature_block,
)
from engine.mime.quotes import own_words

ORIGINAL = Original(
    message_id="<m1@customer.example>",
    references=("<m0@shop.example>",),
    subject="Broken kettle",
    from_name="Carla Customer",
    from_addr="carla@customer.example",
    to=("Support <support@shop.example>",),
    cc=("bob@customer.example",),
    date="2026-10-01T09:00:00Z",
    text="Hello,\r\n\r\nit leaks.\r\n> your last answer\r\n\r\n",
)


def test_attribution() -> None:
    assert attribution(ORIGINAL) == (
        "On 1 Oct 2026 at 09:00 UTC, Carla Customer <carla@customer.example> wrote:"
    )


def test_attribution_converts_to_utc_and_survives_a_missing_date() -> None:
    assert attribution(Original(date="2026-10-01T23:30:00-02:00", from_addr="c@x.example")) == (
        "On 2 Oct 2026 at 01:30 UTC, c@x.example wrote:"
    )
    assert attribution(Original(date="yesterday", from_name="Carla\nBcc: x")) == (
        "Carla Bcc: x wrote:"
    )


def test_quoted() -> None:
    assert quoted("a\r\n\r\n> b\n>> c\n  \nd\n\n") == "> a\n>\n>> b\n>>> c\n>\n> d"
    assert quoted("\n\n") == ""


def test_reply_body_is_top_posted_with_signature() -> None:
    assert reply_body(ORIGINAL, "Best,\nJane") == (
        "\n\n"
        "-- \nBest,\nJane\n\n"
        "On 1 Oct 2026 at 09:00 UTC, Carla Customer <carla@customer.example> wrote:\n"
        "> Hello,\n>\n> it leaks.\n>> your last answer\n"
    )


def test_reply_body_without_signature_and_what_search_indexes_of_it() -> None:
    body = reply_body(ORIGINAL)
    assert body.startswith("\n\nOn 1 Oct 2026")
    assert "-- " not in body
    # The attribution and quote are recognised as quoted text once the person writes above.
    assert own_words("Fixed, thanks." + body) == "Fixed, thanks."


def test_signature_block_keeps_one_separator() -> None:
    assert signature_block("-- \nJane\n") == "-- \nJane"
    assert signature_block("--\r\nJane") == "-- \nJane"
    assert signature_block("  \n") == ""


def test_forward_body() -> None:
    assert forward_body(ORIGINAL, "Jane") == (
        "\n\n-- \nJane\n\n"
        "---------- Forwarded message ----------\n"
        "From: Carla Customer <carla@customer.example>\n"
        "Date: 1 Oct 2026 at 09:00 UTC\n"
        "Subject: Broken kettle\n"
        "To: Support <support@shop.example>\n"
        "Cc: bob@customer.example\n"
        "\n"
        "Hello,\n\nit leaks.\n> your last answer\n"
    )


def test_forward_block_lines_cannot_be_faked_by_a_subject() -> None:
    body = forward_body(Original(subject="Hi\nFrom: ceo@shop.example", from_addr="c@x.example"))
    assert "Subject: Hi From: ceo@shop.example\n" in body
    assert body.count("\nFrom: ") == 1


def test_prefill_reply() -> None:
    prefill = prefill_reply(ORIGINAL, own=["support@shop.example"], signature="Jane", all=True)
    assert prefill.to == ("Carla Customer <carla@customer.example>",)
    assert prefill.cc == ("bob@customer.example",)
    assert prefill.subject == "Re: Broken kettle"
    assert prefill.body == reply_body(ORIGINAL, "Jane")
    assert prefill.in_reply_to == "<m1@customer.example>"
    assert prefill.references == "<m0@shop.example> <m1@customer.example>"
    assert prefill.attachments == ()


def test_prefill_reply_drops_hostile_ids() -> None:
    original = Original(
        message_id="<m1@customer.example>\r\nBcc: evil@x.example",
        references=("<a b@x.example>",),
        from_addr="c@customer.example",
    )
    prefill = prefill_reply(original, own=[])
    assert prefill.in_reply_to is None
    assert prefill.references == ""


def test_prefill_forward_carries_attachments() -> None:
    files = (OutgoingAttachment("a.pdf", "application/pdf", b"%PDF-1.7\x00\xff"),)
    original = Original(
        message_id="<m1@customer.example>", subject="Re: Kettle", from_addr="c@x.example",
        attachments=files,
    )
    prefill = prefill_forward(original, signature="Jane")
    assert prefill.attachments == files
    assert prefill.to == () and prefill.cc == ()
    assert prefill.subject == "Fwd: Re: Kettle"
    assert prefill.in_reply_to is None
    assert prefill.references == "<m1@customer.example>"
    assert prefill.body == forward_body(original, "Jane")


def test_prefill_new() -> None:
    assert prefill_new("Jane").body == "\n\n-- \nJane\n"
    assert prefill_new().body == ""
    assert prefill_new().subject == "" and prefill_new().to == ()
