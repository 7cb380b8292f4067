"""The detectors behind :func:`~controlroom.domain.nuisance.rules.detect`: one per kind, each
writing its evidence as plain sentences naming the contacts and their local times."""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from controlroom.domain.nuisance.flags import ADVICE, Confidence, NuisanceFlag, NuisanceKind
from controlroom.domain.nuisance.history import CallerHistory, CallSummary, OutcomeKind
from controlroom.domain.policy import VulnerabilityFlag

if TYPE_CHECKING:
    from controlroom.domain.nuisance.rules import NuisanceRules

_DISTRESS = frozenset({VulnerabilityFlag.MENTAL_HEALTH, VulnerabilityFlag.DISTRESS_OR_TRAUMA})
_SHORT_OUTCOMES = frozenset({OutcomeKind.SILENT, OutcomeKind.ABANDONED, OutcomeKind.ACCIDENTAL})
#: At most this many contacts are named in one sentence of evidence.
MAX_CITED = 12


def _flag(
    kind: NuisanceKind,
    confidence: Confidence,
    evidence: list[str],
    calls: Iterable[CallSummary],
) -> NuisanceFlag:
    response, advice = ADVICE[kind]
    ids = tuple(dict.fromkeys(call.contact_id for call in calls))
    return NuisanceFlag(kind, confidence, tuple(evidence), ids, response, advice)


