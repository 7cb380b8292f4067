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
``not_police`` counting as one answer). Two more figures have no target: 101 recall
(``non_emergency_police`` rows routed ``police_non_emergency``) and, for ``other_agency`` rows
whose ``agency`` column names an agency, whether triage named that same agency.

A corpus is split for honest measurement by :func:`slice_of`: a stable hash of each row's text
puts it in the held-back slice (about 20%, for final figures only) or in one of five folds.
Standard library only.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from controlroom.domain.errors import InvalidInput
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


# --- honest split --------------------------------------------------------------------------------

#: Folds the non-held-back rows are spread over, and the share of rows held back (in hundredths).
FOLDS = 5
HELD_BACK_PERCENT = 20
HELD_BACK = "heldback"


def _normalised(text: str) -> str:
    """The text as the split sees it: NFKC, case-folded, runs of whitespace made one space."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def slice_of(text: str) -> str:
    """The slice a row belongs to: ``"heldback"`` or ``"fold=1"`` .. ``"fold=5"``.

    The first 8 bytes of the SHA-256 of the normalised text, read as a big-endian number ``n``:
    ``n % 100 < 20`` is held back; otherwise the fold is ``(n // 100) % 5 + 1``. It depends on
    the text alone, so adding, removing or moving rows never moves another row.
    """
    digest = hashlib.sha256(_normalised(text).encode("utf-8")).digest()
    number = int.from_bytes(digest[:8], "big")
    if number % 100 < HELD_BACK_PERCENT:
        return HELD_BACK
    return f"fold={(number // 100) % FOLDS + 1}"


@dataclass(frozen=True)
class Split:
    """A part of a corpus: everything, the held-back slice, the rest ("dev") or one fold."""

    name: str  # "all", "heldback", "dev" or "fold=N"

    def __contains__(self, example: object) -> bool:
        if not isinstance(example, Example):
            return False
        if self.name == "all":
            return True
        where = slice_of(example.text)
        if self.name == "dev":
            return where != HELD_BACK
        return where == self.name


def parse_split(value: str) -> Split:
    """``all``, ``heldback``, ``dev`` or ``fold=N`` (1 to 5); :class:`InvalidInput` otherwise."""
    text = value.strip().lower().replace(" ", "")
    folds = {f"fold={n}" for n in range(1, FOLDS + 1)}
    if text in {"all", HELD_BACK, "dev"} | folds:
        return Split(text)
    raise InvalidInput(
        f"unknown split {value!r}",
        field="split",
        hint=f"use all, heldback, dev, or fold=N with N from 1 to {FOLDS}",
    )


def select(examples: Iterable[Example], split: Split) -> list[Example]:
    """The examples that belong to ``split``, in their order."""
    return [example for example in examples if example in split]


@dataclass(frozen=True)
class Example:
    """One labelled example: the words, the label, and where it came from."""

    text: str
    label: Label
    agency: str = ""
    source_url: str = ""
    kind: str = ""
    line: int = 0  # line number in the file it was read from, 0 when not from a file
    file: str = ""  # the file it was read from, when it was read from a directory of files


@dataclass(frozen=True)
class Outcome:
    """An example and the route triage gave it."""

    example: Example
    route: Route
    agency: str | None = None  # the agency triage named, if any
    assessed: bool = False  # triage was not sure: the handler asks the emergency questions

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
class AgencyScore:
    """``other_agency`` rows naming one agency: how many, routed right, given that agency."""

    rows: int = 0
    right_route: int = 0
    right_agency: int = 0

    def as_dict(self) -> dict[str, int]:
        """The three counts as JSON-ready data."""
        return {
            "rows": self.rows,
            "right_route": self.right_route,
            "right_agency": self.right_agency,
        }


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
    #: non_emergency_police rows routed police_non_emergency ("101 recall"); no target
    non_emergency_recall: Ratio = Ratio(0, 0)
    # Rows triage was not sure of (sent to a person to ask the emergency questions), and of the
    # emergencies it did not route as emergencies, how many were at least sent to a person.
    assessed: Ratio = Ratio(0, 0)
    missed_emergencies_assessed: Ratio = Ratio(0, 0)
    #: other_agency rows by the agency their ``agency`` column names (rows without one left out)
    agencies: Mapping[str, AgencyScore] = field(default_factory=dict)

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
            "non_emergency_recall": self.non_emergency_recall.as_dict(),
            "assessed": self.assessed.as_dict(),
            "missed_emergencies_assessed": self.missed_emergencies_assessed.as_dict(),
            "agencies": {name: score.as_dict() for name, score in self.agencies.items()},
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
                    **({"file": miss.example.file} if miss.example.file else {}),
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
    agencies: dict[str, AgencyScore] = {}
    correct = assessed = missed = missed_assessed = 0
    for outcome in outcomes:
        label = outcome.example.label
        counts[label] += 1
        assessed += outcome.assessed
        if label is Label.EMERGENCY and outcome.route is not Route.EMERGENCY:
            missed += 1
            missed_assessed += outcome.assessed
        confusion[label][outcome.route] += 1
        if outcome.correct:
            correct += 1
        else:
            misses.append(outcome)
        if label is Label.OTHER_AGENCY and outcome.example.agency:
            agencies[outcome.example.agency] = _count_agency(
                agencies.get(outcome.example.agency, AgencyScore()), outcome
            )

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
        non_emergency_recall=Ratio(
            confusion[Label.NON_EMERGENCY_POLICE][Route.POLICE_NON_EMERGENCY],
            counts[Label.NON_EMERGENCY_POLICE],
        ),
        agencies=dict(sorted(agencies.items())),
        assessed=Ratio(assessed, emergencies + others),
        missed_emergencies_assessed=Ratio(missed_assessed, missed),
    )


def _count_agency(before: AgencyScore, outcome: Outcome) -> AgencyScore:
    right_route = outcome.correct
    return AgencyScore(
        rows=before.rows + 1,
        right_route=before.right_route + right_route,
        right_agency=before.right_agency
        + (right_route and outcome.agency == outcome.example.agency),
    )
