"""The room as a planner sees it: what arrives on each channel, how long it takes, how long
callers wait before they give up, and who is on duty to answer.

A week is 336 half-hour intervals, Monday 00:00 first. Every figure is a plain number so that a
model can be written to and read from the documented file format (docs/planning.md) and built
from the force's own records or supplied from elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

INTERVAL_SECONDS = 1800
INTERVALS_PER_DAY = 48
INTERVALS_PER_WEEK = 7 * INTERVALS_PER_DAY


class Channel(StrEnum):
    """The room's queues, in the order handlers take them (999 before 101 before digital)."""

    EMERGENCY = "999"
    NON_EMERGENCY = "101"
    DIGITAL = "digital"

    @property
    def priority(self) -> int:
        """0 is answered first."""
        return _PRIORITY[self]


_PRIORITY = {Channel.EMERGENCY: 0, Channel.NON_EMERGENCY: 1, Channel.DIGITAL: 2}


class DistributionKind(StrEnum):
    EXPONENTIAL = "exponential"
    LOGNORMAL = "lognormal"
    EMPIRICAL = "empirical"


@dataclass(frozen=True)
class Duration:
    """A distribution of seconds.

    ``exponential`` uses ``mean``; ``lognormal`` uses ``mean`` and ``sd``; ``empirical`` uses
    ``quantiles``: the values at evenly spaced probabilities 0, 1/n, ..., 1 (at least two), drawn
    from by linear interpolation of the inverse distribution function.
    """

    kind: DistributionKind
    mean: float
    sd: float = 0.0
    quantiles: tuple[float, ...] = ()


@dataclass(frozen=True)
class ContactKind:
    """A share of one channel's contacts with a handling time of its own.

    ``name`` is a triage route or procedure ("emergency", "police_non_emergency",
    "other_agency", "not_police", "silent", "relay"...). ``inappropriate`` marks 999 contacts
    that did not need the 999 line (the §4.12 calls); ``genuine_emergency`` those that did.
    """

    name: str
    share: float
    handling: Duration
    inappropriate: bool = False
    genuine_emergency: bool = False


@dataclass(frozen=True)
class ChannelModel:
    """One queue: mean arrivals per half hour of the week (Poisson within an interval), the
    kinds of contact it carries, callers' patience (``None``: nobody abandons), and the answer
    standard it is judged on (share answered within ``answer_within_seconds``)."""

    channel: Channel
    arrivals: tuple[float, ...]
    kinds: tuple[ContactKind, ...]
    patience: Duration | None
    answer_within_seconds: float
    target_share: float


@dataclass(frozen=True)
class HandlerGroup:
    """Handlers with the same skills and roster. ``skills`` lists the channels they answer;
    whatever they answer, a free handler takes the waiting contact of the highest priority.
    ``roster`` is the number on duty in each of the 336 half hours of the week."""

    name: str
    skills: tuple[Channel, ...]
    roster: tuple[int, ...]


@dataclass(frozen=True)
class RoomModel:
    """Everything the simulation needs. ``source`` says where the figures came from (a period
    of stored contacts, or a file) and is shown with every result."""

    channels: tuple[ChannelModel, ...]
    groups: tuple[HandlerGroup, ...]
    source: str = ""
    notes: tuple[str, ...] = field(default=())

    def channel(self, channel: Channel) -> ChannelModel:
        for model in self.channels:
            if model.channel is channel:
                return model
        raise KeyError(channel)
