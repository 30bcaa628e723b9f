"""The search language: `from:alice subject:"late invoice" is:unread refund -spam`.

Parsing turns the text into a SearchQuery, a plain value; nothing here touches the store.
Every term matches case-insensitively. Terms are ANDed; repeated account: or folder:
values are alternatives (a message lives in one account and one folder).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from engine.errors import InvalidInputError
from engine.search.operators import (
    HAS_VALUES,
    IS_VALUES,
    OPERATOR_HELP,
    OPERATORS,
    SCOPE_OPERATORS,
    TEXT_OPERATORS,
)

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What looks like an operator: letters, then a colon. "10:30" or "a-b:c" stay words.
_OPERATOR = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed search. Tuples of strings are matched as substrings (from:, to:,
    subject:) or as indexed words and phrases (text); None means "either way"."""

    text: tuple[str, ...] = ()  # words and phrases that must appear (full-text index)
    not_text: tuple[str, ...] = ()  # words and phrases that must not appear
    senders: tuple[str, ...] = ()  # from: name or address contains each
    not_senders: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()  # to: To or Cc contains each
    not_recipients: tuple[str, ...] = ()
    subjects: tuple[str, ...] = ()  # subject: contains each
    not_subjects: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()  # account: one of these account names
    not_accounts: tuple[str, ...] = ()
    folders: tuple[str, ...] = ()  # folder: one of these folder names (or roles)
    not_folders: tuple[str, ...] = ()
    unread: bool | None = None
    flagged: bool | None = None
    has_attachment: bool | None = None
    before: date | None = None  # sent before this day (UTC), the day excluded
    after: date | None = None  # sent on or after this day (UTC)

    @property
    def empty(self) -> bool:
        """True when the query filters nothing."""
        return self == SearchQuery()


@dataclass(frozen=True)
class Term:
    """One token of a query: `negated`, an `operator` (lower case) or None for text, and
    its value; `quoted` when the value was written in quotes."""

    negated: bool
    operator: str | None
    value: str
    quoted: bool


def tokenize(text: str) -> list[Term]:
    """Split a query into terms. Quotes group words into one value; an operator written
    inside quotes ("from:x") is plain text."""
    terms: list[Term] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = text[i] == "-" and i + 1 < n and not text[i + 1].isspace()
        if negated:
            i += 1
        if text[i] == '"':
            value, i = _quoted(text, i)
            terms.append(Term(negated, None, value, True))
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] != '"':
            i += 1
        bare = text[start:i]
        match = _OPERATOR.match(bare)
        if match is None:
            if bare:
                terms.append(Term(negated, None, bare, False))
            continue
        operator, value = match[1].lower(), match[2]
        if not value and i < n and text[i] == '"':
            value, i = _quoted(text, i)
            terms.append(Term(negated, operator, value, True))
        else:
            terms.append(Term(negated, operator, value, False))
    return terms


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The text between the quote at `start` and the next one; and the index after it."""
    end = text.find('"', start + 1)
    if end < 0:
        raise InvalidInputError(
            f"search: the quote at character {start + 1} is never closed; add a closing \""
        )
    return text[start + 1 : end], end + 1


def parse_query(text: str) -> SearchQuery:
    """Parse the search language. Raises InvalidInputError with one line naming what is
    wrong and what is allowed."""
    fields: dict[str, list[str]] = {}
    flags: dict[str, bool] = {}
    dates: dict[str, date] = {}
    for term in tokenize(text):
        if term.operator is None:
            if term.value.strip():
                fields.setdefault("not_text" if term.negated else "text", []).append(
                    " ".join(term.value.split())
                )
            continue
        op, value = term.operator, term.value.strip()
        if op not in OPERATORS:
            raise InvalidInputError(
                f"search: unknown operator {op}:; use {OPERATOR_HELP}, "
                "or put text with a colon in quotes"
            )
        if not value:
            raise InvalidInputError(f"search: {op}: needs a value, e.g. {_example(op)}")
        if op in TEXT_OPERATORS or op in SCOPE_OPERATORS:
            name = {"from": "senders", "to": "recipients"}.get(op, op + "s")
            fields.setdefault(("not_" if term.negated else "") + name, []).append(value)
        elif op == "is":
            key, wanted = _is_value(value)
            _set_flag(flags, key, wanted != term.negated, f"is:{value}")
        elif op == "has":
            if value.lower() not in HAS_VALUES:
                raise InvalidInputError(
                    f"search: has:{value} is not known; use has:attachment"
                )
            _set_flag(flags, "has_attachment", not term.negated, f"has:{value}")
        else:
            if term.negated:
                raise InvalidInputError(
                    f"search: -{op}: cannot be negated; use "
                    f"{'after' if op == 'before' else 'before'}: instead"
                )
            day = _day(op, value)
            # Two limits of one kind: the stricter one holds.
            if op in dates:
                day = min(day, dates[op]) if op == "before" else max(day, dates[op])
            dates[op] = day
    return SearchQuery(
        **{key: tuple(values) for key, values in fields.items()},
        unread=flags.get("unread"),
        flagged=flags.get("flagged"),
        has_attachment=flags.get("has_attachment"),
        before=dates.get("before"),
        after=dates.get("after"),
    )


def _is_value(value: str) -> tuple[str, bool]:
    lowered = value.lower()
    if lowered == "unread":
        return "unread", True
    if lowered == "read":
        return "unread", False
    if lowered == "flagged":
        return "flagged", True
    raise InvalidInputError(
        f"search: is:{value} is not known; use {', '.join('is:' + v for v in IS_VALUES)}"
    )


def _set_flag(flags: dict[str, bool], key: str, wanted: bool, written: str) -> None:
    if flags.get(key, wanted) != wanted:
        raise InvalidInputError(
            f"search: {written} contradicts an earlier term of the query; keep one of them"
        )
    flags[key] = wanted


def _day(op: str, value: str) -> date:
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(
            f"search: {op}:{value} is not a date; write {op}:YYYY-MM-DD, e.g. {_example(op)}"
        ) from None


def _example(op: str) -> str:
    return {
        "from": "from:alice or from:acme.example",
        "to": "to:support@acme.example",
        "subject": 'subject:"late invoice"',
        "account": "account:support",
        "folder": "folder:inbox",
        "is": "is:unread",
        "has": "has:attachment",
        "before": "before:2026-11-01",
        "after": "after:2026-11-01",
    }[op]
