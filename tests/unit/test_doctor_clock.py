"""The clock check's arithmetic: a server time stamped while we waited, compared with
the middle of our wait, and judged against the 5-minute limit with its uncertainty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from engine.doctor.clock import (
    MAX_SKEW,
    SkewEstimate,
    Stamp,
    duration,
    estimate_skew,
    http_date,
    judge,
)

NOON = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def local(seconds_after_noon: float) -> float:
    return NOON.timestamp() + seconds_after_noon


def test_a_server_in_step_with_us_is_no_offset() -> None:
    # The server wrote 12:00:00 (truncated) while we waited from 11:59:59.9 to 12:00:01.1.
    found = estimate_skew(Stamp(NOON, local(-0.1), local(1.1)), "imap.example:993")
    assert found.offset == pytest.approx(0.0)
    assert found.uncertainty == pytest.approx(0.6 + 0.5)
    assert found.source == "imap.example:993"


def test_the_offset_is_the_server_minus_the_middle_of_our_wait() -> None:
    server = NOON + timedelta(minutes=7)
    found = estimate_skew(Stamp(server, local(0.0), local(0.2)), "s", resolution=1.0)
    assert found.offset == pytest.approx(7 * 60 + 0.5 - 0.1)
    assert found.uncertainty == pytest.approx(0.1 + 0.5)
    behind = estimate_skew(Stamp(NOON - timedelta(hours=2), local(0.0), local(0.0)), "s")
    assert behind.offset == pytest.approx(-7200 + 0.5)


def test_received_before_sent_is_refused() -> None:
    with pytest.raises(ValueError):
        estimate_skew(Stamp(NOON, local(1.0), local(0.0)), "s")


def test_under_the_limit_is_ok() -> None:
    found = judge(SkewEstimate(offset=12.0, uncertainty=0.6, source="imap.example:993",
                               method="the arrival time it gave a message"))
    assert found.id == "clock.skew" and found.status == "ok"
    assert found.detail == ("the local clock is within 12.0 s (+-0.6 s) of imap.example:993, "
                            "by the arrival time it gave a message")


def test_over_the_limit_warns_with_the_direction_and_the_fix() -> None:
    ahead = judge(SkewEstimate(offset=-(MAX_SKEW + 200), uncertainty=1.0, source="x:993"))
    assert ahead.status == "warn"
    assert ahead.detail.startswith("the local clock is 8 min 20 s ahead of x:993;")
    assert "timedatectl set-ntp true" in ahead.detail
    behind = judge(SkewEstimate(offset=3 * 3600, uncertainty=1.0, source="x:993"))
    assert behind.status == "warn" and "3 h 0 min behind x:993" in behind.detail


def test_the_uncertainty_is_given_the_benefit_of_the_doubt() -> None:
    # 5 min 2 s apart, but good only to +-3 s: it may be within the limit.
    assert judge(SkewEstimate(MAX_SKEW + 2, 3.0, "s")).status == "ok"
    assert judge(SkewEstimate(MAX_SKEW + 4, 3.0, "s")).status == "warn"
    assert judge(SkewEstimate(-(MAX_SKEW + 4), 3.0, "s")).status == "warn"


@pytest.mark.parametrize(("seconds", "text"), [
    (0.04, "0.0 s"), (59.94, "59.9 s"), (60, "1 min 0 s"), (200, "3 min 20 s"),
    (3600, "1 h 0 min"), (7260, "2 h 1 min"), (86400 * 3 + 3600 * 4, "3 d 4 h"),
])
def test_durations_read_as_people_say_them(seconds: float, text: str) -> None:
    assert duration(seconds) == text


def test_http_dates_are_read_or_left_out() -> None:
    assert http_date("Sun, 01 Mar 2026 12:00:00 GMT") == NOON
    assert http_date("Sun, 01 Mar 2026 13:00:00 +0100") == NOON
    for bad in (None, "", "yesterday", "Sun, 01 Mar 2026 12:00:00"):  # the last: no zone
        assert http_date(bad) is None
