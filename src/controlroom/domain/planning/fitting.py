"""Distributions from samples of seconds: handling times and callers' patience.

Handling times: with at least :data:`EMPIRICAL_MIN` samples, the empirical distribution
(:data:`QUANTILES` + 1 evenly spaced quantiles); with fewer but at least two, a lognormal with
the samples' mean and standard deviation; with one, an exponential with that mean.

Patience: a caller who hung up before being answered shows their patience; one who was
answered shows only that their patience was longer than their wait. With exponential patience
the estimate that uses both is the total of every wait (answered or abandoned) divided by the
number who abandoned; it needs at least :data:`PATIENCE_MIN` abandoned contacts.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

from controlroom.domain.planning.model import DistributionKind, Duration

#: The fewest samples for which the empirical distribution is used.
EMPIRICAL_MIN = 50
#: Empirical distributions keep this many steps (21 values: 0, 5%, ..., 100%).
QUANTILES = 20
#: The fewest abandoned contacts from which patience is estimated.
PATIENCE_MIN = 5
#: Shortest handling time kept: a second (a zero would make a free handler).
FLOOR_SECONDS = 1.0


def quantiles(values: Sequence[float], steps: int = QUANTILES) -> tuple[float, ...]:
    """The values at probabilities 0, 1/steps, ..., 1 (linear interpolation)."""
    ordered = sorted(values)
    last = len(ordered) - 1
    out = []
    for step in range(steps + 1):
        position = last * step / steps
        low = math.floor(position)
        high = min(low + 1, last)
        fraction = position - low
        out.append(ordered[low] + (ordered[high] - ordered[low]) * fraction)
    return tuple(round(value, 3) for value in out)


def handling_from(samples: Sequence[float]) -> Duration | None:
    """The handling-time distribution of ``samples`` (seconds); None without any."""
    values = [max(FLOOR_SECONDS, value) for value in samples]
    if not values:
        return None
    mean = statistics.fmean(values)
    if len(values) >= EMPIRICAL_MIN:
        return Duration(DistributionKind.EMPIRICAL, round(mean, 3), quantiles=quantiles(values))
    if len(values) >= 2:
        sd = statistics.stdev(values)
        return Duration(DistributionKind.LOGNORMAL, round(mean, 3), sd=round(sd, 3))
    return Duration(DistributionKind.EXPONENTIAL, round(mean, 3))


def fitted_as(duration: Duration | None, samples: int) -> str:
    """How a distribution was made, in words."""
    if duration is None:
        return "no samples: default"
    if duration.kind is DistributionKind.EMPIRICAL:
        return f"empirical from {samples} samples"
    if duration.kind is DistributionKind.LOGNORMAL:
        return f"lognormal fitted to {samples} samples"
    return f"exponential from {samples} sample"


def patience_from(abandoned: Sequence[float], answered: Sequence[float]) -> Duration | None:
    """Exponential patience from the waits of abandoned and answered contacts; None when
    fewer than :data:`PATIENCE_MIN` abandoned."""
    if len(abandoned) < PATIENCE_MIN:
        return None
    total = sum(max(0.0, value) for value in (*abandoned, *answered))
    mean = max(FLOOR_SECONDS, total / len(abandoned))
    return Duration(DistributionKind.EXPONENTIAL, round(mean, 3))
