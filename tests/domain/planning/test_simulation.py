"""What a planner sees of the simulated room: priorities, callers giving up, rosters,
reproducible runs and the figures per half hour."""

from __future__ import annotations

import math

import pytest

from controlroom.domain.planning.erlang import erlang_a, erlang_c
from controlroom.domain.planning.model import (
    INTERVAL_SECONDS,
    INTERVALS_PER_WEEK,
    Channel,
    ContactKind,
    RoomModel,
)
from controlroom.domain.planning.simulation import simulate
from tests.domain.planning.helpers import channel, exponential, group, single_queue


def mean_wait(rows: tuple) -> float:  # type: ignore[type-arg]
    return sum(r.wait_seconds_total for r in rows) / sum(r.answered for r in rows)


def test_999_is_answered_before_101_by_handlers_who_take_both() -> None:
    model = RoomModel(
        channels=(
            channel(Channel.NON_EMERGENCY, per_half_hour=100, handling=300),
            channel(Channel.EMERGENCY, per_half_hour=100, handling=300),
        ),
        groups=(group("both", (Channel.NON_EMERGENCY, Channel.EMERGENCY), 35),),
    )
    result = simulate(model, weeks=2, seed=4)
    wait_999 = mean_wait(result.for_channel(Channel.EMERGENCY))
    wait_101 = mean_wait(result.for_channel(Channel.NON_EMERGENCY))
    assert wait_999 < wait_101 / 5
    assert wait_101 > 60


def test_digital_waits_for_101_and_101_for_999() -> None:
    model = RoomModel(
        channels=tuple(
            channel(c, per_half_hour=60, handling=300)
            for c in (Channel.DIGITAL, Channel.EMERGENCY, Channel.NON_EMERGENCY)
        ),
        groups=(group("all", tuple(Channel), 32),),
    )
    result = simulate(model, weeks=2, seed=5)
    waits = [mean_wait(result.for_channel(c)) for c in Channel]
    assert waits == sorted(waits)
    assert waits[0] < waits[1] < waits[2]


def test_callers_who_run_out_of_patience_are_counted_as_abandoned() -> None:
    model = single_queue(rate=1 / 30, handling=300, handlers=8, patience=60, within=10)
    rows = simulate(model, weeks=1, seed=1).channels
    offered = sum(r.offered for r in rows)
    abandoned = sum(r.abandoned for r in rows)
    answered = sum(r.answered for r in rows)
    assert 0.15 * offered < abandoned < offered
    assert answered + abandoned <= offered
    assert answered + abandoned >= offered - 20  # only those still queueing at the very end


def test_nobody_abandons_without_a_patience() -> None:
    model = single_queue(rate=1 / 60, handling=240, handlers=5, patience=None, within=10)
    rows = simulate(model, weeks=1, seed=1).channels
    assert sum(r.abandoned for r in rows) == 0
    assert sum(r.answered for r in rows) > 0.99 * sum(r.offered for r in rows)


def test_contacts_wait_for_the_first_handler_on_the_roster() -> None:
    roster = [0] * INTERVALS_PER_WEEK
    roster[10:20] = [4] * 10
    model = RoomModel(
        channels=(channel(per_half_hour=10, handling=120),),
        groups=(group("day", (Channel.EMERGENCY,), roster),),
    )
    result = simulate(model, weeks=1, seed=2)
    early = result.for_channel(Channel.EMERGENCY)[:10]
    assert sum(r.offered for r in early) > 50
    # everyone who called before 05:00 is answered at 05:00, none within 10 seconds
    assert all(r.answered == r.offered and r.answered_in_target == 0 for r in early)
    assert all(r.wait_p90_seconds > 0 for r in early)
    groups = result.for_group("day")
    assert [g.on_duty_seconds for g in groups[:10]] == [0.0] * 10
    assert groups[10].on_duty_seconds == 4 * INTERVAL_SECONDS
    assert groups[10].busy_seconds > groups[11].busy_seconds  # the backlog is cleared first


def test_busy_handlers_finish_their_contact_when_their_shift_ends() -> None:
    roster = [0] * INTERVALS_PER_WEEK
    roster[0:4] = [20] * 4
    model = RoomModel(
        channels=(channel(per_half_hour=[60.0] * 4 + [0.0] * 332, handling=1200),),
        groups=(group("early", (Channel.EMERGENCY,), roster),),
    )
    rows = simulate(model, weeks=1, seed=3).for_group("early")
    after = rows[4]
    assert after.busy_seconds > 0
    assert after.on_duty_seconds == after.busy_seconds  # staying on only to finish
    assert sum(r.on_duty_seconds for r in rows[8:]) == 0.0
    assert all(r.occupancy is None or r.occupancy <= 1.0 + 1e-9 for r in rows)