class Reader:
    """Reads one history against one set of rules."""

    def __init__(self, history: CallerHistory, rules: NuisanceRules) -> None:
        self.history = history
        self.rules = rules
        grace = timedelta(minutes=rules.emergency_grace_minutes)
        genuine = sorted(call.offered_at for call in history.calls if call.genuine_emergency)
        self.near_emergency = {
            call.contact_id
            for call in history.calls
            if not call.genuine_emergency and _near(call.offered_at, genuine, grace)
        }
        # the calls detection weighs (not emergencies, nor calls close to one), in time order
        self._weighed = [
            call
            for call in history.calls
            if not call.genuine_emergency and call.contact_id not in self.near_emergency
        ]
        self._weighed_at = [call.offered_at for call in self._weighed]

    def _window(self, span: timedelta) -> list[CallSummary]:
        start = self.history.now - span
        return self._weighed[bisect.bisect_left(self._weighed_at, start) :]

    def _left_out(self, span: timedelta) -> str | None:
        start = self.history.now - span
        near = [
            c
            for c in self.history.calls
            if c.offered_at >= start and c.contact_id in self.near_emergency
        ]
        if not near:
            return None
        return (
            f"{_n(len(near), 'call')} within {self.rules.emergency_grace_minutes} minutes of a "
            f"genuine emergency call {'was' if len(near) == 1 else 'were'} left out: "
            f"{self._cite(near)}."
        )

    def _cite(self, calls: Sequence[CallSummary]) -> str:
        shown = [
            f"{call.contact_id} at {self.history.local(call.offered_at):%H:%M on %d %b %Y}"
            for call in calls[:MAX_CITED]
        ]
        more = len(calls) - len(shown)
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

    def _when(self) -> str:
        return f"{self.history.local(self.history.now):%H:%M on %d %b %Y}"

    # -- faulty device --------------------------------------------------------------------

    def faulty(self) -> NuisanceFlag | None:
        rules = self.rules
        span = timedelta(hours=rules.faulty_window_hours)
        calls = self._window(span)
        short = timedelta(seconds=rules.short_call_seconds)
        quiet = [
            call
            for call in calls
            if not call.speech
            and not call.dtmf_55
            and (
                call.silent
                or call.outcome in _SHORT_OUTCOMES
                or (call.duration is not None and call.duration <= short)
            )
        ]
        if len(quiet) < rules.faulty_min_calls:
            return None
        silent = sum(1 for call in quiet if call.silent or call.outcome is OutcomeKind.SILENT)
        evidence = [
            f"{_n(len(quiet), 'call')} in the {rules.faulty_window_hours} hours to "
            f"{self._when()} had no speech and no 55 pressed ({silent} silent; the rest "
            f"abandoned, accidental or under {rules.short_call_seconds} seconds): "
            f"{self._cite(quiet)}."
        ]
        intervals = [
            (b.offered_at - a.offered_at).total_seconds() for a, b in itertools.pairwise(quiet)
        ]
        variation = coefficient_of_variation(intervals)
        regular = (
            variation is not None
            and len(intervals) >= rules.regular_min_intervals
            and variation <= rules.regular_max_variation
        )
        if variation is not None and len(intervals) >= rules.regular_min_intervals:
            mean = _duration(sum(intervals) / len(intervals))
            verdict = "at or below" if regular else "above"
            evidence.append(
                f"The intervals between them are {'regular' if regular else 'irregular'}: on "
                f"average every {mean} (coefficient of variation {variation:.2f}, {verdict} "
                f"the {rules.regular_max_variation:.2f} threshold)."
            )
        spoken = [call for call in calls if call.speech]
        if spoken:
            evidence.append(
                f"{_n(len(spoken), 'other call')} in the same period had speech: "
                f"{self._cite(spoken)}; a person may be calling too."
            )
        else:
            evidence.append("No call from this caller in the period had speech or 55 pressed.")
        left_out = self._left_out(span)
        if left_out:
            evidence.append(left_out)
        if regular:
            confidence = Confidence.HIGH
        elif spoken:
            confidence = Confidence.LOW
        else:
            confidence = Confidence.MEDIUM
        return _flag(NuisanceKind.FAULTY_DEVICE, confidence, evidence, quiet)

    # -- vulnerable person ----------------------------------------------------------------

    def _marked(self) -> list[CallSummary]:
        span = timedelta(days=self.rules.vulnerable_window_days)
        return [call for call in self._window(span) if call.vulnerability]

    def vulnerable(self) -> NuisanceFlag | None:
        marked = self._marked()
        if len(marked) < self.rules.vulnerable_min_calls:
            return None
        distress = [call for call in marked if call.vulnerability & _DISTRESS]
        confidence = (
            Confidence.HIGH
            if len(distress) >= self.rules.vulnerable_min_calls
            else Confidence.MEDIUM
        )
        return _flag(NuisanceKind.VULNERABLE_PERSON, confidence, self._markers(marked), marked)

    def weak_vulnerable(self) -> NuisanceFlag | None:
        """A low-confidence flag for a single marker on a number flagged for another reason."""
        marked = self._marked()
        if not marked:
            return None
        evidence = [
            *self._markers(marked),
            "Fewer calls carried a marker than the rule needs, but the number is flagged for "
            "another reason: treat the caller as possibly vulnerable.",
        ]
        return _flag(NuisanceKind.VULNERABLE_PERSON, Confidence.LOW, evidence, marked)

    def _markers(self, marked: list[CallSummary]) -> list[str]:
        days = self.rules.vulnerable_window_days
        evidence = [
            f"{_n(len(marked), 'call')} in the {days} days to {self._when()} carried a "
            f"vulnerability marker."
        ]
        for flag in VulnerabilityFlag:
            with_flag = [call for call in marked if flag in call.vulnerability]
            if with_flag:
                label = flag.value.replace("_", " ")
                evidence.append(f"Marked {label}: {self._cite(with_flag)}.")
        left_out = self._left_out(timedelta(days=days))
        if left_out:
            evidence.append(left_out)
        return evidence

    # -- deliberate misuse ----------------------------------------------------------------

    def deliberate(self, warned_at: datetime | None) -> NuisanceFlag | None:
        rules = self.rules
        days = rules.deliberate_window_days
        calls = self._window(timedelta(days=days))
        evidence: list[str] = []
        cited: list[CallSummary] = []
        strong = False
        period = f"in the {days} days to {self._when()}"
        terminated = [call for call in calls if call.terminated]
        if terminated and len(terminated) >= rules.deliberate_min_terminated:
            strong = True
            cited += terminated
            evidence.append(
                f"{_n(len(terminated), 'inappropriate call')} {period} "
                f"{'was' if len(terminated) == 1 else 'were'} terminated after a warning: "
                f"{self._cite(terminated)}."
            )
        hoaxes = [call for call in calls if call.hoax]
        if hoaxes and len(hoaxes) >= rules.deliberate_min_hoax:
            strong = True
            cited += hoaxes
            evidence.append(
                f"{_n(len(hoaxes), 'call')} {period} {'was' if len(hoaxes) == 1 else 'were'} "
                f"marked as a hoax: {self._cite(hoaxes)}."
            )
        persisted = self._persistence(calls, warned_at) if rules.persistence_after_warning else []
        if persisted:
            strong = True
            cited += persisted
            first = self._first_warning(calls, warned_at)
            evidence.append(
                f"After {first}, the caller made {_n(len(persisted), 'more inappropriate call')}:"
                f" {self._cite(persisted)}."
            )
        abusive = [call for call in calls if call.abusive]
        abuse_counts = bool(abusive) and len(abusive) >= rules.deliberate_min_abusive
        if abuse_counts:
            cited += abusive
            evidence.append(
                f"{_n(len(abusive), 'call')} {period} {'was' if len(abusive) == 1 else 'were'} "
                f"marked abusive: {self._cite(abusive)}."
            )
        if not evidence:
            return None
        if len(evidence) >= 2:
            confidence = Confidence.HIGH
        else:
            confidence = Confidence.MEDIUM if strong else Confidence.LOW
        cited.sort(key=lambda call: call.offered_at)
        return _flag(NuisanceKind.DELIBERATE_MISUSE, confidence, evidence, cited)

    @staticmethod
    def _warning_time(calls: list[CallSummary], warned_at: datetime | None) -> datetime | None:
        times = [call.offered_at for call in calls if call.warned]
        if warned_at is not None:
            times.append(warned_at)
        return min(times) if times else None

    def _persistence(
        self, calls: list[CallSummary], warned_at: datetime | None
    ) -> list[CallSummary]:
        first = self._warning_time(calls, warned_at)
        if first is None:
            return []
        return [
            call
            for call in calls
            if call.offered_at > first and (call.inappropriate or call.hoax or call.abusive)
        ]

    def _first_warning(self, calls: list[CallSummary], warned_at: datetime | None) -> str:
        on_call = [call for call in calls if call.warned]
        first_call = on_call[0] if on_call else None
        if first_call is not None and (warned_at is None or first_call.offered_at <= warned_at):
            return f"the warning on {self._cite([first_call])}"
        assert warned_at is not None
        return f"the warning given at {self.history.local(warned_at):%H:%M on %d %b %Y}"


def _near(at: datetime, times: Sequence[datetime], grace: timedelta) -> bool:
    """True when one of ``times`` (sorted) is within ``grace`` of ``at``."""
    i = bisect.bisect_left(times, at - grace)
    return i < len(times) and times[i] <= at + grace


def _n(count: int, noun: str) -> str:
    return f"1 {noun}" if count == 1 else f"{count} {noun}s"


def _duration(seconds: float) -> str:
    """A length of time in plain words: "40 seconds", "15 minutes", "2 hours 5 minutes"."""
    total = round(seconds)
    if total < 120:
        return _n(total, "second")
    minutes = round(total / 60)
    if minutes < 120:
        return _n(minutes, "minute")
    hours, rest = divmod(minutes, 60)
    return _n(hours, "hour") + (f" {_n(rest, 'minute')}" if rest else "")


def coefficient_of_variation(values: Sequence[float]) -> float | None:
    """Standard deviation over mean; ``None`` for fewer than two values or a zero mean."""
    if len(values) < 2:
        return None
    mean = statistics.fmean(values)
    return statistics.pstdev(values) / mean if mean > 0 else None
