"""The best current location of a caller, and why: a short, documented rule.

Fixes are compared factor by factor, in this order, and the first factor that differs decides
(see docs/location.md, "Best location"):

1. **located** — evidence without coordinates (:class:`Unlocated`) is listed, never chosen;
2. **freshness** — a fix positioned more than ``max_age`` ago is stale and loses to any current
   one (a landline's registered address does not age; a fix without a time counts as current);
3. **precision** — the class of the effective radius: premises (≤ 50 m), street (≤ 250 m),
   neighbourhood (≤ 1 km), area (> 1 km), unknown;
4. **trust** — the handset's own measurement (AML), then a landline's registered address, then
   a code the caller read out (what3words, Plus code, grid reference, coordinates), then a
   postcode centroid;
5. **radius** — the smaller effective radius;
6. **recency** — the later fix.

The effective radius is the reported radius rescaled to 95% confidence, assuming a circular
normal error: ``r95 = r × sqrt(ln 0.05 / ln(1 − p))``, ``p`` clamped to 20–99%. AML fixes
without a confidence are taken as 68% (the handsets' usual convention); other formats' radii
are bounds of a square or cell and are used as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location.fix import LocationFix, LocationSource, PositioningMethod

DEFAULT_MAX_AGE = timedelta(minutes=10)
ASSUMED_AML_CONFIDENCE_PCT = 68
LANDLINE_PREMISES_RADIUS_M = 25.0
_FUTURE_TOLERANCE_S = 60.0


class Precision(IntEnum):
    """Classes of effective radius, best first."""

    PREMISES = 0
    STREET = 1
    NEIGHBOURHOOD = 2
    AREA = 3
    UNKNOWN = 4


class Trust(IntEnum):
    """How far a source can be taken at its word, best first."""

    HANDSET = 0
    REGISTERED_ADDRESS = 1
    READ_OUT = 2
    AREA_CENTROID = 3


#: Upper bounds of the precision classes, metres; above the last is AREA.
PRECISION_LIMITS = {Precision.PREMISES: 50.0, Precision.STREET: 250.0, Precision.NEIGHBOURHOOD: 1e3}
#: Each source's trust class and its name in explanations.
SOURCES: dict[LocationSource, tuple[Trust, str]] = {
    LocationSource.AML_SMS_V1: (Trust.HANDSET, "AML"),
    LocationSource.AML_SMS_V2: (Trust.HANDSET, "AML"),
    LocationSource.AML_HTTPS: (Trust.HANDSET, "AML"),
    LocationSource.LANDLINE_ADDRESS: (Trust.REGISTERED_ADDRESS, "landline address"),
    LocationSource.WHAT3WORDS: (Trust.READ_OUT, "what3words read out by caller"),
    LocationSource.PLUS_CODE: (Trust.READ_OUT, "Plus code read out by caller"),
    LocationSource.OS_GRID: (Trust.READ_OUT, "OS grid reference read out by caller"),
    LocationSource.COORDINATES: (Trust.READ_OUT, "coordinates read out by caller"),
    LocationSource.POSTCODE: (Trust.AREA_CENTROID, "postcode centroid"),
    LocationSource.PLACE: (Trust.AREA_CENTROID, "place in the gazetteer"),
}
_CAVEATS = {
    Trust.HANDSET: "measured by the handset",
    Trust.REGISTERED_ADDRESS: "exact premises but a fixed line",
    Trust.READ_OUT: "depends on the caller reading it correctly",
    Trust.AREA_CENTROID: "the centre of an area, not a point",
}
_METHODS = {PositioningMethod.GNSS: "GNSS", PositioningMethod.WIFI: "Wi-Fi"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Unlocated:
    """Location evidence without coordinates yet: a postcode not geocoded, words not converted."""

    source: LocationSource
    text: str
    reason: str
    stated_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.stated_at is not None and self.stated_at.utcoffset() is None:
            raise InvalidInput("stated_at has no time zone", field="stated_at")


Evidence = LocationFix | Unlocated


@dataclass(frozen=True, slots=True)
class Score:
    """The value of each factor for one piece of evidence, in the order they are compared."""

    located: bool
    stale: bool
    age_s: float | None
    precision: Precision
    trust: Trust
    effective_radius_m: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values."""
        return {
            "located": self.located,
            "stale": self.stale,
            "age_s": self.age_s,
            "precision": self.precision.name.lower(),
            "trust": self.trust.name.lower(),
            "effective_radius_m": self.effective_radius_m,
        }


@dataclass(frozen=True, slots=True)
class Ranked:
    """One piece of evidence in the ranking: its place, its score and the reason in words.

    ``decided_by`` names the factor that put it below the chosen fix (or, for the chosen fix,
    above the runner-up): located, freshness, precision, trust, radius, recency or tie.
    """

    evidence: Evidence
    rank: int
    chosen: bool
    score: Score
    decided_by: str | None
    explanation: str