def test_time_spent_on_inappropriate_calls_is_reported() -> None:
    kinds = (
        ContactKind("emergency", 0.25, exponential(300), genuine_emergency=True),
        ContactKind("not_police", 0.75, exponential(300), inappropriate=True),
    )
    model = RoomModel(
        channels=(channel(per_half_hour=30, kinds=kinds),),
        groups=(group("all", (Channel.EMERGENCY,), 12),),
    )
    result = simulate(model, weeks=2, seed=6)
    busy = sum(g.busy_seconds for g in result.groups)
    wasted = sum(g.inappropriate_seconds for g in result.groups)
    assert wasted / busy == pytest.approx(0.75, abs=0.02)
    assert result.inappropriate_handler_hours == wasted / 3600
    # two weeks of 30 calls a half hour, 300 s each: about 2,800 handler-hours in all
    assert busy / 3600 == pytest.approx(2 * 336 * 30 * 300 / 3600, rel=0.03)


def test_the_p90_answer_time_matches_erlang_c() -> None:
    rate, handling, handlers = 4.5 / 240, 240.0, 5
    model = single_queue(rate=rate, handling=handling, handlers=handlers, patience=None, within=20)
    rows = simulate(model, weeks=30, seed=8).channels
    figures = erlang_c(rate, handling, handlers, 20)
    # P(wait > t) = C exp(-(n mu - lambda) t), so the p90 is log(C / 0.1) / (n mu - lambda)
    expected = math.log(figures.wait_probability / 0.1) / (handlers / handling - rate)
    p90s = sorted(r.wait_p90_seconds for r in rows)
    assert p90s[len(p90s) // 2] == pytest.approx(expected, rel=0.1)


def test_the_same_seed_gives_the_same_result_and_another_seed_another() -> None:
    model = single_queue(rate=1 / 40, handling=240, handlers=7, patience=90, within=10)
    first = simulate(model, weeks=2, seed=11)
    assert simulate(model, weeks=2, seed=11) == first
    assert simulate(model, weeks=2, seed=12) != first
    assert (first.weeks, first.seed) == (2, 11)


def test_progress_is_reported_after_each_week_and_weeks_add_up() -> None:
    model = single_queue(rate=1 / 60, handling=200, handlers=5, patience=None, within=10)
    seen: list[int] = []
    result = simulate(model, weeks=3, seed=1, progress=seen.append)
    assert seen == [1, 2, 3]
    offered = sum(r.offered for r in result.channels)
    expected = 3 * INTERVALS_PER_WEEK * 30
    assert abs(offered - expected) < 4 * math.sqrt(expected)
    assert len(result.channels) == INTERVALS_PER_WEEK
    assert [r.interval for r in result.channels] == list(range(INTERVALS_PER_WEEK))


def test_idle_999_handlers_do_not_answer_a_101_queue_they_have_no_skill_for() -> None:
    model = RoomModel(
        channels=(
            channel(Channel.EMERGENCY, per_half_hour=1, handling=60),
            channel(Channel.NON_EMERGENCY, per_half_hour=40, handling=300, patience=120),
        ),
        groups=(
            group("999 only", (Channel.EMERGENCY,), 10),
            group("101 only", (Channel.NON_EMERGENCY,), 5),
        ),
    )
    result = simulate(model, weeks=1, seed=7)
    idle = result.for_group("999 only")
    swamped = result.for_group("101 only")
    assert sum(r.busy_seconds for r in idle) < 0.01 * sum(r.on_duty_seconds for r in idle)
    # the 101 handlers are as busy as Erlang A says five handlers alone would be
    expected = erlang_a(40 / 1800, 300, 120, 5, 10)
    occupancy = sum(r.busy_seconds for r in swamped) / sum(r.on_duty_seconds for r in swamped)
    assert occupancy == pytest.approx(40 / 1800 * (1 - expected.abandon_share) * 300 / 5, abs=0.02)
    rows_101 = result.for_channel(Channel.NON_EMERGENCY)
    abandoned = sum(r.abandoned for r in rows_101) / sum(r.offered for r in rows_101)
    assert abandoned == pytest.approx(expected.abandon_share, abs=0.02)
