"""engine.corpus: a reproducible, seeded generator of realistic support mail."""

from __future__ import annotations

import base64
import email
import email.policy
import statistics
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage, Message
from pathlib import Path

import pytest

from engine.corpus import (
    DEFAULT_ACCOUNTS,
    DEFAULT_END,
    DEMO_PROFILE,
    FOLDERS,
    CorpusAccount,
    CorpusMessage,
    CorpusProfile,
    generate_corpus,
)
from engine.corpus.encoding import WordStyle, address, encoded_words

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_FLAGS = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft"}
OWN_ADDRESSES = {a.email for a in DEFAULT_ACCOUNTS}


def _strict(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _compat(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def _defects(msg: EmailMessage) -> list[object]:
    found: list[object] = []
    for part in msg.walk():
        found.extend(part.defects)
        for _name, value in part.items():
            found.extend(getattr(value, "defects", ()))
    return found


def _is_malformed(raw: bytes) -> bool:
    """The two deliberately malformed kinds: a colon-less header line, or a multipart
    without its closing delimiter."""
    if b"this line has no colon" in raw:
        return True
    msg = _compat(raw)
    boundary = msg.get_boundary()
    return boundary is not None and f"--{boundary}--".encode() not in raw


def _subject(msg: EmailMessage) -> str:
    return str(msg.get("Subject", ""))


@pytest.fixture(scope="module")
def corpus() -> list[CorpusMessage]:
    return list(generate_corpus(2000))


@pytest.fixture(scope="module")
def parsed(corpus: list[CorpusMessage]) -> list[EmailMessage]:
    return [_strict(m.raw) for m in corpus]


# --- reproducibility and shape of the stream ------------------------------------------


def test_same_seed_gives_identical_bytes() -> None:
    first = list(generate_corpus(300, seed=5))
    second = list(generate_corpus(300, seed=5))
    assert first == second


def test_other_seed_gives_other_corpus() -> None:
    first = [m.raw for m in generate_corpus(100, seed=5)]
    second = [m.raw for m in generate_corpus(100, seed=6)]
    assert len(set(first) & set(second)) == 0


def test_prefix_of_the_stream_does_not_depend_on_consumption() -> None:
    gen = generate_corpus(50, seed=9)
    head = [next(gen) for _ in range(10)]
    assert head == list(generate_corpus(50, seed=9))[:10]


@pytest.mark.parametrize("count", [0, 1, 2, 7, 50, 333])
def test_yields_exactly_count(count: int) -> None:
    assert sum(1 for _ in generate_corpus(count, seed=count)) == count


def test_exact_count_over_a_short_window() -> None:
    assert len(list(generate_corpus(500, days=2))) == 500


def test_oldest_first_within_the_window(corpus: list[CorpusMessage]) -> None:
    dates = [m.internal_date for m in corpus]
    assert dates == sorted(dates)
    assert all(d.tzinfo is not None and d.utcoffset() == timedelta(0) for d in dates)
    assert DEFAULT_END - timedelta(days=90) <= dates[0]
    assert dates[-1] <= DEFAULT_END
    # Spread over the window, not bunched up at one end.
    assert dates[len(dates) // 2] - dates[0] > timedelta(days=30)


def test_custom_end_and_accounts() -> None:
    end = datetime(2025, 3, 1, tzinfo=UTC)
    accounts = (CorpusAccount("help", "Helpdesk", "help@shop.example", shared=True),)
    messages = list(generate_corpus(120, seed=3, accounts=accounts, end=end, days=10))
    assert {m.account for m in messages} == {"help"}
    assert all(end - timedelta(days=10) <= m.internal_date <= end for m in messages)
    senders = {_strict(m.raw)["From"].addresses[0].addr_spec for m in messages
               if m.folder == "Sent"}
    assert senders == {"help@shop.example"}


def test_invalid_arguments_are_rejected() -> None:
    with pytest.raises(ValueError):
        generate_corpus(-1)
    with pytest.raises(ValueError):
        generate_corpus(5, end=datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        generate_corpus(5, accounts=())


# --- wire format ---------------------------------------------------------------------


def test_raw_is_appendable(corpus: list[CorpusMessage]) -> None:
    for m in corpus:
        raw = m.raw
        assert b"\x00" not in raw
        rest = raw.replace(b"\r\n", b"")
        assert b"\r" not in rest and b"\n" not in rest, m.message_id
        assert raw.endswith(b"\r\n")
        assert max(len(line) for line in raw.split(b"\r\n")) <= 998, m.message_id
        head = raw.split(b"\r\n\r\n", 1)[0]
        assert head.isascii(), m.message_id  # non-ASCII only through encoded words


def test_everything_parses_and_only_the_malformed_have_defects(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    defective = 0
    for m, msg in zip(corpus, parsed, strict=True):
        if _is_malformed(m.raw):
            defective += 1
            compat = _compat(m.raw)  # must not raise either
            assert compat["Message-ID"] == m.message_id
            continue
        assert _defects(msg) == [], (m.message_id, _defects(msg))
        for part in msg.walk():
            if not part.is_multipart():
                part.get_content()
        assert msg["Date"].datetime is not None
    assert defective >= 2


def test_message_ids_unique_and_match_header(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    ids = [m.message_id for m in corpus]
    assert len(set(ids)) == len(ids)
    for m, msg in zip(corpus, parsed, strict=True):
        assert m.message_id.startswith("<") and m.message_id.endswith(">")
        assert _compat(m.raw)["Message-ID"] == m.message_id
        if not _is_malformed(m.raw):
            assert str(msg["Message-ID"]) == m.message_id
        sender = msg["From"].addresses[0].addr_spec if not _is_malformed(m.raw) else None
        if sender is not None and m.folder != "Junk" and "List-Id" not in msg:
            assert m.message_id.endswith("@" + sender.rsplit("@", 1)[1] + ">")


def test_date_header_matches_internal_date(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    for m, msg in zip(corpus, parsed, strict=True):
        if _is_malformed(m.raw):
            continue
        sent = msg["Date"].datetime
        assert sent.tzinfo is not None
        assert timedelta(0) <= m.internal_date - sent <= timedelta(minutes=10)


# --- conversations -------------------------------------------------------------------


def test_thread_headers_are_consistent(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    position = {m.message_id: i for i, m in enumerate(corpus)}
    replies = 0
    for i, msg in enumerate(parsed):
        parent = msg.get("In-Reply-To")
        if parent is None:
            assert "References" not in msg
            continue
        replies += 1
        parent = str(parent)
        assert position[parent] < i
        refs = str(msg["References"]).split()
        assert refs[-1] == parent
        assert all(position[r] < i for r in refs)
        assert len(refs) == len(set(refs)) <= 6
    assert replies > len(corpus) / 3


def test_replies_have_one_prefix_and_quote_the_previous_message(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    by_id = {m.message_id: msg for m, msg in zip(corpus, parsed, strict=True)}
    quoted = 0
    for msg in parsed:
        subject = _subject(msg)
        assert "re: re:" not in subject.lower()
        if "In-Reply-To" not in msg or "Auto-Submitted" in msg:
            continue
        assert subject.split(":", 1)[0] in ("Re", "RE", "AW")
        body = msg.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        parent = by_id[str(msg["In-Reply-To"])]
        parent_name = parent["From"].addresses[0].display_name.split(" (")[0]
        assert "wrote:" in text and parent_name in text
        assert "\n> " in text
        quoted += 1
    assert quoted > 300


def test_thread_lengths_vary_up_to_six(parsed: list[EmailMessage]) -> None:
    depths = Counter(len(str(msg.get("References", "")).split()) + 1 for msg in parsed
                     if "Auto-Submitted" not in msg)
    assert {1, 2, 3, 4, 5, 6} <= set(depths)
    assert max(depths) <= 6


def test_customers_copy_colleagues_and_agents_reply_to_all(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    with_cc = [(m, msg) for m, msg in zip(corpus, parsed, strict=True) if "Cc" in msg]
    assert len(with_cc) > 50
    for m, msg in with_cc:
        cc_domains = {a.domain for a in msg["Cc"].addresses}
        if m.folder == "Sent":
            assert cc_domains == {msg["To"].addresses[0].domain}
        else:
            assert cc_domains == {msg["From"].addresses[0].domain}


def test_agent_replies_are_in_sent(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    account_email = {a.key: a.email for a in DEFAULT_ACCOUNTS}
    sent = 0
    for m, msg in zip(corpus, parsed, strict=True):
        if _is_malformed(m.raw):
            continue
        sender = msg["From"].addresses[0].addr_spec
        if m.folder == "Sent":
            sent += 1
            assert sender == account_email[m.account]
            assert m.flags == ("\\Seen",)
            assert "Received" not in msg
        else:
            assert sender not in OWN_ADDRESSES
            assert account_email[m.account] in str(msg["To"])
    assert sent > len(corpus) / 5


def test_answered_flag_means_an_agent_replied(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    answered_ids = {str(msg["In-Reply-To"]) for m, msg in zip(corpus, parsed, strict=True)
                    if m.folder == "Sent" and "In-Reply-To" in msg}
    flagged = [m for m in corpus if "\\Answered" in m.flags]
    assert len(flagged) > 100
    for m in flagged:
        assert m.message_id in answered_ids
        assert "\\Seen" in m.flags


def test_folders_and_flags(corpus: list[CorpusMessage], parsed: list[EmailMessage]) -> None:
    assert {m.folder for m in corpus} == set(FOLDERS)
    for m in corpus:
        assert set(m.flags) <= SYSTEM_FLAGS
        assert len(set(m.flags)) == len(m.flags)
    for m, msg in zip(corpus, parsed, strict=True):
        if m.folder == "Junk":
            assert msg["X-Spam-Flag"] == "YES"
    incoming = [m for m in corpus if m.folder in ("INBOX", "Archive")]
    old = [m for m in incoming if DEFAULT_END - m.internal_date > timedelta(days=30)]
    recent = [m for m in incoming if DEFAULT_END - m.internal_date < timedelta(days=2)
              and "\\Answered" not in m.flags]
    assert sum("\\Seen" in m.flags for m in old) / len(old) > 0.9
    assert sum("\\Seen" not in m.flags for m in recent) / len(recent) > 0.4
    assert any("\\Flagged" in m.flags for m in corpus)
    archived = [m for m in corpus if m.folder == "Archive"]
    assert all(DEFAULT_END - m.internal_date > timedelta(days=21) for m in archived)


def test_accounts_all_receive_mail_and_the_shared_one_most(
    corpus: list[CorpusMessage],
) -> None:
    received = Counter(m.account for m in corpus if m.folder != "Sent")
    assert set(received) == {a.key for a in DEFAULT_ACCOUNTS}
    shared = next(a.key for a in DEFAULT_ACCOUNTS if a.shared)
    assert received.most_common(1)[0][0] == shared


# --- rates, kinds and sizes ----------------------------------------------------------


def test_rates_are_roughly_honoured(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    n = len(corpus)
    profile = CorpusProfile()
    lists = sum("List-Id" in msg for msg in parsed)
    autos = sum(msg.get("Auto-Submitted") == "auto-replied" for msg in parsed)
    html = sum(any(p.get_content_type() == "text/html" for p in msg.walk()) for msg in parsed)
    large = sum(len(m.raw) > 100 * 1024 for m in corpus)
    assert abs(lists - n * profile.list_rate) <= n * profile.list_rate * 0.3
    assert abs(autos - n * profile.auto_reply_rate) <= n * profile.auto_reply_rate * 0.3
    assert abs(html / n - profile.html_rate) < 0.08
    assert abs(large / n - profile.large_attachment_rate) < 0.015
    for msg in parsed:
        if "List-Id" in msg:
            assert msg["Precedence"] in ("bulk", "list")
            assert str(msg["List-Unsubscribe"]).startswith("<https://")
        if "Auto-Submitted" in msg:
            assert msg["X-Autoreply"] == "yes"
            assert "In-Reply-To" in msg


def test_small_attachments_on_customer_mail(parsed: list[EmailMessage]) -> None:
    customer = [msg for msg in parsed
                if msg["From"].addresses[0].addr_spec not in OWN_ADDRESSES
                and "X-Spam-Flag" not in msg and "List-Id" not in msg]
    with_small = 0
    for msg in customer:
        sizes = [len(p.get_payload(decode=True)) for p in msg.iter_attachments()]
        if sizes and max(sizes) <= 41 * 1024:
            with_small += 1
    assert 0.05 < with_small / len(customer) < 0.2


def test_attachments_look_like_files(parsed: list[EmailMessage]) -> None:
    magic = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n",
             "image/jpeg": b"\xff\xd8\xff", "application/zip": b"PK\x03\x04"}
    seen: Counter[str] = Counter()
    for msg in parsed:
        if "multipart/mixed" not in msg.get_content_type():
            continue
        for part in msg.iter_attachments():
            assert part.get_content_disposition() == "attachment"
            assert part.get_filename()
            data = part.get_payload(decode=True)
            ctype = part.get_content_type()
            seen[ctype] += 1
            if ctype in magic:
                assert data.startswith(magic[ctype]), ctype
            if len(data) > 100 * 1024:
                assert len(data) <= 500 * 1024 + 1024
    assert {"application/pdf", "image/png", "text/csv"} <= set(seen)
    assert any(not (p.get_filename() or "").isascii()
               for msg in parsed for p in msg.iter_attachments())


def test_base64_attachment_lines_are_76_chars(corpus: list[CorpusMessage]) -> None:
    raw = next(m.raw for m in corpus if len(m.raw) > 100 * 1024)
    body = raw.split(b"Content-Transfer-Encoding: base64\r\n\r\n", 1)[1]
    lines = body.split(b"\r\n")[:200]
    assert all(len(line) == 76 for line in lines[:100])
    base64.b64decode(b"".join(lines[:100]), validate=True)


def test_html_parts_are_real_html(parsed: list[EmailMessage]) -> None:
    parts = [p.get_content() for msg in parsed for p in msg.walk()
             if p.get_content_type() == "text/html"]
    assert len(parts) > 500
    for html in parts:
        assert "<p" in html and '<a href="https://' in html and "</html>" in html
    assert sum("<ul>" in html for html in parts) > len(parts) / 2
    assert sum("<blockquote" in html for html in parts) > len(parts) / 4


def test_encodings_and_charsets_vary(parsed: list[EmailMessage]) -> None:
    ctes: Counter[str] = Counter()
    charsets: Counter[str] = Counter()
    for msg in parsed:
        for part in msg.walk():
            if part.get_content_maintype() == "text" and not part.get_filename():
                ctes[str(part.get("Content-Transfer-Encoding"))] += 1
                charsets[str(part.get_content_charset())] += 1
    assert {"7bit", "8bit", "quoted-printable", "base64"} <= set(ctes)
    assert {"utf-8", "iso-8859-1", "windows-1252"} <= set(charsets)


def test_hostile_kinds_are_present(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    found: set[str] = set()
    for m, msg in zip(corpus, parsed, strict=True):
        compat = _compat(m.raw)
        if b"this line has no colon" in m.raw:
            found.add("broken_header")
            assert "=?UTF-8?B?" in compat["Subject"] and not compat["Subject"].endswith("?=")
            continue
        if _is_malformed(m.raw):
            found.add("truncated_multipart")
            continue
        subject = _subject(msg)
        if "\x1b]8;;" in subject and "\x1b[2J" in subject:
            found.add("escape_subject")
            assert "\x1b" not in m.raw.split(b"\r\n\r\n")[0].decode("ascii")
        if len(subject) >= 2000:
            found.add("long_subject")
        if "\u202e" in msg["From"].addresses[0].display_name:
            found.add("bidi_name")
        body = msg.get_body(preferencelist=("plain",))
        if body is not None and "[@click=app.quit]click me[/]" in body.get_content():
            assert "[bold red]" in body.get_content()
            found.add("markup_body")
    assert found == {"escape_subject", "markup_body", "bidi_name", "broken_header",
                     "truncated_multipart", "long_subject"}


def test_at_least_one_hostile_message_at_200() -> None:
    messages = list(generate_corpus(200, seed=11))
    subjects = [_subject(_strict(m.raw)) for m in messages]
    assert any("\x1b" in s for s in subjects)


def test_no_hostile_mail_when_rate_is_zero() -> None:
    profile = CorpusProfile(hostile_rate=0.0)
    for m in generate_corpus(400, seed=2, profile=profile):
        assert not _is_malformed(m.raw)
        assert "\x1b" not in _subject(_strict(m.raw))


def test_size_shape_of_the_default_profile(corpus: list[CorpusMessage]) -> None:
    sizes = [len(m.raw) for m in corpus]
    assert 3 * 1024 <= statistics.median(sizes) <= 15 * 1024
    large = sum(s for s in sizes if s > 100 * 1024)
    assert large > sum(sizes) / 2  # large attachments hold most of the bytes


def test_demo_profile_is_lighter() -> None:
    sizes = [len(m.raw) for m in generate_corpus(500, seed=7, profile=DEMO_PROFILE)]
    assert max(sizes) < 300 * 1024
    assert sum(s > 100 * 1024 for s in sizes) <= 10


# --- encoded words -------------------------------------------------------------------

NAMES = ("Zoë Müller", "José Álvarez", "Łukasz Wójcik", "李雷", "Søren Kierkegaard",
         "Γιώργος Παπαδόπουλος", "Nguyễn Văn An")


@pytest.mark.parametrize("style", [WordStyle("B", "UTF-8"), WordStyle("Q", "UTF-8"),
                                   WordStyle("Q", "iso-8859-1")])
@pytest.mark.parametrize("name", NAMES)
def test_display_names_round_trip(name: str, style: WordStyle) -> None:
    value = address(name, "someone@example.com", style)
    assert value.isascii()
    msg = _strict(f"From: {value}\r\nSubject: x\r\n\r\nbody\r\n".encode("ascii"))
    assert msg["From"].addresses[0].display_name == name
    assert msg["From"].addresses[0].addr_spec == "someone@example.com"


def test_long_encoded_words_are_split_on_character_boundaries() -> None:
    text = "Łukasz Wójcik – 李雷 – " * 6
    for method in ("B", "Q"):
        words = encoded_words(text, method=method)
        assert len(words) > 1 and all(len(w) <= 75 for w in words)
        msg = _strict(f"Subject: {' '.join(words)}\r\n\r\n".encode("ascii"))
        assert _subject(msg) == text


def test_corpus_names_and_subjects_are_encoded_words(
    corpus: list[CorpusMessage], parsed: list[EmailMessage]
) -> None:
    raw_heads = b"".join(m.raw.split(b"\r\n\r\n", 1)[0] for m in corpus)
    assert b"=?UTF-8?B?" in raw_heads and b"=?UTF-8?Q?" in raw_heads
    assert b"=?iso-8859-1?Q?" in raw_heads
    names = {msg["From"].addresses[0].display_name for msg in parsed}
    non_ascii = {n for n in names if not n.isascii()}
    assert len(non_ascii) > 30
    assert any(any("\u4e00" <= ch <= "\u9fff" for ch in n) for n in non_ascii)
    subjects = {_subject(msg) for msg in parsed}
    assert any(not s.isascii() and "\x1b" not in s and "\u202e" not in s for s in subjects)


# --- boundaries ----------------------------------------------------------------------


def test_engine_does_not_import_textual() -> None:
    code = "import sys, engine.corpus; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"
