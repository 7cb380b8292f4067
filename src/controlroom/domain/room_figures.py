"""The room's figures over a period, from its contacts: pure functions, no clock.

"999 calls" are every route into the 999 service (voice, Silent Solution, landline open line,
999 BSL, Relay UK, emergencySMS): they share the national answer standard, 90% answered within
10 seconds of being offered. A call is a **genuine emergency** when an incident was logged on
it, an emergency was inferred, or triage read it as an emergency (``CallSummary``'s rule, the
same the caller history uses). It is **inappropriate** when it was handed to the §4.12
procedure (advised, warned, terminated), whatever happened after; its **category** is where
triage placed it: not a police matter, police non-emergency, or another agency (named).

"101 calls" are the 101 channel's: their **service level** is the share of those answered that
were answered within the force's own 101 target (``ServiceLevel`` in its policy).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from controlroom.domain.contacts import ContactRecord, ProcedureName, State
from controlroom.domain.contacts.timers import ANSWER_TARGET
from controlroom.domain.handler_figures import HandlerFigures, handler_figures
from controlroom.domain.nuisance.from_contacts import call_summary
from controlroom.domain.policy import ServiceLevel
from controlroom.domain.triage import Channel

#: The national standard: this share of 999 calls answered within :data:`ANSWER_TARGET`.
ANSWER_STANDARD = 0.90
NO_TRIAGE = "no_triage"


@dataclass
class HourFigures:
    """One hour (force-local) of contacts."""

    start: datetime
    by_channel: Counter[str] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    calls_999: int = 0
    genuine_999: int = 0
    answered_999: int = 0
    within_target: int = 0


@dataclass
class LineFigures:
    """One line's calls against its answer target: ``within`` of ``answered`` answered in
    less than ``level.seconds``."""

    level: ServiceLevel
    calls: int = 0
    answered: int = 0
    abandoned: int = 0
    within: int = 0

    @property
    def share(self) -> float | None:
        """The share of answered calls answered within the target (None before any)."""
        return self.within / self.answered if self.answered else None

    @property
    def meets_standard(self) -> bool | None:
        """True when the share reaches the level's standard (None before any)."""
        share = self.share
        return None if share is None else share >= self.level.share

    def count(self, record: ContactRecord) -> None:
        """Count one call of this line."""
        self.calls += 1
        answered = record.timestamps.answered
        if answered is not None:
            self.answered += 1
            seconds = (answered - record.timestamps.offered).total_seconds()
            self.within += int(seconds < self.level.seconds)
        elif record.state is State.ABANDONED:
            self.abandoned += 1


@dataclass
class RoomFigures:
    """The figures of the contacts offered in ``[start, end)`` (and on ``channel``, if set)."""

    start: datetime
    end: datetime
    channel: Channel | None = None
    offered: int = 0
    by_channel: Counter[str] = field(default_factory=Counter)
    calls_999: int = 0
    answered_999: int = 0
    abandoned_999: int = 0
    within_target: int = 0
    answer_seconds: list[float] = field(default_factory=list)
    genuine_999: int = 0
    inappropriate_999: int = 0
    inappropriate_by_category: Counter[str] = field(default_factory=Counter)
    warned_999: int = 0
    terminated_999: int = 0
    hours: list[HourFigures] = field(default_factory=list)
    line_101: LineFigures = field(default_factory=lambda: LineFigures(ServiceLevel()))
    handlers: list[HandlerFigures] = field(default_factory=list)

    @property
    def within_target_share(self) -> float | None:
        """The share of answered 999 calls answered within 10 s (None before any)."""
        return self.within_target / self.answered_999 if self.answered_999 else None

    @property
    def mean_answer_seconds(self) -> float | None:
        """The average 999 answer time, in seconds (None before any)."""
        times = self.answer_seconds
        return sum(times) / len(times) if times else None

    @property
    def genuine_share(self) -> float | None:
        """The share of 999 calls that were genuine emergencies (None before any)."""
        return self.genuine_999 / self.calls_999 if self.calls_999 else None

    @property
    def meets_standard(self) -> bool | None:
        """True when at least 90% were answered within 10 s (None before any)."""
        share = self.within_target_share
        return None if share is None else share >= ANSWER_STANDARD

    @property
    def chats(self) -> int:
        """Live chats offered."""
        return self.by_channel.get(Channel.LIVE_CHAT.value, 0)

    @property
    def online_reports(self) -> int:
        """Online reports made."""
        return self.by_channel.get(Channel.ONLINE_REPORT.value, 0)


