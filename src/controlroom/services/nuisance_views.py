"""Supervisor views of nuisance callers: the numbers flagged now with their trend, the cases by
kind and step, and one caller's timeline of calls and case events (docs/nuisance.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance import (
    CallerHistory,
    CallSummary,
    CaseEntry,
    CaseRecord,
    Confidence,
    Identifier,
    Ladder,
    NuisanceConfig,
    NuisanceFlag,
    NuisanceKind,
)
from controlroom.domain.nuisance.table import taken_top
from controlroom.services.contacts import UowFactory
from controlroom.services.nuisance_history import lookup, parse_identifier

#: The flagged view reads at most this many busy numbers (and IMEIs) of the window.
MAX_CANDIDATES = 500
MAX_WINDOW = timedelta(days=30)
MAX_TIMELINE_DAYS = 365
TREND_DAYS = 7
#: Where a case with no kind assessed yet is listed.
UNASSESSED = "unassessed"
#: Where a case that has taken no step yet is listed.
NO_STEP = "none"
_RANK = {Confidence.HIGH: 0, Confidence.MEDIUM: 1, Confidence.LOW: 2}


@dataclass(frozen=True)
class DayCount:
    """Calls on one force-local calendar day."""

    day: date
    calls: int


@dataclass(frozen=True)
class FlaggedCaller:
    """A number (or IMEI) detection flags now, with its calls per day over the last week."""

    identifier: Identifier
    identifiers: tuple[Identifier, ...]
    calls_in_window: int
    flags: tuple[NuisanceFlag, ...]
    summary: str
    trend: tuple[DayCount, ...]
    last_call: datetime | None
    case: CaseRecord | None


def daily_counts(history: CallerHistory, days: int = TREND_DAYS) -> tuple[DayCount, ...]:
    """Calls per force-local day for the last ``days`` days, oldest first, today last."""
    today = history.local(history.now).date()
    first = today - timedelta(days=days - 1)
    counts = dict.fromkeys((first + timedelta(days=n) for n in range(days)), 0)
    for call in history.calls:
        day = history.local(call.offered_at).date()
        if day in counts:
            counts[day] += 1
    return tuple(DayCount(day, n) for day, n in counts.items())


def flagged_numbers(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    window: timedelta,
    now: datetime,
    config: NuisanceConfig,
    limit: int = 50,
) -> list[FlaggedCaller]:
    """Numbers and IMEIs that called in ``window`` (up to 30 days) or are under an open case,
    whose history detection flags now; the surest flags first, then the busiest."""
    access_check(principal, Permission.REPORTS_READ)
    now = require_utc(now)
    if not timedelta(minutes=1) <= window <= MAX_WINDOW:
        raise InvalidInput("the window must be 1 minute to 30 days", field="window")
    if not 1 <= limit <= MAX_CANDIDATES:
        raise InvalidInput(f"limit must be 1-{MAX_CANDIDATES}", field="limit")
    since = now - window
    out: list[FlaggedCaller] = []
    seen: set[Identifier] = set()
    with uow_factory(read_only=True) as uow:
        candidates = uow.calls.active(since, limit=MAX_CANDIDATES)
        for case in uow.nuisance_cases.list():
            candidates.extend((linked.identifier, 0) for linked in case.record.identifiers[-1:])
        for identifier, _ in candidates:
            if identifier in seen:
                continue
            found = lookup(uow, [identifier], now, config)
            seen.update(found.identifiers)
            if not found.flags:
                continue
            calls = found.history.since(since)
            out.append(
                FlaggedCaller(
                    identifier=identifier,
                    identifiers=found.identifiers,
                    calls_in_window=len(calls),
                    flags=found.flags,
                    summary=found.history.summary,
                    trend=daily_counts(found.history),
                    last_call=found.history.calls[-1].offered_at if found.history.calls else None,
                    case=found.cases[0] if found.cases else None,
                )
            )
    out.sort(key=lambda item: (min(_RANK[f.confidence] for f in item.flags), -item.calls_in_window))
    return out[:limit]


# -- cases by kind and step ---------------------------------------------------------------------


@dataclass(frozen=True)
class CaseGroup:
    """The cases of one kind standing at one step of the ladder."""

    kind: str
    step: str
    step_name: str
    cases: tuple[CaseRecord, ...]


def primary_kind(record: CaseRecord) -> str:
    """The kind a case is listed under: the first assessed in order of precedence."""
    for kind in NuisanceKind:
        if kind in record.kinds:
            return kind.value
    return UNASSESSED


def current_step(record: CaseRecord, ladder: Ladder) -> str:
    """The step a case stands at: the one waiting, else the highest taken, else ``none``."""
    if record.pending is not None:
        return record.pending.step
    top = taken_top(record, ladder)
    return ladder.steps[top].id if top >= 0 else NO_STEP


def cases_by_kind_and_step(
    uow_factory: UowFactory,
    principal: Principal,
    config: NuisanceConfig,
    *,
    include_closed: bool = False,
) -> list[CaseGroup]:
    """Cases grouped by kind (in order of precedence) and step (in ladder order)."""
    access_check(principal, Permission.REPORTS_READ)
    with uow_factory(read_only=True) as uow:
        records = [case.record for case in uow.nuisance_cases.list(include_closed=include_closed)]
    ladder = config.ladder
    kinds = [kind.value for kind in NuisanceKind] + [UNASSESSED]
    steps = [NO_STEP] + [step.id for step in ladder.steps]
    names = {NO_STEP: "No step taken yet"} | {step.id: step.name for step in ladder.steps}
    grouped: dict[tuple[str, str], list[CaseRecord]] = {}
    for record in records:
        step = current_step(record, ladder)
        grouped.setdefault((primary_kind(record), step), []).append(record)
    order = {
        (kind, step): (kinds.index(kind), steps.index(step)) for kind in kinds for step in steps
    }
    return [
        CaseGroup(kind, step, names.get(step, step), tuple(cases))
        for (kind, step), cases in sorted(
            grouped.items(), key=lambda item: order.get(item[0], (len(kinds), len(steps)))
        )
    ]


# -- one caller's timeline -----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineItem:
    """A call, or something done on the caller's case, at ``at``."""

    at: datetime
    call: CallSummary | None = None
    case_id: str | None = None
    entry: CaseEntry | None = None


