"""Times of the week as planners write them: days by name, times on the half hour, windows
that may cross midnight (18:00-02:00 on a Friday runs into Saturday morning)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import INTERVALS_PER_DAY, INTERVALS_PER_WEEK

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GROUPS = {"all": tuple(range(7)), "weekdays": tuple(range(5)), "weekend": (5, 6)}


@dataclass(frozen=True)
class Window:
    """Half hours of the week: from ``start`` to ``end`` (minutes after midnight, on the half
    hour) on each of ``days`` (0 is Monday). ``end`` at or before ``start`` runs past midnight
    into the next day (Sunday into Monday); ``end == start`` is a whole day."""

    days: tuple[int, ...]
    start: int
    end: int

    def intervals(self) -> tuple[int, ...]:
        """The half hours the window covers, each once, in order."""
        length = (self.end - self.start) % (24 * 60) or 24 * 60
        count = length // 30
        covered: set[int] = set()
        for day in self.days:
            first = day * INTERVALS_PER_DAY + self.start // 30
            covered.update((first + step) % INTERVALS_PER_WEEK for step in range(count))
        return tuple(sorted(covered))

    def describe(self) -> str:
        """``fri, sat 18:00-02:00``."""
        days = ", ".join(DAYS[day] for day in self.days)
        return f"{days} {clock(self.start)}-{clock(self.end)}"


def clock(minutes: int) -> str:
    """``18:30`` for 1110 minutes."""
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def parse_days(values: object, field: str) -> tuple[int, ...]:
    """Day names (``mon`` or ``monday``, any case) or ``all``, ``weekdays``, ``weekend``."""
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Sequence) or not values:
        raise InvalidInput(
            f"{field}: give at least one day", field=field, hint="e.g. ['fri', 'sat'] or 'all'"
        )
    days: set[int] = set()
    for index, value in enumerate(values):
        name = value.strip().lower() if isinstance(value, str) else ""
        if name in _GROUPS:
            days.update(_GROUPS[name])
        elif name in DAYS:
            days.add(DAYS.index(name))
        elif name in _FULL:
            days.add(_FULL.index(name))
        else:
            raise InvalidInput(
                f"{field}[{index}]: {value!r} is not a day",
                field=f"{field}[{index}]",
                hint="use mon, tue, wed, thu, fri, sat, sun, all, weekdays or weekend",
            )
    return tuple(sorted(days))


def parse_time(value: object, field: str) -> int:
    """Minutes after midnight of ``HH:MM`` on the half hour (``24:00`` is midnight)."""
    text = value.strip() if isinstance(value, str) else ""
    hours, _, minutes = text.partition(":")
    if hours.isdigit() and minutes.isdigit() and len(minutes) == 2:
        total = int(hours) * 60 + int(minutes)
        if total <= 24 * 60 and total % 30 == 0:
            return total % (24 * 60)
    raise InvalidInput(
        f"{field}: {value!r} is not a time on the half hour",
        field=field,
        hint="write HH:MM with minutes 00 or 30, e.g. 18:00",
    )


def parse_window(days: object, start: object, end: object, field: str = "") -> Window:
    """A :class:`Window` from day names and ``HH:MM`` times; errors name ``field``."""
    prefix = f"{field}." if field else ""
    return Window(
        parse_days(days, f"{prefix}days"),
        parse_time(start, f"{prefix}from"),
        parse_time(end, f"{prefix}to"),
    )
