"""Handlers needed on each channel in each half hour to meet its answer standard, by Erlang's
formulas, and the room that staffing gives (so the plan can be checked by simulation).

Each channel is treated as its own queue with its own handlers: the mean handling time is the
kinds' shares times their means, arrivals the half hour's mean. A channel whose callers give up
with a patience near exponential (an exponential, or a coefficient of variation between 0.7 and
1.3) is sized by Erlang A; one whose callers never give up, or give up in a very different
pattern, by Erlang C, which ignores abandonment and so never understaffs for it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise

from controlroom.domain.planning.erlang import erlang_a_service_level, log_inverse_erlang_b
from controlroom.domain.planning.model import (
    INTERVAL_SECONDS,
    INTERVALS_PER_WEEK,
    Channel,
    ChannelModel,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)
from controlroom.domain.planning.sampling import mean_of
from controlroom.domain.planning.validation import validate_model

EXPONENTIAL_CV = (0.7, 1.3)


@dataclass(frozen=True)
class StaffingNeed:
    """``handlers`` on ``channel`` in half hour ``interval`` of the week meet its standard;
    ``service_level`` is what Erlang predicts with that many."""

    channel: Channel
    interval: int
    handlers: int
    service_level: float


def coefficient_of_variation(duration: Duration) -> float:
    """Standard deviation over mean of ``duration``."""
    if duration.kind is DistributionKind.EXPONENTIAL:
        return 1.0
    if duration.kind is DistributionKind.LOGNORMAL:
        return duration.sd / duration.mean if duration.mean > 0 else 0.0
    q = duration.quantiles
    mean = mean_of(duration)
    # second moment of the piecewise-linear inverse distribution function, segment by segment
    second = sum((a * a + a * b + b * b) / 3.0 for a, b in pairwise(q))
    second /= len(q) - 1
    return math.sqrt(max(0.0, second - mean * mean)) / mean if mean > 0 else 0.0


def patience_for_erlang_a(channel: ChannelModel) -> float | None:
    """The mean patience to size ``channel`` by Erlang A, or ``None`` to use Erlang C."""
    patience = channel.patience
    if patience is None:
        return None
    low, high = EXPONENTIAL_CV
    if not low <= coefficient_of_variation(patience) <= high:
        return None
    mean = mean_of(patience)
    return mean if mean > 0 else None


def mean_handling(channel: ChannelModel) -> float:
    """Mean handling time in seconds over the channel's kinds of contact."""
    return sum(kind.share * mean_of(kind.handling) for kind in channel.kinds)


@lru_cache(maxsize=4096)
def handlers_for(
    rate: float, handling: float, patience: float | None, within: float, target: float
) -> tuple[int, float]:
    """Fewest handlers (and the service level they give) for ``rate`` contacts a second."""
    if rate <= 0 or handling <= 0:
        return 0, 1.0
    load = rate * handling
    cap = math.ceil(load + 10.0 * math.sqrt(load) + 60.0)
    n = math.floor(load) + 1
    log_inverse_b = log_inverse_erlang_b(n - 1, load)
    level = 0.0
    while n <= cap:  # Erlang C, Erlang B worked up one handler at a time
        step = math.log(n / load) + log_inverse_b
        log_inverse_b = step + math.log1p(math.exp(-step)) if step > -700 else math.exp(step)
        b = math.exp(-log_inverse_b)
        c = b / (1.0 - load / n * (1.0 - b))
        level = max(0.0, 1.0 - c * math.exp(-(n / handling - rate) * within))
        if level >= target:
            break
        n += 1
    n = min(n, cap)
    if patience is None:
        return n, level
    low, high = 0, n  # Erlang A never needs more than Erlang C: bisect below it
    while low < high:
        middle = (low + high) // 2
        if erlang_a_service_level(rate, handling, patience, middle, within) >= target:
            high = middle
        else:
            low = middle + 1
    return low, erlang_a_service_level(rate, handling, patience, low, within)


def carried_arrivals(arrivals: tuple[float, ...], handling: float) -> tuple[float, ...]:
    """The arrivals each half hour is sized for: its own, or, when demand falls from the half
    hour before, that half hour's contacts still being handled in it (a share of the half hour
    equal to the mean handling time, at most all of it) added in at the earlier rate."""
    lag = min(1.0, handling / INTERVAL_SECONDS)
    return tuple(
        max(now, (1.0 - lag) * now + lag * arrivals[i - 1]) for i, now in enumerate(arrivals)
    )


def handlers_needed(model: RoomModel) -> tuple[StaffingNeed, ...]:
    """For every channel and half hour, the handlers needed to answer ``target_share`` of its
    contacts within ``answer_within_seconds`` (sized on :func:`carried_arrivals`)."""
    validate_model(model, staffed=False)
    needs: list[StaffingNeed] = []
    for channel in model.channels:
        handling = mean_handling(channel)
        patience = patience_for_erlang_a(channel)
        for interval, arrivals in enumerate(carried_arrivals(channel.arrivals, handling)):
            handlers, level = handlers_for(
                arrivals / INTERVAL_SECONDS,
                handling,
                patience,
                float(channel.answer_within_seconds),
                float(channel.target_share),
            )
            needs.append(StaffingNeed(channel.channel, interval, handlers, level))
    return tuple(needs)


def staffed_model(model: RoomModel, needs: tuple[StaffingNeed, ...] | None = None) -> RoomModel:
    """``model`` with its handlers replaced by the plan: one group per channel, answering only
    that channel, rostered as ``needs`` says (computed when not given)."""
    plan = handlers_needed(model) if needs is None else needs
    groups = []
    for channel in model.channels:
        roster = [0] * INTERVALS_PER_WEEK
        for need in plan:
            if need.channel is channel.channel:
                roster[need.interval] = need.handlers
        groups.append(HandlerGroup(f"{channel.channel} plan", (channel.channel,), tuple(roster)))
    return replace(model, groups=tuple(groups))
