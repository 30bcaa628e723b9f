"""The HTML alternative of a body that holds an HTML saved reply.

The plain body is what the agent edits; the HTML part must say the same. So the HTML is
built from the body at every save: the text around the saved reply is escaped, and the
reply's own HTML stands where its text version still stands, unchanged. When the agent
has edited into that text, there is no HTML part (the plain body alone is sent), rather
than an HTML part that says something else.
"""

from __future__ import annotations

from html import escape


def _plain(text: str) -> str:
    return escape(text).replace("\n", "<br>\n")


def html_alternative(body: str, text: str, html: str) -> str | None:
    """The HTML version of `body`, where `text` is the text version of the saved reply
    `html`; None when `text` is no longer in the body exactly once."""
    if not text.strip() or body.count(text) != 1:
        return None
    before, _, after = body.partition(text)
    return f"<div>{_plain(before)}{html}{_plain(after)}</div>"
