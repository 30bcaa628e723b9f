"""engine.mime.html_to_text: readable text, honest links, nothing executed or fetched."""

from __future__ import annotations

import pytest

from engine.mime import html_to_text
from engine.mime.limits import TRUNCATION_NOTE


def test_blocks_breaks_and_lists() -> None:
    html = (
        "<h1>Title</h1><p>First   paragraph\nwrapped.</p><div>Line one<br>Line two</div>"
        "<ul><li>one</li><li>two<ul><li>nested</li></ul></li></ul><p>after</p>"
    )
    text, links = html_to_text(html)
    assert text == (
        "Title\n\nFirst paragraph wrapped.\n\nLine one\nLine two\n\n- one\n- two\n  - nested"
        "\n\nafter"
    )
    assert links == ()


def test_links_are_numbered_listed_in_order_and_deduplicated() -> None:
    html = (
        '<p>See <a href="https://example.com/a">the docs</a>, '
        '<a href="mailto:help@example.com">mail us</a> or '
        '<a href="https://example.com/a">the docs again</a>. '
        '<a href="http://example.org/b?x=1&amp;y=2">b</a></p>'
    )
    text, links = html_to_text(html)
    assert text == "See the docs [1], mail us [2] or the docs again [1]. b [3]"
    assert links == ("https://example.com/a", "mailto:help@example.com", "http://example.org/b?x=1&y=2")


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "file:///etc/passwd",
        "/relative/path",
        "#anchor",
        "",
    ],
)
def test_only_http_https_mailto_links_are_listed(href: str) -> None:
    text, links = html_to_text(f'<a href="{href}">click</a>')
    assert links == ()
    assert text == "click"


def test_scripts_styles_head_and_comments_are_dropped() -> None:
    html = (
        "<html><head><title>Secret title</title><style>p { color: red }</style>"
        "<script>var x = '</p>';</script></head><body><!-- hidden comment -->"
        "<p>Visible</p><script type='text/javascript'>alert('no')</script>"
        "<template><p>inert</p></template><svg><text>vector</text></svg></body></html>"
    )
    text, _ = html_to_text(html)
    assert text == "Visible"


def test_unclosed_head_does_not_hide_the_body() -> None:
    text, _ = html_to_text("<head><title>t</title><body><p>still shown</p>")
    assert text == "still shown"


def test_entities_are_decoded() -> None:
    html = "<p>Fish &amp; chips &lt;3 &eacute;t&eacute; &#8364;5 &#x263A; a&nbsp;b</p>"
    text, _ = html_to_text(html)
    assert text == "Fish & chips <3 été €5 ☺ a b"


def test_images_become_alt_text_and_are_never_fetched() -> None:
    html = '<p>Logo: <img src="https://tracker.example/p.gif" alt="Acme"> <img src="x.png"></p>'
    text, links = html_to_text(html)
    assert text == "Logo: [image: Acme]"
    assert links == ()


def test_blockquote_pre_and_tables() -> None:
    html = (
        "<p>Reply</p><blockquote>quoted<br>more</blockquote>"
        "<pre>  keep   spacing\n    indented</pre>"
        "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
    )
    text, _ = html_to_text(html)
    assert text == "Reply\n\n> quoted\n> more\n\n  keep   spacing\n    indented\n\na b\nc d"


def test_output_is_sanitised_even_when_controls_arrive_as_entities() -> None:
    html = (
        '<p title="x">A&#27;]52;c;ZXZpbA==&#7;B &#x1b;[2J C &#x202e;exe.pdf</p>'
        '<a href="https://e.example/&#x1b;[31m">l</a>'
    )
    text, links = html_to_text(html)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "A" in text and "exe.pdf" in text
    assert all("\x1b" not in link for link in links)


def test_markup_text_is_kept_literally() -> None:
    text, _ = html_to_text("<p>[@click=app.quit]click[/] [bold]x[/bold]</p>")
    assert text == "[@click=app.quit]click[/] [bold]x[/bold]"


def test_input_beyond_the_limit_is_truncated_with_a_note() -> None:
    text, _ = html_to_text("<p>" + "word " * 1000 + "</p>", max_chars=100)
    assert text.endswith(TRUNCATION_NOTE)
    assert len(text) < 200


@pytest.mark.parametrize(
    "html",
    [
        "<a " * 60_000,  # quadratic in HTMLParser.close() on this Python
        "<!--" * 60_000,
        "<a href='x" * 20_000,
        "<?" * 60_000,
        "</a" * 60_000,
        "<" * 200_000,
        "&" * 200_000,
        "<![foo[ bar ]]> after",  # AssertionError inside HTMLParser
        "<![CDATA[ unterminated",
        "<script>" + "</scrip" * 30_000,
        "<ul><li>x" * 20_000,
        "<blockquote>x<br>" * 20_000,
        "<p>text <b>unclosed <i>tags",
        "\x00<p>\x00nul\x00</p>",
    ],
    ids=["tags", "comments", "quotes", "pi", "endtags", "lt", "amp", "marked", "cdata",
         "script", "lists", "quotes-nested", "unclosed", "nul"],
)
def test_malformed_html_never_raises_and_stays_fast(html: str) -> None:
    text, links = html_to_text(html)
    assert isinstance(text, str)
    assert "\x00" not in text
    assert isinstance(links, tuple)


def test_visible_text_after_bogus_marked_section() -> None:
    text, _ = html_to_text("<p>before</p><![foo[ x ]]><p>after</p>")
    assert text == "before\n\nafter"
