"""Scoring triage against labels, independent of the triage engine."""

from __future__ import annotations

from fractions import Fraction

import pytest

from controlroom.domain.errors import InvalidInput
from controlroom.domain.evaluation import (
    CORRECT_ROUTES,
    ROUTE_ORDER,
    AgencyScore,
    Example,
    Label,
    Outcome,
    Ratio,
    Targets,
    is_correct,
    parse_split,
    score,
    select,
    slice_of,
)
from controlroom.domain.policy import Route

E, N, OTH, INA = (
    Label.EMERGENCY,
    Label.NON_EMERGENCY_POLICE,
    Label.OTHER_AGENCY,
    Label.INAPPROPRIATE,
)
EM, PNE, OA, NP = (
    Route.EMERGENCY,
    Route.POLICE_NON_EMERGENCY,
    Route.OTHER_AGENCY,
    Route.NOT_POLICE,
)


def outcomes(*pairs: tuple[Label, Route]) -> list[Outcome]:
    return [
        Outcome(Example(text=f"row {i}", label=label, line=i + 2), route)
        for i, (label, route) in enumerate(pairs)
    ]


@pytest.mark.parametrize(
    ("label", "right"),
    [
        (E, {EM}),
        (N, {PNE}),
        (OTH, {OA, NP}),
        (INA, {NP, OA}),
    ],
)
def test_correct_routes_follow_the_scoring_table(label: Label, right: set[Route]) -> None:
    assert CORRECT_ROUTES[label] == right
    for route in Route:
        assert is_correct(label, route) is (route in right)


def test_route_order_is_most_urgent_first() -> None:
    assert ROUTE_ORDER == (EM, PNE, OA, NP)


def test_a_hand_made_set_gives_the_expected_figures() -> None:
    scores = score(
        outcomes(
            (E, EM),
            (E, EM),
            (E, EM),
            (E, PNE),  # missed emergency
            (N, PNE),
            (N, PNE),
            (N, EM),  # false emergency, and wrong for "police matter?"
            (N, NP),  # wrong: a police matter sent away
            (OTH, OA),
            (OTH, NP),  # other_agency and not_police count as one answer
            (INA, NP),
            (INA, OA),
            (INA, NP),
            (INA, PNE),  # wrong: an inappropriate call taken as a police matter
        )
    )
    assert scores.total == 14
    assert dict(scores.counts) == {E: 4, N: 4, OTH: 2, INA: 4}
    assert scores.emergency_recall == Ratio(3, 4)
    assert scores.false_emergencies == Ratio(1, 10)
    assert scores.police_matter_accuracy == Ratio(7, 10)
    assert scores.overall == Ratio(10, 14)
    assert scores.emergency_recall.value == 0.75
    assert scores.false_emergencies.fraction == Fraction(1, 10)


def test_confusion_table_has_every_label_and_route() -> None:
    scores = score(outcomes((E, EM), (E, NP), (N, PNE), (OTH, OA), (OTH, OA), (INA, NP)))
    table = scores.confusion
    assert list(table) == list(Label)
    for label in Label:
        assert list(table[label]) == list(ROUTE_ORDER)
    assert table[E] == {EM: 1, PNE: 0, OA: 0, NP: 1}
    assert table[N] == {EM: 0, PNE: 1, OA: 0, NP: 0}
    assert table[OTH] == {EM: 0, PNE: 0, OA: 2, NP: 0}
    assert table[INA] == {EM: 0, PNE: 0, OA: 0, NP: 1}
    assert sum(table[label][route] for label in Label for route in Route) == scores.total


def test_misses_are_the_wrongly_routed_rows_in_order() -> None:
    scores = score(outcomes((E, NP), (N, PNE), (INA, EM), (OTH, NP), (N, OA)))
    assert [(m.example.line, m.example.label, m.route) for m in scores.misses] == [
        (2, E, NP),
        (4, INA, EM),
        (6, N, OA),
    ]
    assert all(not miss.correct for miss in scores.misses)


def test_nothing_to_count_gives_no_value_and_meets_targets() -> None:
    scores = score([])
    assert scores.total == 0
    assert scores.emergency_recall == Ratio(0, 0)
    assert scores.emergency_recall.value is None
    assert scores.meets()


def test_default_targets_are_recall_100_false_3_accuracy_95() -> None:
    targets = Targets()
    assert targets.emergency_recall == 1
    assert targets.max_false_emergencies == Fraction(3, 100)
    assert targets.police_matter_accuracy == Fraction(95, 100)


def perfect(emergencies: int, others: int) -> list[tuple[Label, Route]]:
    return [(E, EM)] * emergencies + [(INA, NP)] * others


def test_targets_met_on_a_perfect_set() -> None:
    assert score(outcomes(*perfect(5, 100))).meets()


def test_one_missed_emergency_misses_the_recall_target() -> None:
    scores = score(outcomes(*perfect(4, 100), (E, PNE)))
    checks = {check.name: check.met for check in scores.checks()}
    assert checks == {
        "emergency_recall": False,
        "false_emergencies": True,
        "police_matter_accuracy": True,
    }
    assert not scores.meets()


def test_false_emergencies_at_exactly_3_percent_meet_the_target() -> None:
    at_limit = score(outcomes(*perfect(1, 97), (INA, EM), (INA, EM), (INA, EM)))
    assert at_limit.false_emergencies == Ratio(3, 100)
    assert {c.name: c.met for c in at_limit.checks()}["false_emergencies"]
    over = score(outcomes(*perfect(1, 96), (INA, EM), (INA, EM), (INA, EM), (INA, EM)))
    assert not {c.name: c.met for c in over.checks()}["false_emergencies"]


