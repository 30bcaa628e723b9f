"""The tolerant LIST reader: every form a name can take, and garbage left out."""

from __future__ import annotations

import pytest
from imapclient.imap_utf7 import encode as encode_utf7

from engine.imap.list_lines import read_list_responses


@pytest.mark.parametrize(("line", "want"), [
    (b'(\\HasNoChildren) "/" "INBOX"', ((b"\\HasNoChildren",), b"/", "INBOX")),
    (b'(\\HasNoChildren) "/" [b]x[', ((b"\\HasNoChildren",), b"/", "[b]x[")),
    (b'(\\HasNoChildren \\Sent) "." Sent', ((b"\\HasNoChildren", b"\\Sent"), b".", "Sent")),
    (b'() NIL "odd \\"quoted\\" \\\\ name"', ((), None, 'odd "quoted" \\ name')),
    (b'(\\Noselect) "\\\\" Public', ((b"\\Noselect",), b"\\", "Public")),
    (b'(\\HasChildren) "/" [Gmail]', ((b"\\HasChildren",), b"/", "[Gmail]")),
])
def test_each_form_of_a_name(line: bytes, want: tuple[object, ...]) -> None:
    assert read_list_responses([line]) == [want]


def test_literal_names_and_modified_utf7() -> None:
    encoded = encode_utf7("Entwürfe/[b]x[")
    data = [(b'(\\HasNoChildren) "/" {%d}' % len(encoded), encoded), b"",
            b'(\\HasNoChildren) "/" "' + encode_utf7("Rückfragen") + b'"']
    assert read_list_responses(data) == [
        ((b"\\HasNoChildren",), b"/", "Entwürfe/[b]x["),
        ((b"\\HasNoChildren",), b"/", "Rückfragen"),
    ]


def test_what_makes_no_sense_is_left_out_and_the_rest_kept() -> None:
    data = [None, b"garbage", b'(\\HasNoChildren) "/" ""', b'(unclosed "/" x',
            (b'() "/" {3}', b""), (b'() "/" "not a literal"', b"abc"),
            b'(\\HasNoChildren) "/" "INBOX"']
    assert read_list_responses(data) == [((b"\\HasNoChildren",), b"/", "INBOX")]
