"""Drawing handling times and patience from a :class:`Duration`, fast enough for the hot loop.

Each sampler is a function of no arguments returning seconds, bound to one ``random.Random`` so
that a seeded run is reproducible. The distributions are drawn exactly: exponential by inversion,
lognormal from the normal (its parameters solved from the mean and standard deviation),
empirical by linear interpolation of the inverse distribution function between the quantiles.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from controlroom.domain.planning.model import DistributionKind, Duration

Sampler = Callable[[], float]


def lognormal_parameters(mean: float, sd: float) -> tuple[float, float]:
    """``mu`` and ``sigma`` of the normal whose exponential has this mean and standard deviation."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def sampler(duration: Duration, rng: random.Random) -> Sampler:
    """A function drawing one value of ``duration`` (seconds, never negative) from ``rng``."""
    rand = rng.random
    if duration.kind is DistributionKind.EMPIRICAL:
        return _empirical(duration.quantiles, rand)
    mean = float(duration.mean)
    if mean <= 0.0:
        return lambda: 0.0
    if duration.kind is DistributionKind.EXPONENTIAL:
        log = math.log

        def exponential() -> float:
            return -mean * log(1.0 - rand())

        return exponential
    if duration.sd <= 0.0:
        return lambda: mean
    return _lognormal(*lognormal_parameters(mean, duration.sd), rand)


def _lognormal(mu: float, sigma: float, rand: Callable[[], float]) -> Sampler:
    """exp of a normal drawn by Box and Muller's method, two at a time (the second kept for
    the next call): faster here than ``random.gauss``, and as exact."""
    log, sqrt, exp, sin, cos = math.log, math.sqrt, math.exp, math.sin, math.cos
    spare = -1.0

    def lognormal() -> float:
        nonlocal spare
        if spare >= 0.0:
            value = spare
            spare = -1.0
            return value
        radius = sigma * sqrt(-2.0 * log(1.0 - rand()))
        angle = math.tau * rand()
        spare = exp(mu + radius * sin(angle))
        return exp(mu + radius * cos(angle))

    return lognormal


def _empirical(quantiles: tuple[float, ...], rand: Callable[[], float]) -> Sampler:
    values = tuple(float(q) for q in quantiles)
    steps = len(values) - 1
    slopes = (*(values[i + 1] - values[i] for i in range(steps)), 0.0)

    def empirical() -> float:
        u = rand() * steps
        i = int(u)
        return values[i] + (u - i) * slopes[i]

    return empirical


def mean_of(duration: Duration) -> float:
    """The distribution's mean in seconds (for empirical ones, the mean of the interpolation)."""
    if duration.kind is DistributionKind.EMPIRICAL:
        q = duration.quantiles
        return sum((q[i] + q[i + 1]) / 2.0 for i in range(len(q) - 1)) / (len(q) - 1)
    return float(duration.mean)
