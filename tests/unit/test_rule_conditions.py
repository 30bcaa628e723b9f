"""Rule conditions: checking what an admin wrote (check_condition) and testing messages
against it (holds, first_failing, describe), on facts read from real RFC 5322 bytes."""

from __future__ import annotations

import pytest

from engine.errors import InvalidInputError
from engine.rules.conditions import (
    MAX_VALUE_CHARS,
    REGEX_INPUT_CHARS,
    Mailbox,
    check_condition,
    describe,
    first_failing,
    holds,
)
from engine.rules.facts import Facts, read_facts
from storage.rules import RuleCondition

MAILBOX = Mailbox("support", "support@acme.example")

PLAIN = (
    b"From: Jane Doe <Jane.Doe@Example.ORG>\r\n"
    b"To: Support <Support@Acme.example>, sales@acme.example\r\n"
    b"Cc: Boss <boss@corp.example>\r\n"
    b"Subject: Refund for order 1234\r\n"
    b"Date: Sun, 01 Nov 2026 09:00:00 +0000\r\n"
    b"Message-ID: <plain-1@example.org>\r\n"
    b"X-Priority: 1 (Highest)\r\n"
    b"X-Tag: alpha\r\n"
    b"X-Tag: Beta\r\n"
    b"\r\n"
    b"Hello,\r\nI would like a REFUND for my order.\r\nJane\r\n"
)

WITH_ATTACHMENT = (
    b"From: bob@example.net\r\n"
    b"To: support@acme.example\r\n"
    b"Subject: Invoice attached\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XX"\r\n'
    b"\r\n"
    b"--XX\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"See the invoice.\r\n"
    b"--XX\r\n"
    b'Content-Type: application/pdf; name="invoice.pdf"\r\n'
    b'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"JVBERi0xLjQK\r\n"
    b"--XX--\r\n"
)

ENCODED_SUBJECT = (
    b"From: kunde@example.de\r\n"
    b"To: support@acme.example\r\n"
    b"Subject: =?utf-8?q?R=C3=BCckerstattung_f=C3=BCr?= =?utf-8?b?IEJlc3RlbGx1bmc=?=\r\n"
    b"\r\n"
    b"Bitte.\r\n"
)


def cond(field: str, op: str, value: str = "", header: str = "") -> RuleCondition:
    return check_condition(RuleCondition(field=field, op=op, value=value, header=header))


def check(field: str, op: str, value: str, facts: Facts, header: str = "") -> bool:
    return holds(cond(field, op, value, header), facts, MAILBOX)


@pytest.fixture(scope="module")
def plain() -> Facts:
    return read_facts(PLAIN)


def test_facts_of_the_plain_message(plain: Facts) -> None:
    # What the conditions below rely on: addresses lower-cased, several To addresses.
    assert plain.sender == "jane.doe@example.org"
    assert plain.to == ("support@acme.example", "sales@acme.example")
    assert plain.cc == ("boss@corp.example",)
    assert plain.header("x-tag") == ("alpha", "Beta")
    assert plain.has_attachment is False


# -- every field -------------------------------------------------------------------------

