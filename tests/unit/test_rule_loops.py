"""Loop protection (RFC 3834): which mail gets no auto-response, why, and where an answer
goes."""

from __future__ import annotations

import pytest

from engine.rules.facts import Facts, read_facts
from engine.rules.loops import answer_to, refusal

MAILBOX = ("support@acme.example",)
OURS = frozenset({"support@acme.example", "sales@acme.example", "ann@acme.example"})


def mail(*extra: str, sender: str = "Jane <jane@example.org>",
         to: str = "support@acme.example", cc: str = "") -> Facts:
    lines = [f"From: {sender}", f"To: {to}"]
    if cc:
        lines.append(f"Cc: {cc}")
    lines += ["Subject: Where is my order?", "Message-ID: <q1@example.org>", *extra]
    return read_facts(("\r\n".join(lines) + "\r\n\r\nHello\r\n").encode())


def why(facts: Facts) -> str | None:
    return refusal(facts, mailbox=MAILBOX, ours=OURS)


def test_a_plain_customer_mail_is_answered() -> None:
    assert why(mail()) is None
    assert why(mail("Return-Path: <jane@example.org>")) is None
    assert answer_to(mail()) == "jane@example.org"


@pytest.mark.parametrize(("header", "needles"), [
    ("Auto-Submitted: auto-replied", ["automatic mail", "Auto-Submitted: auto-replied"]),
    ("Auto-Submitted: auto-generated", ["automatic mail", "Auto-Submitted: auto-generated"]),
    ("Auto-Submitted: Auto-Notified; owner-email=x@y", ["Auto-Submitted"]),
    ("X-Autoreply: yes", ["automatic reply", "X-Autoreply"]),
    ("X-Autorespond: whatever", ["X-Autoreply"]),
    ("Precedence: bulk", ["bulk mail", "Precedence: bulk"]),
    ("Precedence: list", ["Precedence: list"]),
    ("Precedence: JUNK", ["Precedence: junk"]),
    ("List-Id: <announce.lists.example.org>", ["list mail", "List-Id"]),
    ("List-Unsubscribe: <mailto:leave@lists.example.org>", ["list mail",
                                                             "List-Unsubscribe"]),
    ("List-Post: <mailto:l@lists.example.org>", ["list mail", "List-Post"]),
    ("X-Loop: support@acme.example", ["X-Loop"]),
    ("X-Auto-Response-Suppress: All", ["X-Auto-Response-Suppress"]),
    ("X-Auto-Response-Suppress: OOF", ["X-Auto-Response-Suppress"]),
    ("X-Auto-Response-Suppress: DR, AutoReply", ["X-Auto-Response-Suppress"]),
    ("Return-Path: <>", ["empty Return-Path"]),
])
def test_loop_protection_suppresses_with_a_reason(header: str, needles: list[str]) -> None:
    reason = why(mail(header))
    assert reason is not None, header
    assert "\n" not in reason
    for needle in needles:
        assert needle in reason, (header, reason)


@pytest.mark.parametrize("header", [
    "Auto-Submitted: no",
    "Auto-Submitted: No ; comment",
    "X-Auto-Response-Suppress: DR, RN",
    "X-Auto-Response-Suppress: NRN",
    "Precedence: first-class",
    "X-Mailing-Software: none",  # not a List-* field
])
def test_headers_that_do_not_suppress(header: str) -> None:
    assert why(mail(header)) is None


@pytest.mark.parametrize(("sender", "needle"), [
    ("MAILER-DAEMON@mx.example.org", "is a system address"),
    ("Mail Delivery System <mailer-daemon@mx.example.org>", "is a system address"),
    ("postmaster@example.org", "is a system address"),
    ("noreply@shop.example", "is a system address"),
    ("no-reply@shop.example", "is a system address"),
    ("donotreply@shop.example", "is a system address"),
    ("foo-request@lists.example.org", "is a list's -request address"),
    ("owner-foo@lists.example.org", "is a list owner's address"),
    ("foo-owner@lists.example.org", "is a list owner's address"),
])
def test_system_senders_are_not_answered(sender: str, needle: str) -> None:
    reason = why(mail(sender=sender))
    assert reason is not None and needle in reason
    assert reason.startswith(read_facts(f"From: {sender}\r\n\r\n".encode()).sender)


def test_a_system_return_path_is_not_answered_either() -> None:
    reason = why(mail("Return-Path: <MAILER-DAEMON@mx.example.org>"))
    assert reason == "mailer-daemon@mx.example.org is a system address"


def test_our_own_addresses_are_not_answered() -> None:
    reason = why(mail(sender="Sales <Sales@Acme.example>"))
    assert reason == "sales@acme.example is one of our own addresses"
    # The Return-Path counts as well as From.
    reason = why(mail("Return-Path: <ann@acme.example>"))
    assert reason == "ann@acme.example is one of our own addresses"


def test_mail_not_addressed_to_the_mailbox_is_not_answered() -> None:
    # Arrived by Bcc (the mailbox is in no header), or through a list.
    for facts in (mail(to="someone@else.example"),
                  mail(to="team@lists.example.org", cc="other@else.example")):
        reason = why(facts)
        assert reason is not None and "not addressed to this mailbox" in reason


@pytest.mark.parametrize("extra", [
    {"to": "someone@else.example", "cc": "Support <SUPPORT@acme.example>"},
    {"to": "someone@else.example", "header": "Delivered-To: support@acme.example"},
    {"to": "someone@else.example", "header": "X-Original-To: support@acme.example"},
    {"to": "team@acme.example, support@acme.example"},
])
def test_mail_addressed_by_cc_or_delivered_to_is_answered(extra: dict[str, str]) -> None:
    headers = (extra["header"],) if "header" in extra else ()
    assert why(mail(*headers, to=extra["to"], cc=extra.get("cc", ""))) is None


def test_no_address_to_answer() -> None:
    reason = why(read_facts(b"To: support@acme.example\r\nSubject: x\r\n\r\nx\r\n"))
    assert reason == "it has no address to answer"


def test_answer_to_prefers_the_return_path() -> None:
    with_path = mail("Return-Path: <Bounces+jane@Mailer.example.org>")
    assert answer_to(with_path) == "bounces+jane@mailer.example.org"
    assert answer_to(mail()) == "jane@example.org"
    assert answer_to(mail("Return-Path: <>")) == ""
