"""A moment written as day, month name, year, time and numeric zone, as mail headers and
IMAP's INTERNALDATE write it, read as an aware datetime in UTC. Pure; the callers' own
expressions find the parts, in text or in bytes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS: dict[str | bytes, int] = {
    **{name: number for number, name in enumerate(_NAMES, start=1)},
    **{name.encode(): number for number, name in enumerate(_NAMES, start=1)},
}


def utc_moment(parts: Sequence[str | bytes]) -> datetime | None:
    """(day, month name, year, hour, minute, second, sign, zone hours, zone minutes) as
    a UTC datetime; None for a month name that is none. Raises ValueError for a date
    that does not exist, OverflowError for one the zone moves out of range."""
    day, month_name, year, hour, minute, second, sign, zone_h, zone_m = parts
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    moment = datetime(int(year), month, int(day), int(hour), int(minute), int(second),
                      tzinfo=UTC)
    offset = timedelta(hours=int(zone_h), minutes=int(zone_m))
    return moment + offset if sign in ("-", b"-") else moment - offset
