"""Scoring triage against labelled examples.

Each example carries a label saying where it belongs; triage answers a route. The scoring rules
are those of the evaluation data's README:

=====================  =======================================
label                  correct routes
=====================  =======================================
emergency              ``emergency``
non_emergency_police   ``police_non_emergency``
other_agency           ``other_agency`` or ``not_police``
inappropriate          ``not_police`` or ``other_agency``
=====================  =======================================

The figures are emergency recall (emergency rows routed ``emergency``), false emergencies
(non-emergency rows routed ``emergency``, as a share of the non-emergency rows) and "police
matter?" accuracy (non-emergency rows routed correctly by the table, ``other_agency`` and
``not_police`` counting as one answer). Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from controlroom.domain.policy import Route


class Label(StrEnum):
    """Where a labelled example belongs, according to its source."""

    EMERGENCY = "emergency"
    NON_EMERGENCY_POLICE = "non_emergency_police"
    OTHER_AGENCY = "other_agency"
    INAPPROPRIATE = "inappropriate"


CORRECT_ROUTES: Mapping[Label, frozenset[Route]] = {
    Label.EMERGENCY: frozenset({Route.EMERGENCY}),
    Label.NON_EMERGENCY_POLICE: frozenset({Route.POLICE_NON_EMERGENCY}),
    Label.OTHER_AGENCY: frozenset({Route.OTHER_AGENCY, Route.NOT_POLICE}),
    Label.INAPPROPRIATE: frozenset({Route.NOT_POLICE, Route.OTHER_AGENCY}),
}

#: Routes in the order a confusion table shows them: most urgent first.
ROUTE_ORDER: tuple[Route, ...] = tuple(sorted(Route, key=lambda route: -route.rank))


def is_correct(label: Label, route: Route) -> bool:
    """True when ``route`` is a right answer for an example labelled ``label``."""
    return route in CORRECT_ROUTES[label]


@dataclass(frozen=True)
class Example:
    """One labelled example: the words, the label, and where it came from."""

    text: str
    label: Label
    agency: str = ""
    source_url: str = ""
    kind: str = ""
    line: int = 0  # line number in the file it was read from, 0 when not from a file


@dataclass(frozen=True)
class Outcome:
    """An example and the route triage gave it."""

    example: Example
    route: Route

    @property
    def correct(self) -> bool:
        """True when the route is right for the example's label."""
        return is_correct(self.example.label, self.route)


@dataclass(frozen=True)
class Ratio:
    """``hits`` out of ``total``, kept as counts so the figure can always be explained."""

    hits: int
    total: int

    @property
    def value(self) -> float | None:
        """The share as a float, or ``None`` when there is nothing to count."""
        return None if self.total == 0 else self.hits / self.total

    @property
    def fraction(self) -> Fraction | None:
        """The exact share, or ``None`` when there is nothing to count."""
        return None if self.total == 0 else Fraction(self.hits, self.total)

    def as_dict(self) -> dict[str, Any]:
        """``hits``, ``total`` and ``value`` as JSON-ready data."""
        return {"hits": self.hits, "total": self.total, "value": self.value}


@dataclass(frozen=True)
class Targets:
    """The figures triage must reach. Compared exactly, with fractions."""

    emergency_recall: Fraction = Fraction(1)
    max_false_emergencies: Fraction = Fraction(3, 100)
    police_matter_accuracy: Fraction = Fraction(95, 100)


@dataclass(frozen=True)
class TargetCheck:
    """One figure against its target."""

    name: str
    ratio: Ratio
    target: Fraction
    higher_is_better: bool

    @property
    def met(self) -> bool:
        """True when the figure reaches its target; a figure with nothing to count is met."""
        share = self.ratio.fraction
        if share is None:
            return True
        return share >= self.target if self.higher_is_better else share <= self.target


@dataclass(frozen=True)
class Scores:
    """Every figure for a set of outcomes, with the counts behind it."""

    counts: Mapping[Label, int]
    emergency_recall: Ratio
    false_emergencies: Ratio
    police_matter_accuracy: Ratio
    overall: Ratio
    confusion: Mapping[Label, Mapping[Route, int]]
    misses: tuple[Outcome, ...] = field(default=())

    @property
    def total(self) -> int:
        """How many examples were scored."""
        return sum(self.counts.values())

    def checks(self, targets: Targets | None = None) -> tuple[TargetCheck, ...]:
        """The three figures against ``targets`` (the defaults when not given)."""
        targets = targets or Targets()
        return (
            TargetCheck("emergency_recall", self.emergency_recall, targets.emergency_recall, True),
            TargetCheck(
                "false_emergencies", self.false_emergencies, targets.max_false_emergencies, False
            ),
            TargetCheck(
                "police_matter_accuracy",
                self.police_matter_accuracy,
                targets.police_matter_accuracy,
                True,
            ),
        )

    def meets(self, targets: Targets | None = None) -> bool:
        """True when every figure reaches its target."""
        return all(check.met for check in self.checks(targets))

    def as_dict(self, targets: Targets | None = None) -> dict[str, Any]:
        """Every figure, the confusion table, the target checks and the misses, as plain data."""
        return {
            "rows": self.total,
            "counts": {label.value: self.counts[label] for label in Label},
            "emergency_recall": self.emergency_recall.as_dict(),
            "false_emergencies": self.false_emergencies.as_dict(),
            "police_matter_accuracy": self.police_matter_accuracy.as_dict(),
            "overall": self.overall.as_dict(),
            "confusion": {
                label.value: {route.value: self.confusion[label][route] for route in ROUTE_ORDER}
                for label in Label
            },
            "targets": {
                check.name: {
                    "target": float(check.target),
                    "comparison": ">=" if check.higher_is_better else "<=",
                    "met": check.met,
                }
                for check in self.checks(targets)
            },
            "meets_targets": self.meets(targets),
            "misses": [
                {
                    "line": miss.example.line,
                    "text": miss.example.text,
                    "label": miss.example.label.value,
                    "route": miss.route.value,
                }
                for miss in self.misses
            ],
        }


def score(outcomes: Iterable[Outcome]) -> Scores:
    """Score ``outcomes``: counts by label, the three figures, the confusion table, the misses."""
    counts = dict.fromkeys(Label, 0)
    confusion = {label: dict.fromkeys(ROUTE_ORDER, 0) for label in Label}
    misses: list[Outcome] = []
    correct = 0
    for outcome in outcomes:
        label = outcome.example.label
        counts[label] += 1
        confusion[label][outcome.route] += 1
        if outcome.correct:
            correct += 1
        else:
            misses.append(outcome)

    emergencies = counts[Label.EMERGENCY]
    others = sum(counts.values()) - emergencies
    other_labels = [label for label in Label if label is not Label.EMERGENCY]
    routed_emergency = sum(confusion[label][Route.EMERGENCY] for label in other_labels)
    right_others = sum(
        confusion[label][route] for label in other_labels for route in CORRECT_ROUTES[label]
    )
    return Scores(
        counts=counts,
        emergency_recall=Ratio(confusion[Label.EMERGENCY][Route.EMERGENCY], emergencies),
        false_emergencies=Ratio(routed_emergency, others),
        police_matter_accuracy=Ratio(right_others, others),
        overall=Ratio(correct, emergencies + others),
        confusion=confusion,
        misses=tuple(misses),
    )