@pytest.mark.parametrize(("field", "op", "value", "header", "expected"), [
    # from: compared on the address, case ignored
    ("from", "contains", "example.org", "", True),
    ("from", "contains", "EXAMPLE.ORG", "", True),
    ("from", "contains", "jane doe", "", False),  # the display name is not the address
    ("from", "equals", "JANE.DOE@example.org", "", True),
    ("from", "equals", "jane.doe", "", False),
    ("from", "starts_with", "Jane.", "", True),
    ("from", "starts_with", "doe", "", False),
    ("from", "ends_with", "@EXAMPLE.org", "", True),
    ("from", "ends_with", "@example.com", "", False),
    ("from", "regex", r"^jane\.[a-z]+@", "", True),
    ("from", "regex", r"^doe", "", False),
    ("from", "any_of", "x@y.z, jane.doe@example.org", "", True),
    ("from", "any_of", "x@y.z\n@EXAMPLE.ORG", "", True),  # a whole domain
    ("from", "any_of", "@example", "", False),  # a domain item matches the whole domain
    ("from", "any_of", "example.org", "", False),  # without "@" it is a whole address
    ("from", "not_contains", "example.org", "", False),
    ("from", "not_contains", "example.com", "", True),
    # to: several addresses
    ("to", "equals", "sales@acme.example", "", True),
    ("to", "equals", "SUPPORT@ACME.EXAMPLE", "", True),
    ("to", "equals", "billing@acme.example", "", False),
    ("to", "starts_with", "sales@", "", True),
    ("to", "ends_with", "@acme.example", "", True),
    ("to", "regex", r"^sales@", "", True),
    ("to", "any_of", "nobody@x.example, @acme.example", "", True),
    ("to", "any_of", "nobody@x.example, @other.example", "", False),
    ("to", "contains", "sales", "", True),
    ("to", "not_contains", "sales", "", False),  # one of the two has it
    ("to", "not_contains", "billing", "", True),  # none has it
    # cc
    ("cc", "equals", "boss@corp.example", "", True),
    ("cc", "contains", "acme", "", False),
    ("cc", "any_of", "@corp.example", "", True),
    ("cc", "not_contains", "corp", "", False),
    # subject
    ("subject", "contains", "REFUND", "", True),
    ("subject", "contains", "invoice", "", False),
    ("subject", "equals", "refund for order 1234", "", True),
    ("subject", "equals", "refund", "", False),
    ("subject", "starts_with", "refund for", "", True),
    ("subject", "ends_with", "1234", "", True),
    ("subject", "ends_with", "order", "", False),
    ("subject", "regex", r"order \d{4}$", "", True),
    ("subject", "regex", r"order \d{5}", "", False),
    ("subject", "any_of", "hello, Refund for order 1234", "", True),
    ("subject", "any_of", "hello, refund", "", False),
    ("subject", "not_contains", "invoice", "", True),
    ("subject", "not_contains", "Refund", "", False),
    # body
    ("body", "contains", "refund for my order", "", True),
    ("body", "contains", "cancel", "", False),
    ("body", "starts_with", "hello", "", True),
    ("body", "regex", r"would\s+like", "", True),
    ("body", "not_contains", "cancel", "", True),
    ("body", "not_contains", "refund", "", False),
    # header: every value of a field met twice
    ("header", "contains", "highest", "X-Priority", True),
    ("header", "starts_with", "1", "x-priority", True),
    ("header", "equals", "1", "X-Priority", False),
    ("header", "equals", "beta", "X-Tag", True),  # the second of two values
    ("header", "any_of", "gamma, ALPHA", "X-Tag", True),
    ("header", "not_contains", "alp", "X-Tag", False),
    ("header", "not_contains", "gamma", "X-Tag", True),
    ("header", "regex", r"^b", "X-Tag", True),
    ("header", "ends_with", "ta", "X-Tag", True),
    # account: its name or its address
    ("account", "equals", "support", "", True),
    ("account", "equals", "SUPPORT@acme.example", "", True),
    ("account", "contains", "sales", "", False),
    ("account", "starts_with", "supp", "", True),
    ("account", "ends_with", "@acme.example", "", True),
    ("account", "regex", r"^sup", "", True),
    ("account", "any_of", "sales, support", "", True),
    ("account", "any_of", "sales, billing", "", False),
    ("account", "not_contains", "sales", "", True),
    ("account", "not_contains", "support", "", False),
])
def test_field_and_operator(plain: Facts, field: str, op: str, value: str, header: str,
                            expected: bool) -> None:
    assert check(field, op, value, plain, header) is expected