@dataclass(frozen=True)
class Timeline:
    """A caller's calls and case events in time order, with the history they come from."""

    identifiers: tuple[Identifier, ...]
    history: CallerHistory
    flags: tuple[NuisanceFlag, ...]
    cases: tuple[CaseRecord, ...]
    items: tuple[TimelineItem, ...]
    notes: tuple[str, ...]


def timeline(
    uow_factory: UowFactory,
    principal: Principal,
    identifier: str | Identifier,
    now: datetime,
    config: NuisanceConfig,
    *,
    days: int = 30,
) -> Timeline:
    """The calls from a number or IMEI (and from the other identifiers of its case) over the
    last ``days`` days, and every event on its case, oldest first."""
    access_check(principal, Permission.CONTACT_READ)
    now = require_utc(now)
    if not 1 <= days <= MAX_TIMELINE_DAYS:
        raise InvalidInput(f"days must be 1-{MAX_TIMELINE_DAYS}", field="days")
    wanted = identifier if isinstance(identifier, Identifier) else parse_identifier(identifier)
    with uow_factory(read_only=True) as uow:
        since = min(now - timedelta(days=days), now - timedelta(days=30))
        found = lookup(uow, [wanted], now, config, since=since)
    start = now - timedelta(days=days)
    items = [TimelineItem(call.offered_at, call=call) for call in found.history.since(start)]
    for case in found.cases:
        items.extend(TimelineItem(entry.at, case_id=case.id, entry=entry) for entry in case.history)
    items.sort(key=lambda item: (item.at, item.entry is not None))
    return Timeline(
        found.identifiers, found.history, found.flags, found.cases, tuple(items), found.notes
    )