def test_police_matter_accuracy_at_exactly_95_percent_meets_the_target() -> None:
    at_limit = score(outcomes(*perfect(1, 95), *[(N, NP)] * 5))
    assert at_limit.police_matter_accuracy == Ratio(95, 100)
    assert at_limit.meets()
    below = score(outcomes(*perfect(1, 94), *[(N, NP)] * 6))
    assert not below.meets()


def test_custom_targets() -> None:
    scores = score(outcomes((E, EM), (E, NP)))
    assert not scores.meets()
    assert scores.meets(Targets(emergency_recall=Fraction(1, 2)))


def test_as_dict_is_plain_data_with_counts_behind_each_figure() -> None:
    data = score(outcomes((E, EM), (N, EM), (INA, NP))).as_dict()
    assert data["rows"] == 3
    assert data["counts"] == {
        "emergency": 1,
        "non_emergency_police": 1,
        "other_agency": 0,
        "inappropriate": 1,
    }
    assert data["emergency_recall"] == {"hits": 1, "total": 1, "value": 1.0}
    assert data["false_emergencies"] == {"hits": 1, "total": 2, "value": 0.5}
    assert data["police_matter_accuracy"] == {"hits": 1, "total": 2, "value": 0.5}
    assert data["confusion"]["non_emergency_police"]["emergency"] == 1
    assert data["targets"]["false_emergencies"] == {
        "target": 0.03,
        "comparison": "<=",
        "met": False,
    }
    assert data["meets_targets"] is False
    assert data["misses"] == [
        {"line": 3, "text": "row 1", "label": "non_emergency_police", "route": "emergency"}
    ]


# --- 101 recall and agencies ---------------------------------------------------------------------


def test_101_recall_counts_non_emergency_police_rows_routed_101_only() -> None:
    scores = score(outcomes((N, PNE), (N, PNE), (N, EM), (N, OA), (OTH, PNE), (INA, PNE)))
    assert scores.non_emergency_recall == Ratio(2, 4)
    assert scores.as_dict()["non_emergency_recall"] == {"hits": 2, "total": 4, "value": 0.5}


def test_agencies_count_other_agency_rows_by_the_agency_they_name() -> None:
    def row(agency: str, route: Route, given: str | None) -> Outcome:
        return Outcome(Example(text="x", label=OTH, agency=agency), route, given)

    scores = score(
        [
            row("rspca", OA, "rspca"),
            row("rspca", OA, "council"),  # right route, wrong agency
            row("rspca", PNE, "rspca"),  # wrong route: the agency does not count
            row("council", NP, None),
            row("", OA, "council"),  # names no agency: left out
            Outcome(Example(text="y", label=INA, agency="council"), OA, "council"),
        ]
    )
    assert scores.agencies == {
        "council": AgencyScore(rows=1, right_route=1, right_agency=0),
        "rspca": AgencyScore(rows=3, right_route=2, right_agency=1),
    }
    assert list(scores.as_dict()["agencies"]) == ["council", "rspca"]


# --- the split ------------------------------------------------------------------------------------


def test_slice_depends_on_the_text_only_not_its_case_or_spacing() -> None:
    text = "Someone is kicking my door in"
    assert slice_of(text) == slice_of("  someone IS kicking\tmy door   in ")
    assert slice_of(text) in {"heldback", "fold=1", "fold=2", "fold=3", "fold=4", "fold=5"}


def test_about_a_fifth_is_held_back_and_the_rest_spread_over_five_folds() -> None:
    texts = [f"caller {n} says something different" for n in range(5000)]
    slices = [slice_of(text) for text in texts]
    held = slices.count("heldback")
    assert 900 <= held <= 1100
    for fold in range(1, 6):
        assert 700 <= slices.count(f"fold={fold}") <= 900


def test_select_dev_is_everything_not_held_back_and_folds_partition_it() -> None:
    examples = [Example(text=f"row {n}", label=E) for n in range(300)]
    held = select(examples, parse_split("heldback"))
    dev = select(examples, parse_split("dev"))
    folds = [select(examples, parse_split(f"fold={n}")) for n in range(1, 6)]
    assert len(held) + len(dev) == 300
    assert not set(held) & set(dev)
    assert sorted(e.text for fold in folds for e in fold) == sorted(e.text for e in dev)
    assert select(examples, parse_split("all")) == examples


@pytest.mark.parametrize("value", ["fold=0", "fold=6", "train", "", "fold"])
def test_unknown_split_is_refused_with_the_allowed_values(value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_split(value)
    assert caught.value.field == "split"
    assert "heldback" in (caught.value.hint or "")


def test_split_names_are_read_loosely() -> None:
    assert parse_split(" HeldBack ").name == "heldback"
    assert parse_split("fold = 3").name == "fold=3"


def test_rows_sent_to_assess_are_counted_and_so_are_missed_emergencies_among_them() -> None:
    def row(label: Label, route: Route, assessed: bool) -> Outcome:
        return Outcome(Example(text="x", label=label), route, None, assessed)

    scores = score(
        [
            row(E, EM, True),  # an emergency to confirm with the questions: not a miss
            row(E, PNE, True),  # missed, but a person asks the questions
            row(E, NP, False),  # missed, and nobody asks
            row(INA, PNE, True),
            row(OTH, OA, False),
        ]
    )
    assert scores.assessed == Ratio(3, 5)
    assert scores.missed_emergencies_assessed == Ratio(1, 2)
    assert scores.as_dict()["missed_emergencies_assessed"] == {
        "hits": 1,
        "total": 2,
        "value": 0.5,
    }
