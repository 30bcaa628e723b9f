from engine.compose.html import html_alternative

REPLY_TEXT = "Thanks for writing.\nYour order ships today."
REPLY_HTML = "<p>Thanks for writing.</p><p>Your order <b>ships</b> today.</p>"


def test_the_saved_reply_stands_as_html_between_escaped_text() -> None:
    body = f"Hi <Ann> & co,\n{REPLY_TEXT}\n-- \nBob"
    html = html_alternative(body, REPLY_TEXT, REPLY_HTML)
    assert html is not None
    assert REPLY_HTML in html
    assert "Hi &lt;Ann&gt; &amp; co,<br>" in html
    assert html.endswith("-- <br>\nBob</div>")
    assert "<Ann>" not in html


def test_no_html_once_the_reply_text_was_edited() -> None:
    edited = REPLY_TEXT.replace("today", "tomorrow")
    assert html_alternative(f"Hi,\n{edited}", REPLY_TEXT, REPLY_HTML) is None


def test_no_html_when_the_reply_text_is_there_twice_or_empty() -> None:
    assert html_alternative(f"{REPLY_TEXT}\n{REPLY_TEXT}", REPLY_TEXT, REPLY_HTML) is None
    assert html_alternative("Hi", "  ", "<p></p>") is None
