"""Detection on generated call histories: each kind, what must not be flagged, conflicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance import (
    CallSummary,
    Confidence,
    NuisanceKind,
    NuisanceRules,
    OutcomeKind,
    Response,
    detect,
    recommended_response,
)
from controlroom.domain.nuisance.rules import coefficient_of_variation
from controlroom.domain.policy import VulnerabilityFlag
from tests.domain.nuisance.helpers import (
    NOW,
    abandoned,
    every,
    genuine,
    history,
    inappropriate,
    silent,
)

MH = VulnerabilityFlag.MENTAL_HEALTH
DISTRESS = VulnerabilityFlag.DISTRESS_OR_TRAUMA
HOLD = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def kinds(flags: list) -> list[NuisanceKind]:
    return [flag.kind for flag in flags]


# --- faulty device ----------------------------------------------------------------------------


def test_regular_silent_calls_are_a_faulty_device_with_high_confidence() -> None:
    calls = [silent(f"s-{i}", at) for i, at in enumerate(every(15, 14))]
    [flag] = detect(history(calls))
    assert flag.kind is NuisanceKind.FAULTY_DEVICE
    assert flag.confidence is Confidence.HIGH
    assert flag.response is Response.CONTACT_PROVIDER
    assert "communications provider" in flag.advice
    assert flag.evidence[0].startswith("14 calls in the 24 hours to 14:00 on 03 Mar 2026")
    assert "s-0 at 10:30 on 03 Mar 2026" in flag.evidence[0]
    assert "regular: on average every 15 minutes" in flag.evidence[1]
    assert set(flag.contact_ids) == {f"s-{i}" for i in range(14)}
    assert not flag.conflict


def test_irregular_quiet_calls_are_a_faulty_device_with_medium_confidence() -> None:
    offsets = [5, 9, 60, 62, 200, 203, 500]
    calls = [abandoned(f"a-{i}", NOW - timedelta(minutes=m)) for i, m in enumerate(offsets)]
    [flag] = detect(history(calls))
    assert flag.kind is NuisanceKind.FAULTY_DEVICE
    assert flag.confidence is Confidence.MEDIUM
    assert any("irregular" in line for line in flag.evidence)


def test_too_few_or_too_long_or_55_calls_are_not_a_faulty_device() -> None:
    few = [silent(f"s-{i}", at) for i, at in enumerate(every(15, 4))]
    assert detect(history(few)) == []
    long_calls = [
        CallSummary(
            f"l-{i}",
            at,
            OutcomeKind.CALLER_HUNG_UP,
            number="+447700900123",
            answered_at=at,
            ended_at=at + timedelta(minutes=3),
        )
        for i, at in enumerate(every(15, 10))
    ]
    assert detect(history(long_calls)) == []
    pressed = [
        CallSummary(f"p-{i}", at, OutcomeKind.SILENT, silent=True, dtmf_55=True)
        for i, at in enumerate(every(15, 10))
    ]
    assert detect(history(pressed)) == []  # Silent Solution: somebody may be in danger


def test_quiet_calls_alongside_speech_lower_the_confidence() -> None:
    offsets = [5, 9, 60, 62, 200, 203]
    calls = [abandoned(f"a-{i}", NOW - timedelta(minutes=m)) for i, m in enumerate(offsets)]
    calls.append(inappropriate("i-1", NOW - timedelta(minutes=300)))
    flag = detect(history(calls))[0]
    assert flag.kind is NuisanceKind.FAULTY_DEVICE
    assert flag.confidence is Confidence.LOW
    assert any("i-1" in line and "speech" in line for line in flag.evidence)


@HOLD
@given(
    interval=st.integers(min_value=2, max_value=120),
    count=st.integers(min_value=6, max_value=30),
    jitter=st.lists(st.floats(min_value=-0.1, max_value=0.1), min_size=30, max_size=30),
)
def test_near_regular_silent_calls_are_always_flagged_high(
    interval: int, count: int, jitter: list[float]
) -> None:
    if interval * count > 24 * 60:
        count = 24 * 60 // interval
    if count < 6:
        return
    times = [NOW - timedelta(minutes=interval * (count - i + jitter[i])) for i in range(count)]
    calls = [silent(f"s-{i}", at) for i, at in enumerate(times)]
    flags = detect(history(calls))
    assert kinds(flags) == [NuisanceKind.FAULTY_DEVICE]
    assert flags[0].confidence is Confidence.HIGH


# --- genuine callers: never flagged -----------------------------------------------------------


def test_a_genuine_caller_ringing_back_during_an_emergency_is_not_flagged() -> None:
    # Someone's partner has collapsed: they call, are cut off, ring back again and again, in
    # distress, while the ambulance is on its way.
    start = NOW - timedelta(minutes=40)
    calls = [genuine("g-1", start, DISTRESS)]
    for i in range(6):
        calls.append(abandoned(f"a-{i}", start + timedelta(minutes=2 + i)))
    for i in range(4):
        calls.append(genuine(f"g-{i + 2}", start + timedelta(minutes=10 + 5 * i), DISTRESS))
    h = history(calls)
    assert h.today.calls == 11
    assert detect(h) == []


@HOLD
@given(
    bursts=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=180),  # minutes since the previous burst
            st.lists(st.integers(min_value=1, max_value=15), max_size=4),  # dropped attempts
            st.booleans(),  # incident logged, or only triaged as an emergency
        ),
        min_size=1,
        max_size=15,
    ),
    with_flags=st.lists(st.sampled_from(list(VulnerabilityFlag)), max_size=3),
)
def test_genuine_emergency_callers_are_never_flagged(
    bursts: list[tuple[int, list[int], bool]], with_flags: list[VulnerabilityFlag]
) -> None:
    """Emergency calls with speech, each followed by dropped attempts to get back through
    within a quarter of an hour, never raise a flag however many there are."""
    at = NOW - timedelta(minutes=sum(gap + sum(drops) for gap, drops, _ in bursts) + 1)
    calls: list[CallSummary] = []
    for i, (gap, drops, incident) in enumerate(bursts):
        at += timedelta(minutes=gap)
        calls.append(genuine(f"g-{i}", at, *with_flags, incident=incident))
        dropped_at = at
        for j, minutes in enumerate(drops):
            dropped_at += timedelta(minutes=minutes / len(drops))
            calls.append(abandoned(f"a-{i}-{j}", dropped_at))
    assert detect(history(calls)) == []


def test_quiet_calls_well_away_from_an_emergency_still_count() -> None:
    calls = [genuine("g-1", NOW - timedelta(hours=20))]
    calls += [silent(f"s-{i}", at) for i, at in enumerate(every(15, 8))]
    calls += [abandoned("near", NOW - timedelta(hours=20) + timedelta(minutes=5))]
    [flag] = detect(history(calls))
    assert flag.kind is NuisanceKind.FAULTY_DEVICE
    assert "near" not in flag.contact_ids
    assert any("left out: near" in line for line in flag.evidence)


# --- vulnerable person ------------------------------------------------------------------------


def test_repeated_calls_with_mental_health_markers_are_a_vulnerable_person() -> None:
    calls = [
        inappropriate("v-1", NOW - timedelta(days=3), MH),
        inappropriate("v-2", NOW - timedelta(days=1), MH, DISTRESS),
        inappropriate("v-3", NOW - timedelta(hours=2)),
    ]
    [flag] = detect(history(calls))
    assert flag.kind is NuisanceKind.VULNERABLE_PERSON
    assert flag.confidence is Confidence.HIGH
    assert flag.response is Response.SAFEGUARDING_REFERRAL
    assert "safeguarding referral" in flag.advice and "override" in flag.advice
    assert flag.contact_ids == ("v-1", "v-2")
    assert any(line.startswith("Marked mental health: v-1 at") for line in flag.evidence)
    assert any(line.startswith("Marked distress or trauma: v-2") for line in flag.evidence)


def test_other_markers_are_a_vulnerable_person_with_medium_confidence() -> None:
    calls = [
        inappropriate("v-1", NOW - timedelta(days=3), VulnerabilityFlag.OLDER_PERSON),
        inappropriate("v-2", NOW - timedelta(days=1), VulnerabilityFlag.OLDER_PERSON),
    ]
    [flag] = detect(history(calls))
    assert flag.confidence is Confidence.MEDIUM


def test_one_marker_alone_is_not_flagged() -> None:
    assert detect(history([inappropriate("v-1", NOW - timedelta(days=1), MH)])) == []


# --- deliberate misuse ------------------------------------------------------------------------


def test_terminated_calls_are_deliberate_misuse() -> None:
    calls = [
        inappropriate(f"t-{i}", NOW - timedelta(days=i + 1), terminated=True) for i in range(3)
    ]
    flags = detect(history(calls))
    assert kinds(flags) == [NuisanceKind.DELIBERATE_MISUSE]
    flag = flags[0]
    assert flag.response is Response.ESCALATION_LADDER
    # three terminated calls, and the later two came after the first warning: two reasons
    assert flag.confidence is Confidence.HIGH
    assert flag.evidence[0].startswith("3 inappropriate calls in the 30 days")
    assert any(line.startswith("After the warning on t-2") for line in flag.evidence)


def test_a_hoax_is_deliberate_misuse_with_medium_confidence() -> None:
    [flag] = detect(history([inappropriate("h-1", NOW - timedelta(hours=1), hoax=True)]))
    assert flag.kind is NuisanceKind.DELIBERATE_MISUSE
    assert flag.confidence is Confidence.MEDIUM
    assert "marked as a hoax: h-1" in flag.evidence[0]


def test_abuse_alone_is_low_confidence() -> None:
    calls = [inappropriate(f"x-{i}", NOW - timedelta(hours=i + 1), abusive=True) for i in range(2)]
    rules = NuisanceRules(persistence_after_warning=False)
    [flag] = detect(history(calls), rules)
    assert flag.confidence is Confidence.LOW


def test_persistence_after_a_warning_letter() -> None:
    calls = [inappropriate("p-1", NOW - timedelta(days=2)), inappropriate("p-2", NOW)]
    assert detect(history(calls)) == []
    [flag] = detect(history(calls), warned_at=NOW - timedelta(days=3))
    assert flag.kind is NuisanceKind.DELIBERATE_MISUSE
    assert "the warning given at" in flag.evidence[0]
    assert flag.contact_ids == ("p-1", "p-2")


def test_persistence_can_be_switched_off() -> None:
    calls = [inappropriate("w", NOW - timedelta(days=2), warned=True), inappropriate("p", NOW)]
    assert detect(history(calls), NuisanceRules(persistence_after_warning=False)) == []
    assert kinds(detect(history(calls))) == [NuisanceKind.DELIBERATE_MISUSE]


# --- conflicts --------------------------------------------------------------------------------


def test_vulnerable_and_deliberate_are_both_shown_vulnerable_first() -> None:
    calls = [
        inappropriate(f"t-{i}", NOW - timedelta(days=i + 1), MH, terminated=True) for i in range(3)
    ]
    flags = detect(history(calls))
    assert kinds(flags) == [NuisanceKind.VULNERABLE_PERSON, NuisanceKind.DELIBERATE_MISUSE]
    assert recommended_response(flags) is Response.SAFEGUARDING_REFERRAL
    for flag in flags:
        assert "vulnerable person and deliberate misuse" in flag.conflict
        assert "safeguarding referral" in flag.conflict
        assert "override" in flag.conflict


def test_a_single_marker_on_a_flagged_number_raises_a_low_vulnerable_flag() -> None:
    calls = [inappropriate("h-1", NOW - timedelta(hours=1), DISTRESS, hoax=True)]
    flags = detect(history(calls))
    assert kinds(flags) == [NuisanceKind.VULNERABLE_PERSON, NuisanceKind.DELIBERATE_MISUSE]
    assert flags[0].confidence is Confidence.LOW
    assert recommended_response(flags) is Response.SAFEGUARDING_REFERRAL


def test_faulty_and_deliberate_put_the_handset_check_first() -> None:
    calls = [silent(f"s-{i}", at) for i, at in enumerate(every(15, 10))]
    calls.append(inappropriate("h", NOW - timedelta(days=2), hoax=True))
    flags = detect(history(calls))
    assert kinds(flags) == [NuisanceKind.FAULTY_DEVICE, NuisanceKind.DELIBERATE_MISUSE]
    assert recommended_response(flags) is Response.CONTACT_PROVIDER
    assert "Check the handset" in flags[1].conflict


def test_nothing_to_recommend_without_flags() -> None:
    assert recommended_response([]) is None


# --- the rules as data ------------------------------------------------------------------------


def test_thresholds_change_what_is_flagged() -> None:
    calls = [silent(f"s-{i}", at) for i, at in enumerate(every(15, 5))]
    assert kinds(detect(history(calls))) == [NuisanceKind.FAULTY_DEVICE]
    assert detect(history(calls), NuisanceRules(faulty_min_calls=6)) == []
    short = NuisanceRules(faulty_window_hours=1)
    assert detect(history(calls), short) == []  # only four fall in the last hour


@pytest.mark.parametrize(
    "changes",
    [
        {"faulty_min_calls": 0},
        {"faulty_min_calls": -1},
        {"faulty_min_calls": 2.5},
        {"faulty_min_calls": True},
        {"regular_max_variation": 0},
        {"regular_max_variation": "0.2"},
        {"persistence_after_warning": 1},
        {"vulnerable_min_calls": 0},
    ],
)
def test_bad_thresholds_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        NuisanceRules(**changes)  # type: ignore[arg-type]


def test_coefficient_of_variation() -> None:
    assert coefficient_of_variation([10, 10, 10]) == 0
    assert coefficient_of_variation([5]) is None
    assert coefficient_of_variation([0, 0]) is None
    assert coefficient_of_variation([5, 15]) == pytest.approx(0.5)


def test_warned_at_must_be_aware() -> None:
    from datetime import datetime

    with pytest.raises(InvalidInput):
        detect(history([]), warned_at=datetime(2026, 3, 1))
