"""The pieces of the message list and status line that need no running app."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from rich.style import Style

from engine.models import MessageSummary
from engine.status import AccountHealth, FolderHealth
from tui.widgets.message_row import (
    Columns,
    RowStyles,
    marks,
    placeholder_row,
    render_row,
    short_date,
    subject_text,
)
from tui.widgets.page_cache import PageCache
from tui.widgets.status_bar import health_text

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
STYLES = RowStyles(base=Style(), unread=Style(bold=True), marks=Style(italic=True),
                   badge=Style(underline=True))


def summary(n: int, **changes: object) -> MessageSummary:
    base = MessageSummary(
        id=n, account_id=1, folder_id=1, thread_id=None, subject=f"Subject {n}",
        from_name=f"Sender {n}", from_addr=f"s{n}@example.org", date="2026-11-01T09:00:00Z",
        seen=True, flagged=False, answered=False, has_attachments=False, snippet="",
        customer_id=7, parse_error=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_marks_follow_mutt_order() -> None:
    assert marks(summary(1)) == "    "
    assert marks(summary(1, seen=False, flagged=True, has_attachments=True,
                         customer_id=None)) == "N!@?"
    assert marks(summary(1, answered=True)) == " r  "
    # Flagged wins the second column over replied.
    assert marks(summary(1, answered=True, flagged=True)) == " !  "


def test_thread_rows_lead_with_their_count() -> None:
    assert subject_text(summary(1)) == "Subject 1"
    assert subject_text(summary(1, thread_count=3)) == "(3) Subject 1"
    assert subject_text(summary(1, subject="")) == "(no subject)"


def test_short_date_depends_on_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    import time
    time.tzset()
    try:
        assert short_date("2026-11-01T09:05:00Z", NOW) == "09:05"
        assert short_date("2026-03-04T09:05:00Z", NOW) == "Mar 04"
        assert short_date("2024-03-04T09:05:00Z", NOW) == "2024-03-04"
        assert short_date("2024-03-04T09:05:00Z", NOW, compact=True) == "2024-03"
        assert short_date("2026-03-04T09:05:00Z", NOW, compact=True) == "Mar 04"
        assert short_date("garbage-date", NOW) == "garbage-da"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


@pytest.mark.parametrize("width", [30, 45, 55, 80, 130])
def test_rows_fill_exactly_the_width(width: int) -> None:
    columns = Columns.fit(width, badge_width=7)
    row = render_row(summary(1, subject="x" * 200), width=width, columns=columns,
                     badge="support", styles=STYLES, now=NOW)
    assert row.cell_len == width
    assert placeholder_row(width, Style(dim=True)).cell_len == width


def test_narrow_rows_drop_the_badge_first() -> None:
    wide, narrow = Columns.fit(120, 7), Columns.fit(45, 7)
    assert wide.badge == 7 and Columns.fit(56, 7).badge == 7 and narrow.badge == 0
    assert narrow.sender > 0 and narrow.date > 0
    row = render_row(summary(1), width=120, columns=wide, badge="support", styles=STYLES,
                     now=NOW)
    assert "support" in row.plain and "Sender 1" in row.plain and "Subject 1" in row.plain
    row = render_row(summary(1), width=45, columns=narrow, badge="support", styles=STYLES,
                     now=NOW)
    assert "support" not in row.plain and "Sender 1" in row.plain


def test_unread_rows_are_bold_and_markup_stays_text() -> None:
    hostile = "[b]x[/b] [@click=app.quit]y[/]"
    row = render_row(summary(1, seen=False, subject=hostile), width=120,
                     columns=Columns.fit(120, 7), badge="a", styles=STYLES, now=NOW)
    assert hostile in row.plain
    start = row.plain.index(hostile)
    assert any(span.style == STYLES.unread and span.start <= start < span.end
               for span in row.spans)
    read = render_row(summary(1, subject=hostile), width=120, columns=Columns.fit(120, 7),
                      badge="a", styles=STYLES, now=NOW)
    assert not any(span.style == STYLES.unread for span in read.spans)


def test_rows_stay_on_one_line() -> None:
    message = summary(1, subject="two\nlines\tand tab", from_name="Eve\r\nX")
    row = render_row(message, width=80, columns=Columns.fit(80, 7), badge="a",
                     styles=STYLES, now=NOW)
    assert "two lines and tab" in row.plain and "Eve  X" in row.plain
    assert not any(ch in row.plain for ch in "\n\r\t")


def test_page_cache_keeps_the_most_recent_pages() -> None:
    cache = PageCache(page_size=10, capacity=2)
    cache.put(0, [summary(i) for i in range(10)])
    cache.put(5, [summary(i) for i in range(50, 53)])
    assert cache.get(51) == summary(51)
    assert cache.get(53) is None  # past the end of a short page
    assert cache.get(12) is None
    assert cache.get(3) == summary(3)  # page 0 is now the most recent
    cache.put(2, [summary(i) for i in range(20, 30)])
    assert cache.pages == [0, 2]
    assert cache.missing([0, 1, 2, 5]) == [1, 5]
    assert cache.row_of(25) == 25 and cache.row_of(51) is None
    assert cache.replace(summary(25, seen=False)) == [25]
    assert cache.get(25) == summary(25, seen=False)
    with pytest.raises(ValueError):
        PageCache(page_size=0, capacity=1)


def _health(name: str, **changes: object) -> AccountHealth:
    base = AccountHealth(
        name=name, email=f"{name}@acme.example", last_sync_at=None, last_error=None,
        last_error_at=None, auth_failed=False, messages=0, unread=0, jobs_pending=0,
        jobs_failed=0, folders=(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_health_reports_errors_with_what_to_do() -> None:
    ok = _health("alex", last_sync_at="2026-11-01T11:58:00Z")
    text, problem = health_text([ok], NOW)
    assert text.startswith("synced ") and not problem
    failing = _health("support", last_error="login refused; run `frontdesk account test`",
                      jobs_pending=3)
    text, problem = health_text([ok, failing], NOW)
    assert problem
    assert "support: login refused; run `frontdesk account test`" in text
    assert "3 pending" in text
    folder = FolderHealth(name="INBOX", role="inbox", synced=True, messages=1, unread=0,
                          last_sync_at=None, last_error="UIDVALIDITY changed")
    text, problem = health_text([_health("dana", folders=(folder,))], NOW)
    assert problem and "dana: INBOX: UIDVALIDITY changed" in text
    assert health_text([_health("dana")], NOW) == ("not synced yet", False)
    assert health_text([], NOW) == ("", False)


def test_key_hints_follow_the_keymap() -> None:
    from tui import keymap
    from tui.widgets.key_bar import hints

    default = hints(keymap.default_keymap()).plain
    assert "/ Search" in default and "⏎ Open" in default and "$ Sync now" in default
    remapped = hints(keymap.resolve_keymap({"main.search": "ctrl+f", "app.quit": "x"})).plain
    assert "^f Search" in remapped and "x Quit" in remapped
    assert "/ Search" not in remapped and "q Quit" not in remapped
    narrow = hints(keymap.default_keymap(), 80).plain
    assert len(narrow) <= 80 and ": Commands" in narrow and "? Help" in narrow
    assert "$ Sync now" not in narrow
