"""The period the supervisor's figures cover, read the same way by the console and the API:
force-local dates (inclusive, today by default) and an optional channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from controlroom.domain.errors import InvalidInput
from controlroom.domain.time_range import check_days
from controlroom.domain.triage import Channel


@dataclass(frozen=True)
class Period:
    """The filters: force-local dates (inclusive) and a channel."""

    first: date
    last: date
    channel: Channel | None
    zone: ZoneInfo

    @property
    def start(self) -> datetime:
        """The first instant, in UTC."""
        return datetime.combine(self.first, time(), self.zone).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Just after the last instant, in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone).astimezone(UTC)

    def query(self) -> str:
        """The filters as a query string."""
        text = f"from={self.first.isoformat()}&to={self.last.isoformat()}"
        return text + (f"&channel={self.channel.value}" if self.channel else "")


def parse_period(
    first_text: str | None, last_text: str | None, channel_text: str | None, zone: ZoneInfo
) -> Period:
    """The period the filters ask for: ``from`` today and ``to`` ``from`` by default, every
    channel when none is given. Bad dates or channels raise :class:`InvalidInput`."""
    today = datetime.now(zone).date()
    try:
        first = date.fromisoformat(first_text or today.isoformat())
    except ValueError:
        raise InvalidInput(
            f"from {first_text!r} is not a date", field="from", hint="write YYYY-MM-DD"
        ) from None
    try:
        last = date.fromisoformat(last_text or first.isoformat())
    except ValueError:
        raise InvalidInput(
            f"to {last_text!r} is not a date", field="to", hint="write YYYY-MM-DD"
        ) from None
    check_days(first, last)
    raw = channel_text or ""
    try:
        channel = Channel(raw) if raw else None
    except ValueError:
        known = ", ".join(c.value for c in Channel)
        raise InvalidInput(
            f"unknown channel {raw!r}", field="channel", hint=f"use one of: {known}"
        ) from None
    return Period(first, last, channel, zone)
