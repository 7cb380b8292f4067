"""A run's figures: service level against the standard, answer times, abandonment, occupancy,
handler-hours on inappropriate calls; by hour of the week for the plots."""

from __future__ import annotations

import pytest

from controlroom.domain.planning.demo import demo_model
from controlroom.domain.planning.model import Channel
from controlroom.domain.planning.results import ChannelInterval, GroupInterval, SimulationResult
from controlroom.domain.planning.summary import (
    by_hour_of_day,
    hourly_handlers,
    hourly_inappropriate_hours,
    hourly_service_level,
    pooled_p90,
    summarise,
)


def _row(interval: int, offered: int, in_target: int, p90: float) -> ChannelInterval:
    return ChannelInterval(
        Channel.EMERGENCY, interval, offered, offered - 1, 1, in_target, 4.0 * (offered - 1), p90
    )


RESULT = SimulationResult(
    weeks=2,
    seed=0,
    channels=(_row(0, 10, 9, 3.0), _row(1, 10, 5, 20.0), _row(2, 20, 18, 3.0)),
    groups=(
        GroupInterval("999 handlers", 0, 3600.0, 1800.0, 720.0),
        GroupInterval("999 handlers", 2, 3600.0, 2700.0, 0.0),
    ),
)


def test_a_runs_figures() -> None:
    summary = summarise(demo_model(), RESULT)
    nine = summary.channel(Channel.EMERGENCY)
    assert nine is not None
    assert (nine.offered, nine.answered, nine.abandoned) == (40, 37, 3)
    assert nine.service_level == 32 / 40 and nine.meets_standard is False
    assert nine.mean_answer_seconds == 4.0 and nine.abandoned_share == 3 / 40
    assert summary.occupancy == 4500 / 7200
    assert summary.handler_hours_per_week == 1.0  # two hours over two weeks
    assert summary.inappropriate_hours_per_week == 0.1
    assert summary.channel(Channel.DIGITAL) is not None


def test_the_pooled_90th_percentile() -> None:
    assert pooled_p90([(10, 5.0), (30, 5.0)]) == pytest.approx(5.0)
    assert pooled_p90([(10, 0.0), (10, 0.0)]) == 0.0
    assert pooled_p90([]) is None
    mixed = pooled_p90([(10, 0.0), (10, 5.0)])
    assert mixed is not None and 0.0 < mixed < 5.0
    slow = pooled_p90([(1, 1.0), (9, 100.0)])
    assert slow is not None and 90.0 < slow < 100.0


def test_by_hour_of_the_week_and_of_the_day() -> None:
    levels = hourly_service_level(RESULT, Channel.EMERGENCY)
    assert len(levels) == 168
    assert levels[0] == 14 / 20 and levels[1] == 18 / 20 and levels[2] is None
    assert hourly_inappropriate_hours(RESULT)[0] == 0.1
    needed = hourly_handlers([(0, 3), (1, 5), (1, 2), (3, 4)])
    assert needed[:2] == [7, 4]  # the larger half hour of each hour, channels together
    day = by_hour_of_day([1.0] * 24 + [3.0] * 24 + [None] * 120)
    assert day == [2.0] * 24


def test_the_runs_90th_percentile_is_the_engines_own_when_recorded() -> None:
    from dataclasses import replace

    exact = replace(RESULT, run_p90_seconds=((Channel.EMERGENCY, 12.5),))
    nine = summarise(demo_model(), exact).channel(Channel.EMERGENCY)
    assert nine is not None and nine.p90_answer_seconds == 12.5
    estimated = summarise(demo_model(), RESULT).channel(Channel.EMERGENCY)
    assert estimated is not None and estimated.p90_answer_seconds != 12.5


def test_a_simulations_run_percentile_lies_within_its_half_hours() -> None:
    from controlroom.domain.planning.simulation import simulate

    model = demo_model()
    result = simulate(model, weeks=1, seed=3)
    for item in model.channels:
        rows = [row for row in result.for_channel(item.channel) if row.answered]
        run = result.run_p90(item.channel)
        assert run is not None and rows
        assert min(r.wait_p90_seconds for r in rows) <= run <= max(r.wait_p90_seconds for r in rows)
