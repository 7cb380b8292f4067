"""The demo model: a made-up force of middling size, to try the planner without records.

About 700 999 contacts a day (a fifth of them genuine emergencies, a third handed to the §4.12
procedure), 1,000 101 calls and 500 digital contacts, busiest in the evening and on Friday and
Saturday nights. Its roster follows the weekday pattern every day, so weekend nights are short
of handlers: the kind of gap a scenario is for. None of these figures is any force's.
"""

from __future__ import annotations

import math

from controlroom.domain.planning.model import (
    INTERVALS_PER_DAY,
    INTERVALS_PER_WEEK,
    Channel,
    ChannelModel,
    ContactKind,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)
from controlroom.domain.planning.validation import validate_model

#: Contacts a day on each channel.
DAILY = {Channel.EMERGENCY: 700.0, Channel.NON_EMERGENCY: 1000.0, Channel.DIGITAL: 500.0}


def _lognormal(mean: float, sd: float) -> Duration:
    return Duration(DistributionKind.LOGNORMAL, mean, sd=sd)


#: (name, share, mean s, sd s, inappropriate, genuine) for each channel.
KINDS: dict[Channel, tuple[tuple[str, float, float, float, bool, bool], ...]] = {
    Channel.EMERGENCY: (
        ("emergency", 0.20, 420, 240, False, True),
        ("other_999", 0.32, 300, 180, False, False),
        ("inappropriate_advised", 0.30, 180, 90, True, False),
        ("inappropriate_warned", 0.06, 240, 100, True, False),
        ("inappropriate_terminated", 0.02, 150, 80, True, False),
        ("silent", 0.08, 120, 90, False, False),
        ("relay", 0.02, 900, 400, False, False),
    ),
    Channel.NON_EMERGENCY: (
        ("police_non_emergency", 0.55, 420, 240, False, False),
        ("other_agency", 0.20, 240, 120, False, False),
        ("not_police", 0.20, 180, 100, False, False),
        ("emergency", 0.05, 480, 240, False, False),
    ),
    Channel.DIGITAL: (
        ("police_non_emergency", 0.70, 600, 300, False, False),
        ("other_agency", 0.15, 300, 150, False, False),
        ("not_police", 0.15, 240, 120, False, False),
    ),
}
PATIENCE = {
    Channel.EMERGENCY: Duration(DistributionKind.EXPONENTIAL, 90.0),
    Channel.NON_EMERGENCY: Duration(DistributionKind.EXPONENTIAL, 240.0),
    Channel.DIGITAL: None,
}
STANDARDS = {
    Channel.EMERGENCY: (10.0, 0.9),
    Channel.NON_EMERGENCY: (60.0, 0.8),
    Channel.DIGITAL: (600.0, 0.8),
}


#: Handlers rostered for each Erlang of weekday load (999 needs the most slack).
MARGINS = {Channel.EMERGENCY: 1.35, Channel.NON_EMERGENCY: 1.15, Channel.DIGITAL: 0.9}


def _shape(interval: int, weekend_night: bool) -> float:
    """Relative arrivals in a half hour: lowest at 05:00, highest at 17:00."""
    hour = (interval % INTERVALS_PER_DAY) / 2
    value = 1.0 + 0.75 * math.cos(2 * math.pi * (hour - 17) / 24)
    if weekend_night:
        day = interval // INTERVALS_PER_DAY
        late = (day in (4, 5) and hour >= 20) or (day in (5, 6) and hour < 4)
        value *= 1.45 if late else 1.0
    return value


def _arrivals(daily: float, weekend_night: bool) -> tuple[float, ...]:
    shape = [_shape(index, weekend_night) for index in range(INTERVALS_PER_WEEK)]
    scale = daily * 7 / sum(shape)
    return tuple(round(value * scale, 3) for value in shape)


def _handlers(channel: Channel, kinds: tuple[ContactKind, ...]) -> tuple[int, ...]:
    """The weekday pattern every day: offered load (without the weekend-night rise) plus a
    margin for the answer standard."""
    mean = sum(kind.share * kind.handling.mean for kind in kinds)
    arrivals = _arrivals(DAILY[channel], weekend_night=False)
    margin = MARGINS[channel]
    return tuple(math.ceil(rate * mean / 1800 * margin) + 1 for rate in arrivals)


def demo_model() -> RoomModel:
    """The demo room: three channels, three handler groups."""
    channels: list[ChannelModel] = []
    groups: list[HandlerGroup] = []
    skills = {
        Channel.EMERGENCY: (Channel.EMERGENCY,),
        Channel.NON_EMERGENCY: (Channel.NON_EMERGENCY, Channel.DIGITAL),
        Channel.DIGITAL: (Channel.DIGITAL,),
    }
    for channel, rows in KINDS.items():
        kinds = tuple(
            ContactKind(name, share, _lognormal(mean, sd), inappropriate, genuine)
            for name, share, mean, sd, inappropriate, genuine in rows
        )
        seconds, share = STANDARDS[channel]
        channels.append(
            ChannelModel(
                channel=channel,
                arrivals=_arrivals(DAILY[channel], weekend_night=True),
                kinds=kinds,
                patience=PATIENCE[channel],
                answer_within_seconds=seconds,
                target_share=share,
            )
        )
        groups.append(
            HandlerGroup(f"{channel.value} handlers", skills[channel], _handlers(channel, kinds))
        )
    model = RoomModel(
        channels=tuple(channels),
        groups=tuple(groups),
        source="demo model (made-up figures of a middling force)",
        notes=("roster: the weekday pattern every day",),
    )
    validate_model(model)
    return model
