import sqlite3
from datetime import date

import pytest

from engine.errors import InvalidInputError
from engine.search.fts import all_of, any_of, fts_string, in_column, searchable
from engine.search.query import SearchQuery, parse_query, tokenize


def test_empty_query_filters_nothing() -> None:
    assert parse_query("").empty
    assert parse_query("   \t ").empty
    assert not parse_query("x").empty


def test_words_and_phrases() -> None:
    q = parse_query('refund  "late   invoice" zeppelin')
    assert q.text == ("refund", "late invoice", "zeppelin")
    assert q.not_text == ()


def test_operators_with_bare_and_quoted_values() -> None:
    q = parse_query('from:acme.example to:help@acme.example subject:"late invoice" '
                    "account:support folder:INBOX")
    assert q.senders == ("acme.example",)
    assert q.recipients == ("help@acme.example",)
    assert q.subjects == ("late invoice",)
    assert q.accounts == ("support",)
    assert q.folders == ("INBOX",)
    assert q.text == ()


def test_operator_names_and_values_are_case_insensitive() -> None:
    q = parse_query("FROM:Alice Is:UNREAD HAS:Attachment Subject:Hello")
    assert q.senders == ("Alice",)
    assert q.subjects == ("Hello",)
    assert q.unread is True
    assert q.has_attachment is True


def test_repeated_operators_accumulate() -> None:
    q = parse_query("from:alice from:acme subject:a subject:b")
    assert q.senders == ("alice", "acme")
    assert q.subjects == ("a", "b")


def test_is_and_has_values() -> None:
    assert parse_query("is:unread").unread is True
    assert parse_query("is:read").unread is False
    assert parse_query("is:flagged").flagged is True
    assert parse_query("-is:flagged").flagged is False
    assert parse_query("-is:unread").unread is False
    assert parse_query("has:attachment").has_attachment is True
    assert parse_query("-has:attachment").has_attachment is False
    plain = parse_query("word")
    assert (plain.unread, plain.flagged, plain.has_attachment) == (None, None, None)


def test_dates() -> None:
    q = parse_query("after:2026-10-02 before:2026-11-01")
    assert q.after == date(2026, 10, 2)
    assert q.before == date(2026, 11, 1)
    # Two limits of one kind: the stricter one holds.
    q = parse_query("before:2026-11-01 before:2026-10-15 after:2026-01-01 after:2026-03-01")
    assert q.before == date(2026, 10, 15)
    assert q.after == date(2026, 3, 1)


def test_negation() -> None:
    q = parse_query('invoice -spam -"out of office" -from:noreply -subject:newsletter')
    assert q.text == ("invoice",)
    assert q.not_text == ("spam", "out of office")
    assert q.not_senders == ("noreply",)
    assert q.not_subjects == ("newsletter",)
    assert q.senders == ()


def test_a_lone_dash_is_a_word_not_a_negation() -> None:
    q = parse_query("a - b")
    assert q.text == ("a", "-", "b")
    assert q.not_text == ()


def test_operator_inside_quotes_is_text() -> None:
    q = parse_query('"from:alice is:unread"')
    assert q.text == ("from:alice is:unread",)
    assert q.senders == () and q.unread is None


def test_colons_that_are_not_operators_stay_words() -> None:
    assert parse_query("10:30 meeting").text == ("10:30", "meeting")
    assert parse_query("{body}:x").text == ("{body}:x",)


def test_quote_after_a_word_starts_a_new_term() -> None:
    assert [t.value for t in tokenize('foo"bar baz"')] == ["foo", "bar baz"]


def test_empty_quotes_add_nothing() -> None:
    assert parse_query('"" x').text == ("x",)


@pytest.mark.parametrize(
    ("query", "needles"),
    [
        ("colour:red", ("unknown operator colour:", "from:", "quotes")),
        ("re:invoice", ("unknown operator re:",)),
        ("before:2026-13-01", ("before:2026-13-01 is not a date", "YYYY-MM-DD")),
        ("after:2026-02-30", ("after:2026-02-30", "YYYY-MM-DD")),
        ("after:yesterday", ("after:yesterday", "YYYY-MM-DD")),
        ("before:2026-1-5", ("before:2026-1-5",)),
        ('subject:"late invoice', ("never closed",)),
        ('hello "world', ("never closed",)),
        ("is:spam", ("is:spam", "is:unread", "is:read", "is:flagged")),
        ("has:pdf", ("has:pdf", "has:attachment")),
        ("from:", ("from: needs a value",)),
        ('subject:""', ("subject: needs a value",)),
        ("is:read is:unread", ("contradicts",)),
        ("is:flagged -is:flagged", ("contradicts",)),
        ("-before:2026-01-01", ("cannot be negated", "after:")),
    ],
)
def test_errors_are_one_line_and_say_what_is_allowed(query: str, needles: tuple[str, ...]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_query(query)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("search: ")
    for needle in needles:
        assert needle in message


def test_repeating_the_same_flag_is_not_a_contradiction() -> None:
    assert parse_query("is:unread is:unread").unread is True


def test_fts_string_doubles_quotes() -> None:
    assert fts_string('a"b') == '"a""b"'
    assert fts_string("NEAR(") == '"NEAR("'


def test_searchable() -> None:
    assert searchable("a1")
    assert searchable("ü")
    assert not searchable("*^(-")
    assert not searchable("")


def test_all_of_and_any_of_drop_punctuation_only_terms() -> None:
    assert all_of(["x", "*", "y z"]) == '"x" AND "y z"'
    assert any_of(["x", "y"]) == '"x" OR "y"'
    assert all_of(["*", "^"]) is None
    assert any_of([]) is None
    assert in_column("sender", "*") is None
    assert in_column("sender", 'x"') == '{sender}: "x"""'


NASTY = [
    "NEAR(", "NEAR(a b)", "*", "^", "a*", "col:x", "subject:x", "{body}:x", '"', '""', 'a"b',
    "AND", "OR", "NOT", "(", ")", "a OR b", "-", "+", "x:y:z", "\\", "'", "\x00", "ü*",
]


def _fts() -> sqlite3.Connection:
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(subject, body, "
                "tokenize='unicode61 remove_diacritics 2')")
    con.executemany("INSERT INTO t (rowid, subject, body) VALUES (?, ?, ?)", [
        (1, "near the dock", "the x marks"),
        (2, "col x", "a and b"),
        (3, "AND or NOT", "plain words"),
        (4, "unrelated", "nothing here"),
    ])
    return con


@pytest.mark.parametrize("term", NASTY)
def test_quoted_terms_never_raise_fts_syntax_errors(term: str) -> None:
    con = _fts()
    for expression in (all_of([term]), any_of([term]), all_of([term, "x"]),
                       in_column("body", term)):
        if expression is not None:
            con.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()


def test_quoted_terms_match_their_words_literally() -> None:
    con = _fts()

    def hits(expression: str | None) -> set[int]:
        assert expression is not None
        return {r[0] for r in con.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,))}

    # NEAR( is the word "near", not the NEAR operator; col:x is two words, not a column.
    assert hits(all_of(["NEAR("])) == {1}
    assert hits(all_of(["col:x"])) == {2}
    # AND/OR/NOT are words when quoted, not operators.
    assert hits(all_of(["NOT"])) == {3}
    assert hits(all_of(["a OR b"])) == set()  # the phrase "a or b" is not in any row
    assert hits(any_of(["dock", "nothing"])) == {1, 4}


def test_dataclass_default_is_the_empty_query() -> None:
    assert SearchQuery().empty
    assert parse_query("").text == ()
