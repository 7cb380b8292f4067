"""A Met-sized room for the planning benchmark: about 10 million contacts a year over 999, 101
and digital, with a daily and weekly pattern, handling times by kind of contact and callers who
give up, staffed half hour by half hour by the staffing calculator.

The figures are plausible, not any force's: 999 takes 30% of contacts, 101 45%, digital 25%;
about 20% of 999 calls are genuine emergencies and most of the rest did not need the 999 line.
"""

from __future__ import annotations

import math
from dataclasses import replace

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
from controlroom.domain.planning.staffing import handlers_needed

YEARLY_CONTACTS = 10_000_000
SHARES = {Channel.EMERGENCY: 0.30, Channel.NON_EMERGENCY: 0.45, Channel.DIGITAL: 0.25}
#: Relative demand on Monday ... Sunday.
DAYS = (0.96, 0.94, 0.95, 0.98, 1.06, 1.08, 1.03)


def lognormal(mean: float, sd: float) -> Duration:
    return Duration(DistributionKind.LOGNORMAL, mean, sd)


def exponential(mean: float) -> Duration:
    return Duration(DistributionKind.EXPONENTIAL, mean)


def weekly_shape() -> tuple[float, ...]:
    """Relative demand in each half hour of the week (low before dawn, high in the evening,
    Friday and Saturday nights highest), scaled to a mean of 1."""
    shape = []
    for interval in range(INTERVALS_PER_WEEK):
        day, slot = divmod(interval, INTERVALS_PER_DAY)
        hour = slot / 2.0
        daily = 1.0 + 0.55 * math.cos(2 * math.pi * (hour - 18.0) / 24.0)
        late_weekend = 0.35 if (day in (4, 5) and hour >= 21) or (day in (5, 6) and hour < 3) else 0
        shape.append(DAYS[day] * (daily + late_weekend))
    mean = sum(shape) / len(shape)
    return tuple(value / mean for value in shape)


KINDS = {
    Channel.EMERGENCY: (
        ContactKind("emergency", 0.20, lognormal(330, 200), genuine_emergency=True),
        ContactKind("police_non_emergency", 0.30, lognormal(300, 180), inappropriate=True),
        ContactKind("other_agency", 0.14, lognormal(170, 90), inappropriate=True),
        ContactKind("not_police", 0.11, lognormal(130, 70), inappropriate=True),
        ContactKind("silent", 0.20, lognormal(50, 30)),
        ContactKind("relay", 0.05, lognormal(600, 300)),
    ),
    Channel.NON_EMERGENCY: (
        ContactKind("police_non_emergency", 0.70, lognormal(420, 260)),
        ContactKind("other_agency", 0.18, lognormal(200, 120)),
        ContactKind("not_police", 0.12, lognormal(150, 90)),
    ),
    Channel.DIGITAL: (
        ContactKind("online_report", 0.55, lognormal(480, 240)),
        ContactKind("live_chat", 0.45, lognormal(720, 400)),
    ),
}
PATIENCE = {Channel.EMERGENCY: 150.0, Channel.NON_EMERGENCY: 420.0, Channel.DIGITAL: 1800.0}
STANDARD = {
    Channel.EMERGENCY: (10.0, 0.90),
    Channel.NON_EMERGENCY: (60.0, 0.80),
    Channel.DIGITAL: (300.0, 0.80),
}


def met_sized(volume: float = 1.0) -> RoomModel:
    """The room with ``volume`` times 10 million contacts a year, staffed by Erlang half hour by
    half hour: one group of handlers per channel."""
    weekly = YEARLY_CONTACTS * volume / 52.0
    shape = weekly_shape()
    channels = []
    for channel, share in SHARES.items():
        within, target = STANDARD[channel]
        per_interval = weekly * share / INTERVALS_PER_WEEK
        channels.append(
            ChannelModel(
                channel=channel,
                arrivals=tuple(per_interval * s for s in shape),
                kinds=KINDS[channel],
                patience=exponential(PATIENCE[channel]),
                answer_within_seconds=within,
                target_share=target,
            )
        )
    model = RoomModel(channels=tuple(channels), groups=(), source=f"benchmark, volume {volume}")
    needs = handlers_needed(model)
    groups = []
    for channel in SHARES:
        roster = [0] * INTERVALS_PER_WEEK
        for need in needs:
            if need.channel is channel:
                roster[need.interval] = need.handlers
        groups.append(HandlerGroup(f"{channel} handlers", (channel,), tuple(roster)))
    return replace(model, groups=tuple(groups))
