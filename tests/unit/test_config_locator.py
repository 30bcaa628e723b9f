"""The locator finds the line of a key or table that tomllib read without positions."""

from __future__ import annotations

import tomllib

import pytest

from tui.config_file.locator import Locator

TEXT = '''\
# a comment with [[accounts]] and key = "value" in it
theme = "frontdesk-dark"  # trailing comment

[options]
html = true

[[accounts]]
name = "support"
smtp.host = "smtp.example.com"
"quoted key" = 1
roles = { Sent = "sent", "Old Stuff" = { deep = "x" } }
deny = [
  "spam.example",   # a comment inside an array
  "pest@example.org",
]
signature = """
[[not a table]]
name = "not a key"
"""
literal = \'\'\'C:\\path "quoted" \'\'\'

[accounts.share]
agents = ["ann", "bob"]

[[accounts]]
name = 'second'

[accounts.smtp]
host = "relay.example.com"

[[rules]]
conditions = [
  { field = "subject", op = "contains", value = "a \\" quote" },
  { field = "from", op = "equals", value = "x@y" },
]
'''


@pytest.fixture(scope="module")
def locator() -> Locator:
    tomllib.loads(TEXT)  # the text is TOML
    return Locator(TEXT)


@pytest.mark.parametrize(("path", "line"), [
    (("theme",), 2),
    (("options",), 4),
    (("options", "html"), 5),
    (("accounts", 0), 7),
    (("accounts", 0, "name"), 8),
    (("accounts", 0, "smtp"), 9),  # dotted key
    (("accounts", 0, "smtp", "host"), 9),
    (("accounts", 0, "quoted key"), 10),
    (("accounts", 0, "roles", "Sent"), 11),  # inline table
    (("accounts", 0, "roles", "Old Stuff", "deep"), 11),
    (("accounts", 0, "deny"), 12),
    (("accounts", 0, "deny", 0), 13),  # items of a multi-line array
    (("accounts", 0, "deny", 1), 14),
    (("accounts", 0, "signature"), 16),
    (("accounts", 0, "literal"), 20),  # after a multi-line string with brackets in it
    (("accounts", 0, "share"), 22),  # a table of the last array item
    (("accounts", 0, "share", "agents"), 23),
    (("accounts", 1), 25),
    (("accounts", 1, "name"), 26),
    (("accounts", 1, "smtp", "host"), 29),  # the second item's own table
    (("rules", 0, "conditions", 0, "value"), 33),
    (("rules", 0, "conditions", 1, "op"), 34),
])
def test_lines_of_keys_and_tables(locator: Locator, path: tuple[str | int, ...],
                                  line: int) -> None:
    assert locator.find(path) == line
    assert locator.line(path) == line


def test_what_is_not_written_falls_back_to_its_parent(locator: Locator) -> None:
    assert locator.find(("accounts", 1, "imap_port")) is None
    assert locator.line(("accounts", 1, "imap_port")) == 25
    assert locator.line(("accounts", 0, "smtp", "port")) == 9
    assert locator.line(("nowhere", "at", "all")) == 1
    assert locator.line(()) == 1


def test_keys_hidden_in_strings_and_comments_are_not_found(locator: Locator) -> None:
    assert locator.find(("not a table",)) is None
    assert locator.find(("key",)) is None
    assert locator.find(("accounts", 2)) is None  # the [[accounts]] inside the string


def test_crlf_line_endings_count_the_same() -> None:
    text = 'theme = "x"\r\n\r\n[options]\r\nhtml = true\r\n'
    assert Locator(text).find(("options", "html")) == 4


def test_text_it_cannot_follow_keeps_what_it_saw() -> None:
    located = Locator('a = 1\nb = "unterminated\n')
    assert located.find(("a",)) == 1
    assert located.line(("b", "c")) == 2
