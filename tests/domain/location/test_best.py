"""The best-location rule: which fix is chosen, and the explanation names the deciding factor."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import LocationFix, LocationSource, PositioningMethod
from controlroom.domain.location.best import (
    DEFAULT_MAX_AGE,
    Precision,
    Trust,
    Unlocated,
    choose_best,
    confidence_scale,
    effective_radius,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def aml(
    radius: float,
    age_s: float | None = 10,
    *,
    confidence: int | None = 95,
    method: PositioningMethod = PositioningMethod.GNSS,
    lat: float = 50.3712,
) -> LocationFix:
    return LocationFix(
        source=LocationSource.AML_SMS_V1,
        lat=lat,
        lon=-4.1427,
        accuracy_m=radius,
        confidence_pct=confidence,
        positioned_at=None if age_s is None else NOW - timedelta(seconds=age_s),
        method=method,
    )


def stated(source: LocationSource, radius: float | None, age_s: float | None = None) -> LocationFix:
    return LocationFix(
        source=source,
        lat=50.37,
        lon=-4.14,
        accuracy_m=radius,
        positioned_at=None if age_s is None else NOW - timedelta(seconds=age_s),
    )


LANDLINE = stated(LocationSource.LANDLINE_ADDRESS, None)
W3W = stated(LocationSource.WHAT3WORDS, 2.1, 30)
POSTCODE = stated(LocationSource.POSTCODE, 300)
FRESH_GNSS = aml(8, 12)
STALE_GNSS = aml(5, 25 * 60)
CELL = aml(1500, 40, confidence=68, method=PositioningMethod.CELL)
WIFI_40 = aml(40, 20, method=PositioningMethod.WIFI)
UNGEOCODED = Unlocated(source=LocationSource.POSTCODE, text="PL1 1AA", reason="needs a gazetteer")

CASES = [
    # (name, fixes, expected choice, factor that decides against the runner-up, words)
    ("fresh AML beats stale AML", [STALE_GNSS, FRESH_GNSS], FRESH_GNSS, "freshness", "stale"),
    ("accurate beats vague", [CELL, FRESH_GNSS], FRESH_GNSS, "precision", "less precise"),
    ("landline when no mobile fix", [LANDLINE], LANDLINE, None, "exact premises"),
    ("landline beats a vague mobile fix", [CELL, LANDLINE], LANDLINE, "precision", "precise"),
    ("precise mobile fix beats landline", [LANDLINE, FRESH_GNSS], FRESH_GNSS, "trust", "mobile"),
    ("landline beats what was read out", [W3W, LANDLINE], LANDLINE, "trust", "reading it"),
    ("what3words beats a cell fix", [CELL, W3W], W3W, "precision", "less precise"),
    ("handset beats what was read out", [W3W, FRESH_GNSS], FRESH_GNSS, "trust", "reading it"),
    ("smaller radius in a class", [WIFI_40, FRESH_GNSS], FRESH_GNSS, "radius", "±40 m"),
    ("read out beats a postcode", [POSTCODE, W3W], W3W, "precision", "centre of an area"),
    ("stale is better than nothing", [STALE_GNSS, UNGEOCODED], STALE_GNSS, "located", "fresh"),
]


@pytest.mark.parametrize(
    ("fixes", "expected", "factor", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_the_rule_chooses(
    fixes: list[LocationFix | Unlocated],
    expected: LocationFix,
    factor: str | None,
    words: str,
) -> None:
    best = choose_best(fixes, NOW)
    assert best is not None
    assert best.fix is expected
    assert best.ranking[0].evidence is expected and best.ranking[0].chosen
    assert best.ranking[0].decided_by == factor
    if len(fixes) > 1:
        assert best.ranking[1].decided_by == factor
    assert words in " ".join(item.explanation for item in best.ranking)


def test_the_chosen_explanation_reads_like_the_documentation() -> None:
    best = choose_best([FRESH_GNSS, LANDLINE, W3W], NOW)
    assert best is not None
    texts = [item.explanation for item in best.ranking]
    assert texts[0].startswith("AML GNSS fix 12 s old, ±8 m, 95% confidence — best")
    assert texts[1].startswith("landline address, exact premises but a fixed line")
    assert "used only when no mobile fix is as precise" in texts[1]
    assert texts[2].startswith("what3words read out by caller 30 s old, 3 m square")
    assert "depends on the caller reading it correctly" in texts[2]


def test_landline_chosen_says_why() -> None:
    best = choose_best([LANDLINE, CELL], NOW)
    assert best is not None
    assert "used because there is no better mobile fix" in best.explanation


def test_stale_fixes_are_flagged() -> None:
    best = choose_best([STALE_GNSS, FRESH_GNSS], NOW)
    assert best is not None and not best.stale
    stale = best.ranking[1]
    assert stale.score.stale and "(stale)" in stale.explanation
    assert "older than 10 min" in stale.explanation


def test_only_stale_fixes_gives_a_stale_choice_and_says_so() -> None:
    best = choose_best([STALE_GNSS], NOW)
    assert best is not None and best.fix is STALE_GNSS and best.stale
    assert "ask the caller for a fresh location" in best.explanation


def test_max_age_is_a_parameter() -> None:
    best = choose_best([STALE_GNSS, CELL], NOW, max_age=timedelta(hours=1))
    assert best is not None and best.fix is STALE_GNSS
    over, at = choose_best([aml(5, 601)], NOW), choose_best([aml(5, 600)], NOW)
    assert over is not None and over.ranking[0].score.stale
    assert at is not None and not at.ranking[0].score.stale


def test_a_landline_address_never_goes_stale() -> None:
    old = LocationFix(
        source=LocationSource.LANDLINE_ADDRESS,
        lat=50.0,
        lon=-4.0,
        positioned_at=NOW - timedelta(days=400),
    )
    best = choose_best([old, STALE_GNSS], NOW)
    assert best is not None and best.fix is old and not best.stale


def test_ties_are_broken_by_recency() -> None:
    older, newer = aml(8, 50), aml(8, 5, lat=50.3713)
    best = choose_best([older, newer], NOW)
    assert best is not None and best.fix is newer
    assert best.ranking[1].decided_by == "recency"
    assert "older" in best.ranking[1].explanation


def test_empty_gives_none_and_unlocated_alone_chooses_nothing() -> None:
    assert choose_best([], NOW) is None
    best = choose_best([UNGEOCODED], NOW)
    assert best is not None and best.fix is None and not best.ranking[0].chosen
    assert "nothing has coordinates yet" in best.explanation
    assert best.as_dict()["fix"] is None


def test_confidence_and_radius_combine_into_an_effective_radius() -> None:
    assert confidence_scale(95) == pytest.approx(1.0)
    assert confidence_scale(68) == pytest.approx(1.62, abs=0.01)
    assert confidence_scale(0) == confidence_scale(20)
    assert confidence_scale(100) == confidence_scale(99) < 1
    assert effective_radius(aml(10, confidence=68)) == pytest.approx(16.2)
    assert effective_radius(aml(10, confidence=None)) == pytest.approx(16.2)  # assumed 68%
    assert effective_radius(W3W) == 2.1  # a bound, used as it is
    assert effective_radius(LANDLINE) == 25.0
    # 35 m at 68% is about 57 m at 95%: a street, not premises, so 45 m at 95% wins.
    best = choose_best([aml(35, confidence=68), aml(45, confidence=95)], NOW)
    assert best is not None and best.fix is not None and best.fix.accuracy_m == 45
    assert best.ranking[0].score.precision is Precision.PREMISES


def test_unknown_accuracy_and_unknown_time() -> None:
    no_radius = LocationFix(source=LocationSource.AML_HTTPS, lat=50.0, lon=-4.0)
    best = choose_best([no_radius, POSTCODE], NOW)
    assert best is not None and best.fix is POSTCODE
    assert "accuracy unknown" in best.ranking[1].explanation
    undated = aml(8, None)
    best = choose_best([undated, CELL], NOW)
    assert best is not None and best.fix is undated
    assert "time unknown" in best.explanation


def test_future_positions_are_pointed_out() -> None:
    ahead = aml(8, -600)
    best = choose_best([ahead], NOW)
    assert best is not None and "in the future" in best.explanation


def test_flags_are_shown_and_trust_is_named() -> None:
    flagged = LocationFix(
        source=LocationSource.AML_HTTPS,
        lat=50.0,
        lon=-4.0,
        accuracy_m=10,
        positioned_at=NOW,
        flags=("hmac_not_verified",),
    )
    best = choose_best([flagged], NOW)
    assert best is not None and "hmac_not_verified" in best.explanation
    assert best.ranking[0].score.trust is Trust.HANDSET
    assert best.as_dict()["ranking"][0]["score"]["trust"] == "handset"


def test_bad_arguments_are_clear_errors() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        choose_best([FRESH_GNSS], datetime(2025, 1, 1))
    with pytest.raises(InvalidInput, match="positive"):
        choose_best([FRESH_GNSS], NOW, max_age=timedelta(0))
    with pytest.raises(InvalidInput, match="time zone"):
        Unlocated(
            source=LocationSource.POSTCODE, text="x", reason="y", stated_at=datetime(2025, 1, 1)
        )


def test_default_max_age_is_ten_minutes() -> None:
    assert timedelta(minutes=10) == DEFAULT_MAX_AGE


sources = st.sampled_from(list(LocationSource))
evidence = st.builds(
    LocationFix,
    source=sources,
    lat=st.floats(49.9, 60.9),
    lon=st.floats(-8.0, 1.8),
    accuracy_m=st.none() | st.floats(0, 50_000),
    confidence_pct=st.none() | st.integers(0, 100),
    positioned_at=st.none()
    | st.integers(-120, 7200).map(lambda seconds: NOW - timedelta(seconds=seconds)),
    method=st.sampled_from(list(PositioningMethod)),
) | st.builds(
    Unlocated,
    source=sources,
    text=st.text(max_size=10),
    reason=st.just("not located"),
)


@given(st.lists(evidence, min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_the_choice_does_not_depend_on_input_order(
    items: list[LocationFix | Unlocated], rng: random.Random
) -> None:
    first = choose_best(items, NOW)
    shuffled = list(items)
    rng.shuffle(shuffled)
    second = choose_best(shuffled, NOW)
    assert first is not None and second is not None
    assert first.fix == second.fix
    assert [r.explanation for r in first.ranking] == [r.explanation for r in second.ranking]


@given(st.lists(evidence, min_size=1, max_size=8))
def test_a_stale_fix_is_never_chosen_over_a_current_one(
    items: list[LocationFix | Unlocated],
) -> None:
    best = choose_best(items, NOW)
    assert best is not None
    located = [r for r in best.ranking if isinstance(r.evidence, LocationFix)]
    if any(not r.score.stale for r in located):
        assert best.fix is not None and not best.stale
    if located:
        assert best.fix is not None and isinstance(best.fix, LocationFix)
    else:
        assert best.fix is None
    assert [r.rank for r in best.ranking] == list(range(1, len(items) + 1))
    assert sum(r.chosen for r in best.ranking) == (1 if located else 0)
    for item in best.ranking:
        assert item.explanation and item.decided_by != ""
        radius = item.score.effective_radius_m
        assert radius is None or math.isfinite(radius)
