"""Render untrusted HTML mail as plain text with a numbered link list.

Uses the stdlib :class:`html.parser.HTMLParser` and never fetches anything (images, styles and
frames are not loaded; ``<img>`` becomes its alt text). Scripts, styles, ``<head>`` and comments
are dropped. Only http, https and mailto links are listed, so the reader sees where a link really
goes rather than what its text claims.

HTMLParser before Python 3.13.4 / 3.12.11 / 3.11.13 is quadratic (minutes on 100 KB) when
:meth:`~html.parser.HTMLParser.close` flushes an unterminated construct such as ``"<a " * n`` or
an unclosed comment. So the document is fed once and, instead of calling ``close()`` on such a
tail, the tail is dropped, which is also what a browser does with markup cut off by end of file.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from engine.mime.limits import (
    BODY_TEXT_MAX_CHARS,
    HTML_MAX_INPUT_CHARS,
    MAX_LINK_CHARS,
    MAX_LINKS,
    TRUNCATION_NOTE,
)
from engine.sanitize import sanitize, sanitize_line

__all__ = ["html_to_text"]

_SKIPPED = frozenset({"script", "style", "head", "title", "template", "svg", "math"})
_PARAGRAPH = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "blockquote", "pre",
     "hr", "figure", "address", "fieldset", "form", "details"}
)
_LINE = frozenset(
    {"div", "li", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside",
     "main", "center", "caption", "figcaption", "summary", "legend", "tbody", "thead", "tfoot"}
)
_LINK_SCHEMES = ("http", "https", "mailto")
_LITERAL_LT = re.compile(r"<(?![A-Za-z/!?])")
_MAX_NESTING = 8  # indentation levels drawn for nested lists/quotes; deeper nesting is flattened
# Browsers ignore these inside URLs, so "java\tscript:" is "javascript:".
_URL_IGNORED = str.maketrans("", "", "\t\n\r")


def _link_target(href: str | None) -> str | None:
    """The URL to list for *href*, or None if it is not an absolute http(s)/mailto URL."""
    if not href:
        return None
    url = href.strip("\x00\t\n\f\r ").translate(_URL_IGNORED)
    scheme, colon, _ = url.partition(":")
    if not colon or scheme.lower() not in _LINK_SCHEMES or len(url) > MAX_LINK_CHARS:
        return None
    url = sanitize_line(url)
    return url or None


class _Converter(HTMLParser):
    def __init__(self, max_output: int) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str] = []
        self.full = False  # output reached max_output
        self._link_numbers: dict[str, int] = {}
        self._max_output = max_output
        self._size = 0
        self._skip: dict[str, int] = {}
        self._skipping = 0  # sum of _skip values
        self._breaks = 0  # newlines owed before the next text
        self._space = False  # a space is owed before the next text
        self._line_start = True
        self._started = False  # any text emitted yet
        self._prefix = ""  # list marker owed at the start of the next line
        self._pre = 0
        self._lists = 0
        self._quotes = 0
        self._anchors: list[str | None] = []

    # --- output ----------------------------------------------------------------------------

    def _emit(self, text: str) -> None:
        if self.full:
            return
        self._size += len(text)
        if self._size > self._max_output:
            self.full = True
        self.out.append(text)

    def _block(self, breaks: int) -> None:
        if self._started:
            self._breaks = max(self._breaks, breaks)
        self._space = False

    def _text(self, text: str) -> None:
        if self._skipping or not text:
            return
        if self._pre:
            self._flush_breaks()
            self._emit(text)
            self._line_start = text.endswith("\n")
            return
        words = text.split()
        if not words:
            self._space = True
            return
        if text[0].isspace():
            self._space = True
        if self._breaks or self._line_start:
            self._flush_breaks()
        elif self._space:
            self._emit(" ")
        self._emit(" ".join(words))
        self._space = text[-1].isspace()
        self._line_start = False

    def _flush_breaks(self) -> None:
        if self._breaks:
            self._emit("\n" * self._breaks)
            self._line_start = True
        self._breaks = 0
        if self._line_start:
            if self._quotes:
                self._emit("> " * min(self._quotes, _MAX_NESTING))
            if self._prefix:
                self._emit(self._prefix)
                self._prefix = ""
        self._space = False
        self._started = True

    # --- parser callbacks ------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skip[tag] = self._skip.get(tag, 0) + 1
            self._skipping += 1
            return
        if tag == "body":
            # An unclosed <head> must not hide the whole body.
            self._skipping -= self._skip.pop("head", 0) + self._skip.pop("title", 0)
            return
        if tag == "br":
            if self._started:
                self._breaks = min(self._breaks + 1, 2)
        elif tag in _PARAGRAPH:
            # A list nested in a list item continues the item: no blank line.
            self._block(1 if self._lists and tag in ("ul", "ol") else 2)
            if tag == "pre":
                self._pre += 1
            elif tag in ("ul", "ol"):
                self._lists += 1
            elif tag == "blockquote":
                self._quotes += 1
        elif tag == "li":
            self._block(1)
            self._prefix = "  " * min(max(self._lists - 1, 0), _MAX_NESTING) + "- "
        elif tag in _LINE:
            self._block(1)
        elif tag in ("td", "th"):
            self._space = True
        elif tag == "a":
            self._anchors.append(_link_target(dict(attrs).get("href")))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self._space = True
                self._text(f"[image: {alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            if self._skip.get(tag):
                self._skip[tag] -= 1
                self._skipping -= 1
            return
        if tag in _PARAGRAPH:
            if tag == "pre" and self._pre:
                self._pre -= 1
            elif tag in ("ul", "ol") and self._lists:
                self._lists -= 1
            elif tag == "blockquote" and self._quotes:
                self._quotes -= 1
            self._block(1 if self._lists and tag in ("ul", "ol") else 2)
        elif tag in _LINE:
            self._block(1)
        elif tag == "a" and self._anchors:
            self._end_link(self._anchors.pop())

    def _end_link(self, url: str | None) -> None:
        if url is None or self._skipping:
            return
        number = self._link_numbers.get(url)
        if number is None:
            if len(self.links) >= MAX_LINKS:
                return
            self.links.append(url)
            number = self._link_numbers[url] = len(self.links)
        self._space = True
        self._text(f"[{number}]")

    def handle_data(self, data: str) -> None:
        self._text(data)

    def finish(self) -> None:
        """Number links left open at end of input."""
        while self._anchors:
            self._end_link(self._anchors.pop())


def html_to_text(
    html: str, *, max_chars: int = HTML_MAX_INPUT_CHARS
) -> tuple[str, tuple[str, ...]]:
    """Convert an HTML body to ``(text, links)``.

    Block elements become line breaks or blank lines, list items ``- `` lines, blockquotes
    ``> `` lines; each listed link's text is followed by `` [n]`` where ``links[n-1]`` is its
    URL (same URL, same number). Input beyond *max_chars* is cut and a truncation note added.
    The text is sanitised; never raises.
    """
    truncated = len(html) > max_chars
    if truncated:
        html = html[:max_chars]
    # HTMLParser raises AssertionError on "<![" followed by an unknown keyword. Browsers treat
    # any "<![" in HTML content as a bogus comment up to ">", which is what "<!x[" becomes.
    html = html.replace("<![", "<!x[")
    # A "<" that cannot open markup is text (HTML5); HTMLParser would report it one character
    # per callback, which makes "<<<<..." slow.
    html = _LITERAL_LT.sub("&lt;", html)
    converter = _Converter(BODY_TEXT_MAX_CHARS)
    try:
        converter.feed(html)
        # What feed() could not complete waits in rawdata (see the module docstring).
        tail: str = getattr(converter, "rawdata", "")
        if not tail.startswith("<") and not getattr(converter, "cdata_elem", None):
            converter.close()  # only text (a possibly cut entity) is left: linear
        converter.finish()
    except Exception:
        truncated = True  # keep what was converted before the parser gave up
    text = "".join(converter.out)
    if converter.full:
        text = text[:BODY_TEXT_MAX_CHARS]
        truncated = True
    text = sanitize(text).strip("\n")
    if truncated:
        text = f"{text}\n\n{TRUNCATION_NOTE}" if text else TRUNCATION_NOTE
    return text, tuple(converter.links)
