"""The times the service accepts from outside: one range, checked the same way everywhere.

A time outside it (a typo'd year, the ends of the calendar) would be stored and then fail to
be read back, or overflow when turned to UTC; it is refused with a clear error instead.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from controlroom.domain.errors import InvalidInput

#: the earliest time accepted (inclusive)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: the first time no longer accepted
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
RANGE_TEXT = "from 2000-01-01T00:00:00Z up to (not including) 2100-01-01T00:00:00Z"
# a time zone offset is less than a day, so a time whose clock reading is more than a day
# outside the range is refused before it is converted (which could overflow)
_SLACK = timedelta(days=1)
_NAIVE_FIRST = EARLIEST.replace(tzinfo=None) - _SLACK
_NAIVE_LAST = LATEST.replace(tzinfo=None) + _SLACK


def out_of_range(moment: datetime) -> str | None:
    """Why ``moment`` (with a time zone) is not accepted, or ``None`` when it is."""
    clock = moment.replace(tzinfo=None)
    if _NAIVE_FIRST <= clock <= _NAIVE_LAST:
        utc = moment.astimezone(UTC)
        if EARLIEST <= utc < LATEST:
            return None
    return f"{moment.isoformat()} is outside the accepted range, {RANGE_TEXT}"


def check_days(first: date, last: date) -> None:
    """Refuse a period of days (``from`` ``first`` ``to`` ``last``) with a day outside the
    accepted range, naming the field."""
    for name, day in (("from", first), ("to", last)):
        if not EARLIEST.date() <= day < LATEST.date():
            raise InvalidInput(
                f"{name} {day.isoformat()} is outside the accepted range",
                field=name,
                hint=f"give a date {RANGE_TEXT}",
            )
