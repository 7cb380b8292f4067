"""Handling times and patience are drawn from the distributions the model gives."""

from __future__ import annotations

import random
import statistics

import pytest

from controlroom.domain.planning.model import DistributionKind, Duration
from controlroom.domain.planning.sampling import mean_of, sampler


def draws(duration: Duration, n: int = 60_000, seed: int = 3) -> list[float]:
    draw = sampler(duration, random.Random(seed))
    return [draw() for _ in range(n)]


def test_exponential_draws_have_the_mean_and_spread_asked_for() -> None:
    values = draws(Duration(DistributionKind.EXPONENTIAL, 240.0))
    assert statistics.fmean(values) == pytest.approx(240, rel=0.02)
    assert statistics.stdev(values) == pytest.approx(240, rel=0.03)
    assert min(values) >= 0


def test_lognormal_draws_have_the_mean_and_standard_deviation_asked_for() -> None:
    values = draws(Duration(DistributionKind.LOGNORMAL, 300.0, 180.0))
    assert statistics.fmean(values) == pytest.approx(300, rel=0.02)
    assert statistics.stdev(values) == pytest.approx(180, rel=0.05)
    assert statistics.median(values) < 300  # skewed to the right, as handling times are


def test_empirical_draws_follow_the_quantiles() -> None:
    quantiles = (10.0, 60.0, 90.0, 200.0, 900.0)
    values = sorted(draws(Duration(DistributionKind.EMPIRICAL, 0.0, 0.0, quantiles)))
    assert values[0] >= 10.0 and values[-1] <= 900.0
    for share, value in ((0.25, 60.0), (0.5, 90.0), (0.75, 200.0)):
        below = sum(v <= value for v in values) / len(values)
        assert below == pytest.approx(share, abs=0.01)
    mean = mean_of(Duration(DistributionKind.EMPIRICAL, 0.0, 0.0, quantiles))
    assert statistics.fmean(values) == pytest.approx(mean, rel=0.02)


def test_a_fixed_time_and_a_seed_give_the_same_draws() -> None:
    assert set(draws(Duration(DistributionKind.LOGNORMAL, 45.0, 0.0), n=10)) == {45.0}
    duration = Duration(DistributionKind.LOGNORMAL, 300.0, 100.0)
    assert draws(duration, n=50, seed=1) == draws(duration, n=50, seed=1)
    assert draws(duration, n=50, seed=1) != draws(duration, n=50, seed=2)
