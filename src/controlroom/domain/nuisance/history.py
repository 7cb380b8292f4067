"""A caller's history: each earlier call in brief, and counts over sliding windows.

:func:`summarise` turns the calls from one number (or IMEI, or several after a number change)
into a :class:`CallerHistory`: counts for the last hour, the force-local day, 7 and 30 days,
the outcomes, and the one line a handler sees the moment a new call arrives ("14 calls today,
12 silent, none with speech"). Nothing here reads a clock: the caller passes ``now``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from controlroom.domain.contacts.values import require_e164, require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.identifiers import require_imei
from controlroom.domain.nuisance.outcomes import INAPPROPRIATE
from controlroom.domain.nuisance.outcomes import OutcomeKind as OutcomeKind
from controlroom.domain.nuisance.windows import WINDOWS as WINDOWS
from controlroom.domain.nuisance.windows import WindowCounts as WindowCounts
from controlroom.domain.nuisance.windows import count_windows as count_windows
from controlroom.domain.nuisance.windows import local_day_start as local_day_start
from controlroom.domain.nuisance.windows import window_starts as window_starts
from controlroom.domain.nuisance.windows import zone as zone
from controlroom.domain.policy import Route, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel

_CONTACT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


@dataclass(frozen=True)
class CallSummary:
    """One earlier call, in brief. Times are timezone-aware; they are kept in UTC.

    ``number`` is ``None`` when withheld; ``imei`` is the handset identity when Advanced Mobile
    Location gave it. ``silent`` means nothing was heard; ``speech`` that somebody spoke;
    ``dtmf_55`` that the caller pressed 55 (Silent Solution). ``abusive`` and ``hoax`` are the
    handler's markers. A terminated call is always counted as warned (4.12.5 comes first).
    """

    contact_id: str
    offered_at: datetime
    outcome: OutcomeKind
    number: str | None = None
    imei: str | None = None
    channel: Channel = Channel.NINE_NINE_NINE
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    silent: bool = False
    speech: bool = False
    dtmf_55: bool = False
    warned: bool = False
    terminated: bool = False
    vulnerability: frozenset[VulnerabilityFlag] = frozenset()
    route: Route | None = None
    incident: bool = False
    abusive: bool = False
    hoax: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.contact_id, str) or not _CONTACT_ID.fullmatch(self.contact_id):
            raise InvalidInput(f"contact id {self.contact_id!r} is not valid", field="contact_id")
        offered = require_utc(self.offered_at, "offered_at")
        object.__setattr__(self, "offered_at", offered)
        if self.number is not None:
            require_e164(self.number, "number")
        if self.imei is not None:
            require_imei(self.imei)
        if not isinstance(self.outcome, OutcomeKind):
            raise InvalidInput(f"unknown outcome {self.outcome!r}", field="outcome")
        if not isinstance(self.channel, Channel):
            raise InvalidInput(f"unknown channel {self.channel!r}", field="channel")
        if self.route is not None and not isinstance(self.route, Route):
            raise InvalidInput(f"unknown route {self.route!r}", field="route")
        earliest = offered
        for name in ("answered_at", "ended_at"):
            value = getattr(self, name)
            if value is None:
                continue
            value = require_utc(value, name)
            if value < earliest:
                raise InvalidInput(f"{name} is before the call was offered or answered", field=name)
            object.__setattr__(self, name, value)
            earliest = value
        if self.silent and self.speech:
            raise InvalidInput(
                f"call {self.contact_id} is marked both silent and with speech", field="silent"
            )
        flags = frozenset(self.vulnerability)
        if any(not isinstance(flag, VulnerabilityFlag) for flag in flags):
            raise InvalidInput("unknown vulnerability flag", field="vulnerability")
        object.__setattr__(self, "vulnerability", flags)
        if self.terminated:
            object.__setattr__(self, "warned", True)

    @classmethod
    def stored(cls, **fields: Any) -> CallSummary:
        """A summary read back from storage, with every field given: it was checked when it
        was written, so it is not checked again (a look-up on call arrival reads hundreds)."""
        if fields.keys() != _SUMMARY_FIELDS:
            raise InvalidInput("a stored call summary needs every field", field="calls")
        summary = cls.__new__(cls)
        summary.__dict__.update(fields)
        return summary

    @property
    def duration(self) -> timedelta | None:
        """From answer (or, unanswered, from offer) to the end; ``None`` while in progress."""
        if self.ended_at is None:
            return None
        return self.ended_at - (self.answered_at or self.offered_at)

    @cached_property  # read for every call by every detector on each look-up
    def genuine_emergency(self) -> bool:
        """True for a call that was a real emergency: an incident, or triaged as one."""
        return (
            self.incident or self.route is Route.EMERGENCY or self.outcome is OutcomeKind.EMERGENCY
        )

    @property
    def inappropriate(self) -> bool:
        """True for a §4.12 inappropriate 999 call (advised, warned or terminated)."""
        return self.outcome in INAPPROPRIATE or self.terminated


_SUMMARY_FIELDS = frozenset(CallSummary.__dataclass_fields__)


@dataclass(frozen=True)
class CallerHistory:
    """Every earlier call from a caller up to ``now``, and what they add up to."""

    now: datetime
    tz: str
    calls: tuple[CallSummary, ...]
    windows: Mapping[str, WindowCounts]
    numbers: tuple[str, ...]
    imeis: tuple[str, ...]
    withheld: int
    intervals: tuple[float, ...]  # seconds between consecutive calls in the last 30 days
    summary: str
    #: calls of the last 30 days counted in ``windows`` but not listed in ``calls`` (a caller
    #: with more calls than a look-up lists: see ``summarise``)
    left_out: int = 0

    def window(self, name: str) -> WindowCounts:
        """The counts for one of :data:`WINDOWS`."""
        try:
            return self.windows[name]
        except KeyError:
            raise InvalidInput(
                f"unknown window {name!r}", field="window", hint="use " + ", ".join(WINDOWS)
            ) from None

    @property
    def today(self) -> WindowCounts:
        """The counts for the force-local calendar day."""
        return self.windows["today"]

    @property
    def zone(self) -> ZoneInfo:
        """The force's time zone."""
        return ZoneInfo(self.tz)

    def local(self, at: datetime) -> datetime:
        """``at`` in the force's local time."""
        return at.astimezone(self.zone)

    def since(self, start: datetime) -> tuple[CallSummary, ...]:
        """The calls offered at or after ``start``."""
        return tuple(call for call in self.calls if call.offered_at >= start)


