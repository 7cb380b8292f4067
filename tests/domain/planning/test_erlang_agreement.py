"""The simulation agrees with Erlang C and Erlang A on one queue with constant rates.

Agreement is asked for within 1 percentage point on the service level (and on the share who
give up), and on the mean answer time of answered contacts within 1% of Erlang's figure or 1% of
the mean handling time, whichever is larger: the mean of waits is the noisiest figure a run
gives (each wait is correlated with the next), and a queue answering in seconds has a mean that
moves by more than 1% between runs of any length a test can afford.
"""

from __future__ import annotations

import math

import pytest

from controlroom.domain.planning.erlang import QueueFigures, erlang_a, erlang_c
from controlroom.domain.planning.results import SimulationResult
from controlroom.domain.planning.simulation import simulate
from tests.domain.planning.helpers import single_queue

pytestmark = pytest.mark.slow  # each case simulates 0.3 to 1.5 million contacts, 1 to 4 s

CASES = [
    # handlers, load in erlangs, mean handling s, mean patience s (None: Erlang C), within s, weeks
    pytest.param(5, 3.5, 240.0, None, 20.0, 100, id="C n=5 load 0.70"),
    pytest.param(30, 25.5, 300.0, None, 10.0, 20, id="C n=30 load 0.85"),
    pytest.param(100, 90.0, 300.0, None, 10.0, 8, id="C n=100 load 0.90"),
    pytest.param(5, 5.0, 240.0, 60.0, 20.0, 20, id="A n=5 load 1.00"),
    pytest.param(30, 29.0, 300.0, 120.0, 10.0, 10, id="A n=30 load 0.97"),
    pytest.param(100, 102.0, 300.0, 180.0, 10.0, 4, id="A n=100 load 1.02"),
]


def totals(result: SimulationResult) -> tuple[float, float, float]:
    offered = sum(row.offered for row in result.channels)
    answered = sum(row.answered for row in result.channels)
    return (
        sum(row.answered_in_target for row in result.channels) / offered,
        sum(row.wait_seconds_total for row in result.channels) / answered,
        sum(row.abandoned for row in result.channels) / offered,
    )


@pytest.mark.parametrize(("handlers", "load", "handling", "patience", "within", "weeks"), CASES)
def test_the_simulation_agrees_with_erlang(
    handlers: int,
    load: float,
    handling: float,
    patience: float | None,
    within: float,
    weeks: int,
) -> None:
    rate = load / handling
    expected: QueueFigures = (
        erlang_c(rate, handling, handlers, within)
        if patience is None
        else erlang_a(rate, handling, patience, handlers, within)
    )
    model = single_queue(
        rate=rate, handling=handling, handlers=handlers, patience=patience, within=within
    )
    level, mean_wait, abandoned = totals(simulate(model, weeks=weeks, seed=20))

    assert level == pytest.approx(expected.service_level, abs=0.01)
    assert abandoned == pytest.approx(expected.abandon_share, abs=0.01)
    assert mean_wait == pytest.approx(expected.mean_wait, rel=0.01, abs=0.01 * handling)
    assert math.isfinite(mean_wait)