@dataclass(frozen=True, slots=True)
class BestChoice:
    """The chosen fix (None when nothing has coordinates) and every piece of evidence ranked."""

    fix: LocationFix | None
    ranking: tuple[Ranked, ...]
    stale: bool

    @property
    def explanation(self) -> str:
        """Why the first in the ranking is where it is."""
        return self.ranking[0].explanation

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly values."""
        return {
            "fix": self.fix.as_dict() if self.fix is not None else None,
            "stale": self.stale,
            "explanation": self.explanation,
            "ranking": [
                {
                    "rank": item.rank,
                    "chosen": item.chosen,
                    "source": item.evidence.source.value,
                    "score": item.score.as_dict(),
                    "decided_by": item.decided_by,
                    "explanation": item.explanation,
                }
                for item in self.ranking
            ],
        }


def confidence_scale(confidence_pct: float) -> float:
    """Factor turning a radius at ``confidence_pct`` into one at 95% (circular normal error)."""
    p = min(max(confidence_pct, 20.0), 99.0) / 100.0
    return math.sqrt(math.log(0.05) / math.log(1.0 - p))


def trust_of(source: LocationSource) -> Trust:
    """The trust class of a source (a source not in :data:`SOURCES` counts as an area)."""
    return SOURCES.get(source, (Trust.AREA_CENTROID, ""))[0]


def effective_radius(fix: LocationFix) -> float | None:
    """The radius at 95% confidence, in metres; None when the fix has no accuracy."""
    radius = fix.accuracy_m
    if radius is None:
        return LANDLINE_PREMISES_RADIUS_M if fix.source is LocationSource.LANDLINE_ADDRESS else None
    confidence = fix.confidence_pct
    if confidence is None and trust_of(fix.source) is Trust.HANDSET:
        confidence = ASSUMED_AML_CONFIDENCE_PCT
    scaled = radius if confidence is None else radius * confidence_scale(confidence)
    return round(scaled, 1)


def _precision(radius: float | None) -> Precision:
    if radius is None:
        return Precision.UNKNOWN
    for precision, limit in PRECISION_LIMITS.items():
        if radius <= limit:
            return precision
    return Precision.AREA


def _score(item: Evidence, now: datetime, max_age: timedelta) -> Score:
    trust = trust_of(item.source)
    if isinstance(item, Unlocated):
        return Score(False, False, _age(item.stated_at, now), Precision.UNKNOWN, trust, None)
    age = _age(item.positioned_at, now)
    ages = item.source is not LocationSource.LANDLINE_ADDRESS
    stale = ages and age is not None and age > max_age.total_seconds()
    radius = effective_radius(item)
    return Score(True, stale, age, _precision(radius), trust, radius)


def _age(moment: datetime | None, now: datetime) -> float | None:
    return None if moment is None else (now - moment).total_seconds()


def _key(item: Evidence, score: Score) -> tuple[Any, ...]:
    moment = item.stated_at if isinstance(item, Unlocated) else item.positioned_at
    latest = -moment.timestamp() if moment is not None else math.inf
    radius = score.effective_radius_m if score.effective_radius_m is not None else math.inf
    # The last entries only make the order total, so the input order never matters.
    return (
        not score.located,
        score.stale,
        score.precision,
        score.trust,
        radius,
        latest,
        item.source.value,
        repr(item),
    )


_FACTORS = ("located", "freshness", "precision", "trust", "radius", "recency")


def _decided_by(key: tuple[Any, ...], other: tuple[Any, ...]) -> str:
    for name, mine, theirs in zip(_FACTORS, key, other, strict=False):
        if mine != theirs:
            return name
    return "tie"


def choose_best(
    fixes: Sequence[Evidence], now: datetime, *, max_age: timedelta = DEFAULT_MAX_AGE
) -> BestChoice | None:
    """The best current fix among ``fixes`` at ``now``, every fix ranked and explained.

    None when there is no evidence at all. ``now`` must be timezone-aware.
    """
    if now.utcoffset() is None:
        raise InvalidInput("now has no time zone", field="now", hint="give an aware UTC time")
    if max_age <= timedelta(0):
        raise InvalidInput("max_age must be positive", field="max_age")
    if not fixes:
        return None
    scored = [(item, _score(item, now, max_age)) for item in fixes]
    keyed = sorted(((_key(item, s), item, s) for item, s in scored), key=lambda entry: entry[0])
    top_key, top, top_score = keyed[0]
    chosen = top if isinstance(top, LocationFix) and top_score.located else None
    ranking: list[Ranked] = []
    for position, (key, item, score) in enumerate(keyed, start=1):
        if position == 1:
            runner = keyed[1] if len(keyed) > 1 else None
            decided = _decided_by(runner[0], key) if runner is not None else None
            text = _explain_first(item, score, decided, runner, max_age)
        else:
            decided = _decided_by(key, top_key)
            text = _explain_other(item, score, decided, top, top_score, max_age)
        ranking.append(Ranked(item, position, item is chosen, score, decided, text))
    stale = chosen is not None and top_score.stale
    return BestChoice(chosen, tuple(ranking), stale)


def describe(item: Evidence) -> str:
    """A short name for the evidence: "AML GNSS fix", "landline address"..."""
    if isinstance(item, Unlocated):
        return f"{item.source.value.replace('_', ' ')} {item.text!r}"
    trust, label = SOURCES.get(item.source, (Trust.AREA_CENTROID, item.source.value))
    if trust is Trust.HANDSET:
        method = _METHODS.get(item.method, item.method.value)
        return f"AML {method} fix" if item.method is not PositioningMethod.UNKNOWN else "AML fix"
    return label


def _duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"


def _metres(radius: float) -> str:
    return f"{radius:.0f} m" if radius >= 10 else f"{radius:.1f} m".replace(".0 m", " m")


def _head(item: Evidence, score: Score) -> str:
    """The evidence and its factor values in words: age, radius, confidence, caveat."""
    head, facts = describe(item), []
    if item.source is LocationSource.LANDLINE_ADDRESS:
        facts.append(_CAVEATS[Trust.REGISTERED_ADDRESS])
    elif score.age_s is None:
        facts.append("time unknown")
    elif score.age_s < -_FUTURE_TOLERANCE_S:
        facts.append(f"positioned {_duration(score.age_s)} in the future: check the clocks")
    else:
        head += f" {_duration(max(score.age_s, 0.0))} old" + (" (stale)" if score.stale else "")
    if isinstance(item, Unlocated):
        return ", ".join([head, *facts, f"no coordinates: {item.reason}"])
    radius = score.effective_radius_m
    if item.accuracy_m is None:
        facts.append("accuracy unknown" if radius is None else f"taken as ±{_metres(radius)}")
    elif item.source is LocationSource.WHAT3WORDS:
        facts.append(f"{_metres(item.accuracy_m * math.sqrt(2))} square")
    else:
        facts.append(f"±{_metres(item.accuracy_m)}")
    if item.confidence_pct is not None:
        facts.append(f"{item.confidence_pct}% confidence")
    if item.accuracy_m is not None and radius is not None and abs(radius - item.accuracy_m) >= 1:
        facts.append(f"≈ ±{_metres(radius)} at 95%")
    if score.trust not in (Trust.HANDSET, Trust.REGISTERED_ADDRESS):
        facts.append(_CAVEATS[score.trust])
    if item.flags:
        facts.append("flags: " + ", ".join(item.flags))
    return ", ".join([head, *facts])


def _radius_text(score: Score) -> str:
    name = score.precision.name.lower()
    if score.effective_radius_m is None:
        return name
    return f"{name}, ±{_metres(score.effective_radius_m)}"


_BEST_BECAUSE = {
    "located": "the only evidence with coordinates",
    "freshness": "the only current fix",
    "precision": "the most precise",
    "trust": "the most trusted source of those as precise",
    "radius": "the smallest effective radius",
    "recency": "the latest of equally good fixes",
    "tie": "equal best",
}


def _explain_first(
    item: Evidence,
    score: Score,
    decided: str | None,
    runner: tuple[tuple[Any, ...], Evidence, Score] | None,
    max_age: timedelta,
) -> str:
    head = _head(item, score)
    if not score.located:
        return f"{head} — nothing has coordinates yet: ask for a location that can be mapped"
    verdict = "best" if decided is None else f"best: {_BEST_BECAUSE[decided]}"
    if runner is not None and decided in ("precision", "radius", "trust"):
        verdict += f" (next: {describe(runner[1])}, {_radius_text(runner[2])})"
    if item.source is LocationSource.LANDLINE_ADDRESS:
        verdict += "; used because there is no better mobile fix"
    if score.stale:
        limit = _duration(max_age.total_seconds())
        verdict += f"; but it is older than {limit}: ask the caller for a fresh location"
    return f"{head} — {verdict}"


def _explain_other(
    item: Evidence,
    score: Score,
    decided: str,
    top: Evidence,
    top_score: Score,
    max_age: timedelta,
) -> str:
    head = _head(item, score)
    chosen = f"the chosen {describe(top)}"
    if decided == "located":
        return f"{head} — listed, not chosen: it has no coordinates"
    if decided == "freshness":
        limit = _duration(max_age.total_seconds())
        return (
            f"{head} — stale: older than {limit}, passed over for a current fix ({describe(top)})"
        )
    if decided == "precision":
        return (
            f"{head} — passed over: less precise ({_radius_text(score)}) than {chosen} "
            f"({_radius_text(top_score)})"
        )
    if decided == "trust":
        if score.trust is Trust.REGISTERED_ADDRESS:
            why = "used only when no mobile fix is as precise"
        else:
            why = f"a less trusted source, {_CAVEATS[score.trust]}"
        return f"{head} — passed over: {why}; {chosen} is as precise ({_radius_text(top_score)})"
    if decided == "radius":
        mine = _metres(score.effective_radius_m) if score.effective_radius_m is not None else "?"
        theirs = _metres(top_score.effective_radius_m or 0.0)
        return f"{head} — passed over: ±{mine} against ±{theirs} for {chosen}"
    if decided == "recency":
        return f"{head} — passed over: as good as {chosen} but older"
    return f"{head} — passed over: the same as {chosen}"