def intervals_of(calls: Iterable[CallSummary]) -> tuple[float, ...]:
    """The seconds between each call and the next, in order of when they were offered."""
    times = sorted(call.offered_at for call in calls)
    return tuple((b - a).total_seconds() for a, b in itertools.pairwise(times))


def notable(call: CallSummary) -> bool:
    """True for a call that weighs in every detection however old it is within the windows:
    a genuine emergency, a warning or termination, a vulnerability flag, a handler's marker."""
    return (
        call.genuine_emergency
        or call.warned
        or call.terminated
        or bool(call.vulnerability)
        or call.abusive
        or call.hoax
    )


def summarise(
    calls: Iterable[CallSummary],
    now: datetime,
    tz: str,
    *,
    counts: Mapping[str, WindowCounts] | None = None,
) -> CallerHistory:
    """The history of ``calls`` as it stands at ``now``, with the day taken in zone ``tz``.

    Calls offered after ``now`` are left out. The same contact id twice is refused. A caller
    with very many calls is read in part (the newest calls and every :func:`notable` one):
    ``counts`` then gives each window's counts over all the calls, and the history says how
    many of the last 30 days' calls it does not list.
    """
    now = require_utc(now)
    zone(tz)
    given = list(calls)
    if any(not isinstance(call, CallSummary) for call in given):
        raise InvalidInput("calls must be CallSummary values", field="calls")
    seen: set[str] = set()
    for call in given:
        if call.contact_id in seen:
            raise InvalidInput(f"contact {call.contact_id} is listed twice", field="calls")
        seen.add(call.contact_id)
    kept = tuple(
        sorted(
            (call for call in given if call.offered_at <= now),
            key=lambda call: (call.offered_at, call.contact_id),
        )
    )
    starts = window_starts(now, tz)
    recent = [call for call in kept if call.offered_at >= starts["last_30_days"]]
    left_out = 0
    if counts is None:
        windows = count_windows(kept, starts, now)
    else:
        missing = set(WINDOWS) - set(counts)
        if missing:
            raise InvalidInput(f"counts lack the windows {sorted(missing)}", field="counts")
        windows = {name: counts[name] for name in WINDOWS}
        left_out = max(windows["last_30_days"].calls - len(recent), 0)
    numbers = tuple(dict.fromkeys(call.number for call in kept if call.number is not None))
    imeis = tuple(dict.fromkeys(call.imei for call in kept if call.imei is not None))
    return CallerHistory(
        now=now,
        tz=tz,
        calls=kept,
        windows=MappingProxyType(windows),
        numbers=numbers,
        imeis=imeis,
        withheld=sum(1 for call in kept if call.number is None),
        intervals=intervals_of(recent),
        summary=handler_summary(windows),
        left_out=left_out,
    )


def _calls(n: int) -> str:
    return "1 call" if n == 1 else f"{n} calls"


def handler_summary(windows: Mapping[str, WindowCounts]) -> str:
    """One line for the handler, such as "14 calls today, 12 silent, none with speech"."""
    today, month = windows["today"], windows["last_30_days"]
    if month.calls == 0:
        return "No calls in the last 30 days"
    if today.calls == 0:
        line = "No calls today"
    else:
        parts = [f"{_calls(today.calls)} today"]
        if today.silent:
            parts.append(f"{today.silent} silent")
        if today.abandoned:
            parts.append(f"{today.abandoned} abandoned")
        if today.speech == 0:
            parts.append("none with speech")
        elif today.speech == today.calls:
            parts.append("all with speech")
        else:
            parts.append(f"{today.speech} with speech")
        line = ", ".join(parts)
    extra = []
    if today.terminated:
        extra.append(f"{today.terminated} terminated after a warning")
    if month.warned:
        extra.append(f"{month.warned} warned in 30 days")
    if today.emergency:
        extra.append(f"{today.emergency} genuine emergency")
    week = windows["last_7_days"]
    extra.append(f"{_calls(week.calls)} in 7 days, {month.calls} in 30 days")
    return line + "; " + "; ".join(extra)
