"""The windows a caller's history is counted over (the last hour, today, the last 7 and 30
days), and the counts in each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.outcomes import OutcomeKind

if TYPE_CHECKING:
    from controlroom.domain.nuisance.history import CallSummary


@dataclass(frozen=True)
class WindowCounts:
    """Counts of the calls offered within one window."""

    name: str
    since: datetime
    calls: int = 0
    silent: int = 0
    speech: int = 0
    abandoned: int = 0
    dtmf_55: int = 0
    warned: int = 0
    terminated: int = 0
    emergency: int = 0
    outcomes: Mapping[OutcomeKind, int] = field(default_factory=dict)


#: The windows every history counts over, by name; "today" is the force-local calendar day.
WINDOWS = ("last_hour", "today", "last_7_days", "last_30_days")


def zone(tz: str) -> ZoneInfo:
    """The time zone named ``tz`` (e.g. ``Europe/London``); :class:`InvalidInput` if unknown."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput(
            f"unknown time zone {tz!r}", field="tz", hint="use an IANA name such as Europe/London"
        ) from None


def local_day_start(now: datetime, tz: str) -> datetime:
    """The start (local midnight) of the force-local calendar day containing ``now``, in UTC."""
    here = zone(tz)
    now = require_utc(now)
    day = now.astimezone(here).date()
    return datetime.combine(day, time(0), tzinfo=here).astimezone(now.tzinfo)


def window_starts(now: datetime, tz: str) -> dict[str, datetime]:
    """When each of :data:`WINDOWS` starts at ``now``, the day taken in zone ``tz``."""
    return {
        "last_hour": now - timedelta(hours=1),
        "today": local_day_start(now, tz),
        "last_7_days": now - timedelta(days=7),
        "last_30_days": now - timedelta(days=30),
    }


def count_windows(
    calls: Iterable[CallSummary], starts: Mapping[str, datetime], until: datetime
) -> dict[str, WindowCounts]:
    """Each window's counts over ``calls`` offered from its start (``starts``) to ``until``.

    Every window ends at ``until``, so they nest: one pass from the newest call back counts
    each call once, and each window takes the tally as it stands at its own start."""
    kept = sorted(
        (call for call in calls if call.offered_at <= until), key=lambda call: call.offered_at
    )
    tally = _Tally()
    counted: dict[str, WindowCounts] = {}
    index = len(kept) - 1
    for name in sorted(starts, key=lambda name: starts[name], reverse=True):
        since = starts[name]
        while index >= 0 and kept[index].offered_at >= since:
            tally.add(kept[index])
            index -= 1
        counted[name] = tally.counts(name, since)
    return {name: counted[name] for name in starts}


class _Tally:
    """Running counts of calls, for :func:`count_windows`."""

    def __init__(self) -> None:
        self.calls = self.silent = self.speech = self.dtmf_55 = 0
        self.warned = self.terminated = self.emergency = 0
        self.outcomes: Counter[OutcomeKind] = Counter()

    def add(self, call: CallSummary) -> None:
        self.calls += 1
        self.silent += call.silent
        self.speech += call.speech
        self.dtmf_55 += call.dtmf_55
        self.warned += call.warned
        self.terminated += call.terminated
        self.emergency += call.genuine_emergency
        self.outcomes[call.outcome] += 1

    def counts(self, name: str, since: datetime) -> WindowCounts:
        return WindowCounts(
            name=name,
            since=since,
            calls=self.calls,
            silent=self.silent,
            speech=self.speech,
            abandoned=self.outcomes[OutcomeKind.ABANDONED],
            dtmf_55=self.dtmf_55,
            warned=self.warned,
            terminated=self.terminated,
            emergency=self.emergency,
            outcomes=MappingProxyType(dict(self.outcomes)),
        )
