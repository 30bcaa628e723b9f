from engine.mime.quotes import own_words


def test_quoted_lines_and_attribution_are_left_out() -> None:
    text = ("Thanks, that fixed it.\n\nOn Tue, 3 Nov 2026, Dana Reyes <dana@acme.example> wrote:\n"
            "> Please try again.\n>> Older quote\n\nBest,\nCarla")
    assert own_words(text) == "Thanks, that fixed it.\n\n\nBest,\nCarla"


def test_a_colon_line_without_a_quote_after_it_stays() -> None:
    text = "Steps I tried, as you wrote:\n1. restart\n2. clear cache"
    assert own_words(text) == text


def test_text_without_quotes_is_unchanged_and_other_languages() -> None:
    assert own_words("  plain words  ") == "plain words"
    text = "Danke!\nAm 3. Nov. schrieb Dana:\n> Bitte\n"
    assert own_words(text) == "Danke!"
