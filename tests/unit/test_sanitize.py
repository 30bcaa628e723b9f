"""engine.sanitize: nothing that a terminal would act on may survive."""

from __future__ import annotations

import random

import pytest

from engine.sanitize import sanitize, sanitize_line

ESC = "\x1b"
# Code points that must never come out of the sanitiser.
FORBIDDEN = {chr(c) for c in range(0x20) if chr(c) not in "\t\n"} | {
    chr(c) for c in range(0x7F, 0xA0)
} | set("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def assert_clean(text: str) -> None:
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if ch in FORBIDDEN})
    assert not bad, f"left in output: {bad}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a\x1b[31mred\x1b[0mb", "aredb"),
        ("a\x1b[?1049hb", "ab"),
        ("a\x1b[1;31;42mb", "ab"),
        ("a\x9b2Jb", "ab"),  # 8-bit CSI
        ("a\x1b]0;evil title\x07b", "ab"),  # OSC ended by BEL
        ("a\x1b]52;c;ZXZpbA==\x1b\\b", "ab"),  # OSC 52 clipboard write ended by ST
        ("a\x1b]8;;http://evil.example\x07link\x1b]8;;\x07b", "alinkb"),  # OSC 8 hyperlink
        ("a\x9d0;title\x9cb", "ab"),  # 8-bit OSC and ST
        ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),  # DCS (sixel)
        ("a\x90payload\x9cb", "ab"),
        ("a\x1b_apc payload\x1b\\b", "ab"),
        ("a\x9fapc\x9cb", "ab"),
        ("a\x1b^pm payload\x1b\\b", "ab"),
        ("a\x9epm\x9cb", "ab"),
        ("a\x1bXsos payload\x1b\\b", "ab"),
        ("a\x98sos\x9cb", "ab"),
        ("a\x1b(Bb", "ab"),  # charset designation
        ("a\x1b7b\x1b8", "ab"),  # save/restore cursor
        ("a\x1bcb", "ab"),  # reset
        ("a\x1b", "a"),  # lone ESC at the end
        ("a\x1b\x1b[31mb", "ab"),
    ],
)
def test_escape_sequences_are_removed_with_their_payload(raw: str, expected: str) -> None:
    assert sanitize(raw) == expected


def test_unterminated_string_sequence_drops_only_the_introducer() -> None:
    # The payload is shown as text rather than hiding the rest of the message.
    out = sanitize("before \x1b]0;no terminator, then the rest of the mail")
    assert out == "before 0;no terminator, then the rest of the mail"
    out = sanitize("x\x9dstill visible")
    assert out == "xstill visible"


def test_controls_newlines_and_del() -> None:
    assert sanitize("a\x00b\x07c\x08d\x0be\x0cf\x7fg") == "abcdefg"
    assert sanitize("keep\ttab\nand newline") == "keep\ttab\nand newline"
    assert sanitize("crlf\r\nline\rcr") == "crlf\nline\ncr"
    assert sanitize("c1\x80\x85\x8d\x9a!") == "c1!"
    assert sanitize("para\u2028line\u2029end") == "para\nline\nend"


def test_bidi_and_invisible_format_characters_are_removed() -> None:
    assert sanitize("invoice\u202efdp.exe\u202c") == "invoicefdp.exe"
    assert sanitize("\u2067(x)\u2069 \u200eL\u200fR\u061c") == "(x) LR"
    assert sanitize("zero\u200bwidth\ufeff") == "zerowidth"


def test_ordinary_unicode_is_untouched() -> None:
    text = "Grüße, café — 中文 日本語 한국어 שלום مرحبا 🎉 👨\u200d👩\u200d👧 e\u0301\nnext\tline"
    assert sanitize(text) == text
    assert sanitize_line("Zoë 🎉 中文") == "Zoë 🎉 中文"


def test_markup_is_not_escaped_or_mangled() -> None:
    text = "[@click=app.quit]click me[/] [bold red]x[/bold red] [link=https://e.x]y[/link] \\[z]"
    assert sanitize(text) == text
    assert sanitize_line(text) == text


def test_lone_surrogates_become_replacement_characters() -> None:
    assert sanitize("a\udc80b\ud800") == "a\ufffdb\ufffd"


def test_sanitize_line_collapses_whitespace() -> None:
    assert sanitize_line("  a\tb\r\n\r\nBcc: x@y  \u2028 c  ") == "a b Bcc: x@y c"
    assert sanitize_line("\x1b[31m\n\t") == ""
    assert sanitize_line("nbsp\u00a0\u3000wide") == "nbsp wide"


HOSTILE = [
    "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x9b31m\x9d8;;x\x9c",
    "\x1b\x1b\x1b[[[\x1b]\x1b]\x07\x9c\x9b\x9b",
    "\x1b[31\x1b]0;\x9b\x1bP\x9c\x1b\\",
    "a\x1b[3\r\n1mb\u202e\u2066c\x00d",
]


@pytest.mark.parametrize("raw", HOSTILE)
def test_idempotent_and_clean(raw: str) -> None:
    once = sanitize(raw)
    assert_clean(once)
    assert sanitize(once) == once
    assert "\n" not in sanitize_line(raw)


def test_random_hostile_strings_never_leave_controls() -> None:
    rng = random.Random(1234)
    alphabet = [ESC, "[", "]", "P", "_", "^", "X", "\\", "\x07", "\x9b", "\x9c", "\x9d", "\x90",
                "\x98", "\x9e", "\x9f", "0", ";", "m", "a", "é", "中", "\r", "\n", "\x00",
                "\u202e", "\u2028", "\ud800"]
    for _ in range(500):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        out = sanitize(raw)
        assert_clean(out)
        assert "\r" not in out and "\ud800" not in out
        assert sanitize(out) == out
        line = sanitize_line(raw)
        assert_clean(line)
        assert "\n" not in line and "\t" not in line


@pytest.mark.parametrize(
    "raw",
    [
        "\x1b]" * 500_000,  # many unterminated OSCs
        "\x1b]" + "a" * 1_000_000,  # one unterminated OSC
        "\x9d" + "a" * 1_000_000,
        "\x9d\x9b" * 500_000,
        "\x1b[" + "0;" * 500_000,  # endless CSI parameters
        ("\x1bP" + "x" * 9) * 100_000,
        "\x1b" * 1_000_000,
        "\u202e\r" * 500_000,
    ],
    ids=["osc-many", "osc-one", "c1-osc", "c1-mix", "csi-params", "dcs", "esc", "bidi-cr"],
)
def test_megabyte_adversarial_input_completes(raw: str) -> None:
    out = sanitize(raw)  # linear time: would take minutes if quadratic
    assert_clean(out)
    assert len(out) <= len(raw)


def test_sanitize_line_shortcut_agrees_with_the_general_path() -> None:
    # Printable text with single inner spaces is returned as it is: every character the
    # general path would remove or fold must make the shortcut step aside.
    special = [chr(c) for c in range(0x00, 0xA0)] + [
        "\u00a0", "\u061c", "\u180e", "\u200b", "\u200c", "\u200d", "\u200e", "\u2028",
        "\u2029", "\u202e", "\u2060", "\u2066", "\u3000", "\ufeff", "\ufffa", "\ud800",
        "é", "中", "😀", "  ",
    ]
    rng = random.Random(7)
    for _ in range(20_000):
        text = "".join(rng.choice(special) if rng.random() < 0.3 else rng.choice("ab ")
                       for _ in range(rng.randint(0, 12)))
        assert sanitize_line(text) == " ".join(sanitize(text).split()), repr(text)
