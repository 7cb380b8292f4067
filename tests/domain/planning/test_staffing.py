"""The staffing calculator: the fewest handlers that meet each channel's standard by Erlang,
and a plan that, simulated, meets the standard through the day."""

from __future__ import annotations

import math

import pytest

from controlroom.domain.planning.erlang import erlang_a_service_level, erlang_c
from controlroom.domain.planning.model import (
    INTERVALS_PER_DAY,
    INTERVALS_PER_WEEK,
    Channel,
    DistributionKind,
    Duration,
    RoomModel,
)
from controlroom.domain.planning.simulation import simulate
from controlroom.domain.planning.staffing import (
    carried_arrivals,
    coefficient_of_variation,
    handlers_for,
    handlers_needed,
    staffed_model,
)
from tests.domain.planning.helpers import channel


def day_shape(peak: float) -> tuple[float, ...]:
    """Quiet at 04:00, busiest at 16:00, every day alike."""
    return tuple(
        peak * (0.3 + 0.35 * (1 - math.cos(2 * math.pi * ((i % INTERVALS_PER_DAY) - 8) / 48)))
        for i in range(INTERVALS_PER_WEEK)
    )


def test_the_fewest_handlers_meeting_the_standard_are_found() -> None:
    rate, handling = 0.09, 300.0
    n, level = handlers_for(rate, handling, None, 10.0, 0.9)
    assert erlang_c(rate, handling, n, 10.0).service_level >= 0.9
    assert erlang_c(rate, handling, n - 1, 10.0).service_level < 0.9
    assert level == pytest.approx(erlang_c(rate, handling, n, 10.0).service_level)
    m, level_a = handlers_for(rate, handling, 120.0, 10.0, 0.9)
    assert erlang_a_service_level(rate, handling, 120.0, m, 10.0) >= 0.9
    assert erlang_a_service_level(rate, handling, 120.0, m - 1, 10.0) < 0.9
    assert m <= n  # callers who give up leave the queue shorter
    assert level_a >= 0.9
    assert handlers_for(0.0, handling, None, 10.0, 0.9) == (0, 1.0)


def test_needs_cover_every_channel_and_half_hour_and_follow_demand() -> None:
    model = RoomModel(
        channels=(
            channel(Channel.EMERGENCY, per_half_hour=day_shape(200), handling=240, patience=90),
            channel(
                Channel.NON_EMERGENCY,
                per_half_hour=day_shape(300),
                handling=360,
                within=60,
                target=0.8,
            ),
        ),
        groups=(),
    )
    needs = handlers_needed(model)
    assert len(needs) == 2 * INTERVALS_PER_WEEK
    emergency = [n for n in needs if n.channel is Channel.EMERGENCY]
    assert [n.interval for n in emergency] == list(range(INTERVALS_PER_WEEK))
    assert all(n.service_level >= 0.9 for n in emergency)
    assert max(emergency, key=lambda n: n.handlers).interval % INTERVALS_PER_DAY in range(30, 36)
    assert min(n.handlers for n in emergency) < max(n.handlers for n in emergency) / 2
    assert all(n.service_level >= 0.8 for n in needs if n.channel is Channel.NON_EMERGENCY)


def test_when_demand_falls_the_work_still_in_hand_is_staffed_for() -> None:
    arrivals = (100.0, 100.0, 20.0, 20.0) + (20.0,) * (INTERVALS_PER_WEEK - 4)
    carried = carried_arrivals(arrivals, 360.0)
    assert carried[1] == 100.0 and carried[3] == 20.0
    assert carried[2] == pytest.approx(0.8 * 20 + 0.2 * 100)
    assert carried[0] == pytest.approx(100.0)  # Sunday night was quieter: no carry


@pytest.mark.slow
def test_a_staffed_plan_meets_the_standard_through_the_day_when_simulated() -> None:
    model = RoomModel(
        channels=(
            channel(
                Channel.NON_EMERGENCY,
                per_half_hour=day_shape(300),
                handling=360,
                patience=300,
                within=60,
                target=0.8,
            ),
        ),
        groups=(),
    )
    plan = staffed_model(model)
    assert [g.skills for g in plan.groups] == [(Channel.NON_EMERGENCY,)]
    result = simulate(plan, weeks=12, seed=9)
    rows = result.for_channel(Channel.NON_EMERGENCY)
    levels = []
    for slot in range(INTERVALS_PER_DAY):  # each half hour of the day, over every day simulated
        same = [r for r in rows if r.interval % INTERVALS_PER_DAY == slot]
        levels.append(sum(r.answered_in_target for r in same) / sum(r.offered for r in same))
    assert min(levels) >= 0.8 - 0.03
    assert sum(level >= 0.8 - 0.01 for level in levels) >= 0.9 * len(levels)


def test_patience_far_from_exponential_is_staffed_by_erlang_c() -> None:
    steady = Duration(DistributionKind.LOGNORMAL, 120.0, 10.0)
    assert coefficient_of_variation(steady) == pytest.approx(10 / 120)
    spread = Duration(DistributionKind.EMPIRICAL, 0.0, 0.0, (0.0, 50.0, 100.0, 400.0))
    assert 0.7 < coefficient_of_variation(spread) < 1.3
    exp_like = channel(per_half_hour=100, handling=300, patience=60)
    fixed = channel(per_half_hour=100, handling=300)
    fixed = type(fixed)(**{**fixed.__dict__, "patience": steady})
    needs_a = handlers_needed(RoomModel((exp_like,), ()))
    needs_c = handlers_needed(RoomModel((fixed,), ()))
    assert needs_a[0].handlers < needs_c[0].handlers
    assert needs_c[0].handlers == handlers_for(100 / 1800, 300.0, None, 10.0, 0.9)[0]
