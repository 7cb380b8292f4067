"""Small rooms for the planning tests, built in a line or two."""

from __future__ import annotations

from collections.abc import Sequence

from controlroom.domain.planning.model import (
    INTERVAL_SECONDS,
    INTERVALS_PER_WEEK,
    Channel,
    ChannelModel,
    ContactKind,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)


def exponential(mean: float) -> Duration:
    return Duration(DistributionKind.EXPONENTIAL, mean)


def channel(
    which: Channel = Channel.EMERGENCY,
    *,
    per_half_hour: float | Sequence[float] = 60.0,
    handling: float = 240.0,
    patience: float | None = None,
    within: float = 10.0,
    target: float = 0.9,
    kinds: tuple[ContactKind, ...] | None = None,
) -> ChannelModel:
    """A channel with constant (or given) arrivals and exponential handling and patience."""
    arrivals = (
        (float(per_half_hour),) * INTERVALS_PER_WEEK
        if isinstance(per_half_hour, int | float)
        else tuple(per_half_hour)
    )
    return ChannelModel(
        channel=which,
        arrivals=arrivals,
        kinds=kinds or (ContactKind("all", 1.0, exponential(handling)),),
        patience=exponential(patience) if patience is not None else None,
        answer_within_seconds=within,
        target_share=target,
    )


def group(name: str, skills: Sequence[Channel], handlers: int | Sequence[int]) -> HandlerGroup:
    roster = (handlers,) * INTERVALS_PER_WEEK if isinstance(handlers, int) else tuple(handlers)
    return HandlerGroup(name, tuple(skills), roster)


def single_queue(
    *, rate: float, handling: float, handlers: int, patience: float | None, within: float
) -> RoomModel:
    """One 999 queue with ``rate`` contacts a second answered by ``handlers`` all week."""
    return RoomModel(
        channels=(
            channel(
                per_half_hour=rate * INTERVAL_SECONDS,
                handling=handling,
                patience=patience,
                within=within,
            ),
        ),
        groups=(group("all", (Channel.EMERGENCY,), handlers),),
    )
