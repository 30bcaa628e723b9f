"""Conditions of a rule: checking what an admin wrote, and testing a message against it.

Every comparison ignores case. A field with several values (To, Cc, a header met twice)
matches when one value does; "does not contain" holds when none does. Address fields
are compared on the addresses. "is any of" takes a list separated by commas or new
lines; an item starting with "@" stands for a whole domain. A regex runs on at most
REGEX_INPUT_CHARS of text, so no message can make a rule slow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from engine.errors import InvalidInputError
from engine.rules.facts import Facts
from storage.rules import RuleCondition

FIELDS = ("from", "to", "cc", "subject", "body", "header", "has_attachment", "account")
OPERATORS = ("contains", "not_contains", "equals", "starts_with", "ends_with", "regex",
             "any_of")
# How each operator is said, in lists and in "Why?".
SAID = {"contains": "contains", "not_contains": "does not contain", "equals": "equals",
        "starts_with": "starts with", "ends_with": "ends with", "regex": "matches regex",
        "any_of": "is any of"}
ADDRESS_FIELDS = ("from", "to", "cc")
MAX_VALUE_CHARS = 1000
REGEX_INPUT_CHARS = 20_000
_HEADER_NAME = re.compile(r"[!-9;-~]{1,76}")
_YES = ("yes", "true", "1")
_NO = ("no", "false", "0")


@dataclass(frozen=True)
class Mailbox:
    """The mailbox a rule belongs to, for the "account" field."""

    name: str
    email: str


def check_condition(c: RuleCondition) -> RuleCondition:
    """The condition as stored (field and operator lower-cased, value trimmed), or
    InvalidInputError saying what is wrong."""
    field, op = c.field.strip().lower().replace("-", "_"), c.op.strip().lower()
    op = op.replace(" ", "_").replace("-", "_")
    op = {"does_not_contain": "not_contains", "matches": "regex", "matches_regex": "regex",
          "is_any_of": "any_of", "is": "equals"}.get(op, op)
    value, header = c.value.strip(), c.header.strip()
    if field not in FIELDS:
        raise InvalidInputError(f"unknown condition field {c.field!r}: use one of "
                                f"{', '.join(FIELDS)}")
    if op not in OPERATORS:
        raise InvalidInputError(f"unknown operator {c.op!r}: use one of "
                                f"{', '.join(OPERATORS)}")
    if len(value) > MAX_VALUE_CHARS:
        raise InvalidInputError(f"a condition's value is longer than {MAX_VALUE_CHARS} "
                                "characters; shorten it")
    if field == "header":
        if not _HEADER_NAME.fullmatch(header):
            raise InvalidInputError("a header condition needs the header's name, e.g. "
                                    "header X-Priority contains 1")
    elif header:
        raise InvalidInputError(f"only a header condition names a header, not {field}")
    if field == "has_attachment":
        if op != "equals" or value.lower() not in (*_YES, *_NO):
            raise InvalidInputError("has_attachment takes: equals yes, or equals no")
        value = "yes" if value.lower() in _YES else "no"
    elif not value and op != "equals":
        raise InvalidInputError(f"the condition {field} {SAID[op]} needs a value")
    if op == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            raise InvalidInputError(f"not a valid regex {value!r}: {exc}") from None
    if op == "any_of" and not _items(value):
        raise InvalidInputError("is any of needs a list of values, separated by commas")
    return RuleCondition(field=field, op=op, value=value, header=header)


def describe(c: RuleCondition) -> str:
    """One line, e.g. `subject contains "refund"`, `header X-Priority equals "1"`."""
    field = f"header {c.header}" if c.field == "header" else c.field
    if c.field == "has_attachment":
        return "has an attachment" if c.value == "yes" else "has no attachment"
    return f"{field} {SAID.get(c.op, c.op)} {c.value!r}"


def _items(value: str) -> list[str]:
    return [v.strip().lower() for v in re.split(r"[,\n]", value) if v.strip()]


def _values(c: RuleCondition, facts: Facts, mailbox: Mailbox) -> Sequence[str]:
    if c.field == "from":
        return (facts.sender,)
    if c.field == "to":
        return facts.to
    if c.field == "cc":
        return facts.cc
    if c.field == "subject":
        return (facts.subject,)
    if c.field == "body":
        return (facts.body,)
    if c.field == "header":
        return facts.header(c.header)
    if c.field == "account":
        return (mailbox.name, mailbox.email)
    raise ValueError(f"no values for field {c.field}")


def _one(op: str, value: str, text: str, address: bool) -> bool:
    text = text.casefold()
    if op == "contains":
        return value in text
    if op == "equals":
        return text == value
    if op == "starts_with":
        return text.startswith(value)
    if op == "ends_with":
        return text.endswith(value)
    if op == "any_of":
        return any(text == item or (address and item.startswith("@") and text.endswith(item))
                   for item in _items(value))
    raise ValueError(f"operator {op} is not a one-value test")


def holds(c: RuleCondition, facts: Facts, mailbox: Mailbox) -> bool:
    """Whether the message meets the condition (checked by check_condition)."""
    if c.field == "has_attachment":
        return facts.has_attachment == (c.value == "yes")
    values = _values(c, facts, mailbox)
    if c.op == "regex":
        pattern = re.compile(c.value, re.IGNORECASE)
        return any(pattern.search(v[:REGEX_INPUT_CHARS]) for v in values)
    wanted = c.value.casefold()
    if c.op == "not_contains":
        return not any(wanted in v.casefold() for v in values)
    address = c.field in ADDRESS_FIELDS
    return any(_one(c.op, wanted, v, address) for v in values)


def first_failing(conditions: Iterable[RuleCondition], facts: Facts,
                  mailbox: Mailbox) -> RuleCondition | None:
    """The first condition the message does not meet; None when it meets them all."""
    for c in conditions:
        if not holds(c, facts, mailbox):
            return c
    return None