def route_of(record: ContactRecord) -> str:
    """Where triage last placed the contact (the route's id), or :data:`NO_TRIAGE`."""
    for assessment in reversed(record.triage):
        if assessment.suggestion is not None:
            return assessment.suggestion.route.value
    return NO_TRIAGE


def category_of(record: ContactRecord) -> str:
    """An inappropriate call's category: its route, and ``:agency`` for another agency."""
    for assessment in reversed(record.triage):
        decision = assessment.suggestion
        if decision is not None:
            if decision.route.value == "other_agency" and decision.agency:
                return f"other_agency:{decision.agency}"
            return decision.route.value
    return NO_TRIAGE


def hour_start(at: datetime, zone: ZoneInfo) -> datetime:
    """The start of the force-local hour ``at`` falls in."""
    return at.astimezone(zone).replace(minute=0, second=0, microsecond=0)


def room_figures(
    records: Iterable[ContactRecord],
    *,
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    channel: Channel | None = None,
    level_101: ServiceLevel | None = None,
) -> RoomFigures:
    """The figures of ``records`` offered in ``[start, end)`` (on ``channel``, if given), with
    one :class:`HourFigures` per force-local hour of the period, the 101 calls against
    ``level_101`` (the policy's; its defaults when None) and each handler's figures."""
    figures = RoomFigures(start, end, channel, line_101=LineFigures(level_101 or ServiceLevel()))
    counted: list[ContactRecord] = []
    hours: dict[datetime, HourFigures] = {}
    at = hour_start(start, zone)
    while at < end:
        hours[at] = HourFigures(at)
        at = (at.astimezone(ZoneInfo("UTC")) + timedelta(hours=1)).astimezone(zone)
    for record in records:
        offered = record.timestamps.offered
        if not start <= offered < end or (channel is not None and record.channel is not channel):
            continue
        hour = hours.setdefault(hour_start(offered, zone), HourFigures(hour_start(offered, zone)))
        _count(figures, hour, record)
        counted.append(record)
    figures.hours = [hours[key] for key in sorted(hours)]
    figures.handlers = handler_figures(counted)
    return figures


def _count(figures: RoomFigures, hour: HourFigures, record: ContactRecord) -> None:
    figures.offered += 1
    figures.by_channel[record.channel.value] += 1
    hour.by_channel[record.channel.value] += 1
    hour.by_route[route_of(record)] += 1
    if record.channel is Channel.ONE_ZERO_ONE:
        figures.line_101.count(record)
    if not record.channel.is_emergency_line:
        return
    summary = call_summary(record)
    figures.calls_999 += 1
    hour.calls_999 += 1
    answered = record.timestamps.answered
    if answered is not None:
        seconds = max(0.0, (answered - record.timestamps.offered).total_seconds())
        figures.answered_999 += 1
        hour.answered_999 += 1
        figures.answer_seconds.append(seconds)
        if seconds < ANSWER_TARGET.total_seconds():
            figures.within_target += 1
            hour.within_target += 1
    elif record.state is State.ABANDONED:
        figures.abandoned_999 += 1
    if summary.genuine_emergency:
        figures.genuine_999 += 1
        hour.genuine_999 += 1
    if any(e.to_procedure is ProcedureName.INAPPROPRIATE for e in record.history):
        figures.inappropriate_999 += 1
        figures.inappropriate_by_category[category_of(record)] += 1
    figures.warned_999 += int(record.warning is not None)
    figures.terminated_999 += int(record.state is State.TERMINATED)