def test_domain_items_count_for_address_fields_only(plain: Facts) -> None:
    # "@acme.example" is a domain for to; for a subject it is just text to equal.
    assert check("to", "any_of", "@acme.example", plain) is True
    facts = read_facts(b"From: a@b.example\r\nTo: support@acme.example\r\n"
                       b"Subject: Sent from x@acme.example\r\n\r\nx\r\n")
    assert check("subject", "any_of", "@acme.example", facts) is False
    assert check("subject", "any_of", "sent from x@acme.example", facts) is True


def test_has_attachment() -> None:
    attached, bare = read_facts(WITH_ATTACHMENT), read_facts(PLAIN)
    assert attached.has_attachment is True
    assert check("has_attachment", "equals", "yes", attached) is True
    assert check("has_attachment", "equals", "yes", bare) is False
    assert check("has_attachment", "equals", "no", bare) is True
    assert check("has_attachment", "equals", "no", attached) is False
    # true/1/false/0 are stored as yes/no.
    assert cond("has_attachment", "equals", "TRUE").value == "yes"
    assert cond("has_attachment", "equals", "0").value == "no"
    assert check("has_attachment", "equals", "1", attached) is True


def test_absent_header_never_matches_and_never_contains(plain: Facts) -> None:
    assert plain.header("X-Missing") == ()
    for op, value in (("contains", "a"), ("equals", "a"), ("starts_with", "a"),
                      ("ends_with", "a"), ("regex", "."), ("any_of", "a, b")):
        assert check("header", op, value, plain, "X-Missing") is False, op
    assert check("header", "not_contains", "a", plain, "X-Missing") is True
    # "equals" with an empty value is allowed, and an absent header has no value at all.
    assert check("header", "equals", "", plain, "X-Missing") is False


def test_encoded_word_subject_is_matched_decoded() -> None:
    facts = read_facts(ENCODED_SUBJECT)
    assert facts.subject == "Rückerstattung für Bestellung"
    assert check("subject", "contains", "RÜCKERSTATTUNG", facts) is True
    assert check("subject", "equals", "rückerstattung für bestellung", facts) is True
    assert check("subject", "contains", "=?utf-8?", facts) is False
    assert check("subject", "regex", r"für\s+Bestellung$", facts) is True


def test_empty_mail_has_empty_values() -> None:
    facts = read_facts(b"Subject: only a subject\r\n\r\n")
    assert check("from", "not_contains", "@", facts) is True
    assert check("to", "contains", "@", facts) is False
    assert check("from", "equals", "", facts) is True  # the empty sender


def test_regex_runs_on_the_first_chars_only() -> None:
    filler = b"a" * (REGEX_INPUT_CHARS + 100)
    late = read_facts(b"From: x@y.example\r\nTo: support@acme.example\r\nSubject: s\r\n\r\n"
                      + filler + b" NEEDLE\r\n")
    assert "needle" in late.body.casefold()
    # The plain operators see the whole text; the regex does not reach that far.
    assert check("body", "contains", "needle", late) is True
    assert check("body", "regex", "needle", late) is False
    early = read_facts(b"From: x@y.example\r\nTo: support@acme.example\r\nSubject: s\r\n\r\n"
                       b"NEEDLE " + filler + b"\r\n")
    assert check("body", "regex", "needle", early) is True


def test_first_failing_and_describe(plain: Facts) -> None:
    subject = cond("subject", "contains", "refund")
    sender = cond("from", "ends_with", "@example.com")
    priority = cond("header", "equals", "1", "X-Priority")
    assert first_failing([subject], plain, MAILBOX) is None
    assert first_failing([], plain, MAILBOX) is None
    assert first_failing([subject, sender, priority], plain, MAILBOX) == sender
    assert first_failing([priority, sender], plain, MAILBOX) == priority
    assert describe(subject) == "subject contains 'refund'"
    assert describe(cond("to", "does not contain", "x")) == "to does not contain 'x'"
    assert describe(priority) == "header X-Priority equals '1'"
    assert describe(cond("has_attachment", "equals", "yes")) == "has an attachment"
    assert describe(cond("has_attachment", "equals", "no")) == "has no attachment"
    assert describe(cond("body", "regex", "a+")) == "body matches regex 'a+'"


