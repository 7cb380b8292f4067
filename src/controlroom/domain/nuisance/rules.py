"""Detecting a probable nuisance source, and which kind, from a caller's history.

DCP-P-042 §4.12.6 names three sources of nuisance or hoax calls, and each needs a different
response: a **faulty device** (contact the communications provider or the owner about the
handset), a **vulnerable person**, such as someone with a mental health illness (a safeguarding
referral, never disconnection without a supervisor's explicit override), and **deliberate
misuse** (the force's escalation ladder). The thresholds are data (:class:`NuisanceRules`, set
per force in the policy file); every flag carries its evidence as plain sentences naming the
contacts and their times. Genuine emergency calls, and calls close to one, are never counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime

from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.detectors import Reader, coefficient_of_variation
from controlroom.domain.nuisance.flags import (
    ADVICE,
    Confidence,
    NuisanceFlag,
    NuisanceKind,
    Response,
)
from controlroom.domain.nuisance.history import CallerHistory

__all__ = [
    "ADVICE",
    "Confidence",
    "NuisanceFlag",
    "NuisanceKind",
    "NuisanceRules",
    "Response",
    "coefficient_of_variation",
    "detect",
    "recommended_response",
]


@dataclass(frozen=True)
class NuisanceRules:
    """Detection thresholds. Windows end at the history's ``now``.

    Faulty device: at least ``faulty_min_calls`` calls in ``faulty_window_hours`` with no
    speech and no 55, each silent or no longer than ``short_call_seconds``; regular when the
    coefficient of variation of the intervals between them (from at least
    ``regular_min_intervals`` intervals) is at most ``regular_max_variation``.
    Vulnerable person: at least ``vulnerable_min_calls`` calls in ``vulnerable_window_days``
    with a vulnerability marker. Deliberate misuse: at least ``deliberate_min_terminated``
    terminated inappropriate calls, ``deliberate_min_hoax`` hoaxes or
    ``deliberate_min_abusive`` abusive calls in ``deliberate_window_days``, or (with
    ``persistence_after_warning``) any inappropriate call after a warning. Calls within
    ``emergency_grace_minutes`` of a genuine emergency call are never counted.
    """

    faulty_window_hours: int = 24
    faulty_min_calls: int = 5
    short_call_seconds: int = 10
    regular_max_variation: float = 0.25
    regular_min_intervals: int = 4
    emergency_grace_minutes: int = 60
    vulnerable_window_days: int = 30
    vulnerable_min_calls: int = 2
    deliberate_window_days: int = 30
    deliberate_min_terminated: int = 3
    deliberate_min_hoax: int = 1
    deliberate_min_abusive: int = 2
    persistence_after_warning: bool = True

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "persistence_after_warning":
                if not isinstance(value, bool):
                    raise InvalidInput(f"{item.name} must be true or false", field=item.name)
            elif item.name == "regular_max_variation":
                ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
                if not ok:
                    raise InvalidInput(f"{item.name} must be a number above 0", field=item.name)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidInput(
                    f"{item.name} must be a whole number, 0 or more", field=item.name
                )
        for name in ("faulty_min_calls", "vulnerable_min_calls", "regular_min_intervals"):
            if getattr(self, name) < 1:
                raise InvalidInput(f"{name} must be at least 1", field=name)


def recommended_response(flags: Sequence[NuisanceFlag]) -> Response | None:
    """The response to act on first: the first flag's (vulnerable takes precedence)."""
    return flags[0].response if flags else None


def detect(
    history: CallerHistory,
    rules: NuisanceRules | None = None,
    *,
    warned_at: datetime | None = None,
) -> list[NuisanceFlag]:
    """The nuisance flags ``history`` raises under ``rules``, most important first.

    ``warned_at`` is when a warning outside a call (a warning letter) was given, if one was:
    inappropriate calls after it count as persistence, as after a warning on a call.
    """
    rules = rules or NuisanceRules()
    if warned_at is not None:
        warned_at = require_utc(warned_at, "warned_at")
    reader = Reader(history, rules)
    found = [
        flag
        for flag in (reader.faulty(), reader.vulnerable(), reader.deliberate(warned_at))
        if flag is not None
    ]
    if found and not any(f.kind is NuisanceKind.VULNERABLE_PERSON for f in found):
        weak = reader.weak_vulnerable()
        if weak is not None:
            found.append(weak)
    order = list(NuisanceKind)
    found.sort(key=lambda flag: order.index(flag.kind))
    return _with_conflicts(found)


def _with_conflicts(flags: list[NuisanceFlag]) -> list[NuisanceFlag]:
    kinds = [flag.kind for flag in flags]
    if len(kinds) < 2:
        return flags
    names = " and ".join(kind.value.replace("_", " ") for kind in kinds)
    if kinds[0] is NuisanceKind.VULNERABLE_PERSON:
        note = (
            f"This history shows signs of {names}. The vulnerable-person response comes first: "
            "make the safeguarding referral; no disconnection without a supervisor's explicit "
            "override with a reason."
        )
    else:
        note = (
            f"This history shows signs of {names}. Check the handset with the communications "
            "provider before escalating: a faulty device is nobody's misuse."
        )
    return [replace(flag, conflict=note) for flag in flags]