# -- check_condition: normalising ------------------------------------------------------------

@pytest.mark.parametrize(("field", "op", "expected_field", "expected_op"), [
    ("Subject", "does not contain", "subject", "not_contains"),
    ("subject", "Does-Not-Contain", "subject", "not_contains"),
    ("FROM", "is any of", "from", "any_of"),
    ("from", "is-any-of", "from", "any_of"),
    ("body", "matches", "body", "regex"),
    ("body", "matches regex", "body", "regex"),
    ("to", "is", "to", "equals"),
    ("to", "Starts With", "to", "starts_with"),
    ("cc", "ends-with", "cc", "ends_with"),
    ("Has-Attachment", "EQUALS", "has_attachment", "equals"),
    ("  account ", " contains ", "account", "contains"),
])
def test_check_condition_normalises(field: str, op: str, expected_field: str,
                                    expected_op: str) -> None:
    value = "yes" if expected_field == "has_attachment" else "  x  "
    checked = check_condition(RuleCondition(field=field, op=op, value=value))
    assert (checked.field, checked.op) == (expected_field, expected_op)
    assert checked.value == value.strip()


def test_check_condition_trims_the_header_name() -> None:
    checked = check_condition(RuleCondition("header", "contains", " 1 ", header=" X-Priority "))
    assert (checked.header, checked.value) == ("X-Priority", "1")


# -- check_condition: refusals -----------------------------------------------------------------

@pytest.mark.parametrize(("condition", "needles"), [
    (RuleCondition("sender", "contains", "x"), ["unknown condition field 'sender'",
                                                "from, to, cc"]),
    (RuleCondition("subject", "like", "x"), ["unknown operator 'like'", "contains"]),
    (RuleCondition("subject", "regex", "(unclosed"), ["not a valid regex '(unclosed'"]),
    (RuleCondition("body", "matches", "a{2,1}"), ["not a valid regex"]),
    (RuleCondition("header", "contains", "1"), ["needs the header's name"]),
    (RuleCondition("header", "contains", "1", header="X Priority"),
     ["needs the header's name"]),
    (RuleCondition("header", "contains", "1", header="X:Priority"),
     ["needs the header's name"]),
    (RuleCondition("subject", "contains", "x", header="X-Priority"),
     ["only a header condition names a header, not subject"]),
    (RuleCondition("has_attachment", "contains", "yes"),
     ["has_attachment takes: equals yes, or equals no"]),
    (RuleCondition("has_attachment", "equals", "maybe"),
     ["has_attachment takes: equals yes, or equals no"]),
    (RuleCondition("has_attachment", "equals", ""),
     ["has_attachment takes: equals yes, or equals no"]),
    (RuleCondition("subject", "contains", "   "),
     ["the condition subject contains needs a value"]),
    (RuleCondition("from", "does not contain", ""),
     ["the condition from does not contain needs a value"]),
    (RuleCondition("body", "regex", ""), ["the condition body matches regex needs a value"]),
    (RuleCondition("to", "any_of", ", ,\n"), ["is any of needs a list of values"]),
    (RuleCondition("subject", "contains", "x" * (MAX_VALUE_CHARS + 1)),
     [f"longer than {MAX_VALUE_CHARS} characters"]),
])
def test_check_condition_refuses(condition: RuleCondition, needles: list[str]) -> None:
    with pytest.raises(InvalidInputError) as info:
        check_condition(condition)
    message = str(info.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message


def test_a_value_of_the_maximum_length_is_taken() -> None:
    assert len(cond("subject", "contains", "x" * MAX_VALUE_CHARS).value) == MAX_VALUE_CHARS


def test_a_bad_regex_message_is_one_line() -> None:
    # re.error messages can mention positions across lines; the refusal stays one line.
    with pytest.raises(InvalidInputError) as info:
        check_condition(RuleCondition("body", "regex", "a\n("))
    assert "not a valid regex" in str(info.value)
    assert "\n" not in str(info.value)
