"""Timers as pure functions on datetimes: answer targets, the landline window, relay delays.

Nothing here reads a clock; callers pass the times. Every allowance is a parameter with a
default drawn from the reference notes: 999 answered within 10 s, a landline kept open for 45 s
after the handset is put down, about 2 minutes per emergencySMS exchange. The Relay UK and
999 BSL multipliers are not published anywhere we could read; they are defaults for a force to
tune.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import InvalidInput
from controlroom.domain.triage.decision import Channel

#: National standard: 90% of 999 calls answered within 10 seconds.
ANSWER_TARGET = timedelta(seconds=10)
#: A landline handset put down may stay connected this long; picked up in time, it rejoins.
LANDLINE_RECONNECT_WINDOW = timedelta(seconds=45)
#: How long a handler waits for a spoken reply before prompting again.
DEFAULT_REPLY_WAIT = timedelta(seconds=30)


class AnswerBand(StrEnum):
    """The buckets forces publish 999 answer times in."""

    UNDER_10_S = "<10s"
    UNDER_60_S = "10-<60s"
    OVER_60_S = ">=60s"


@dataclass(frozen=True)
class RelayAllowance:
    """How much longer replies take on a channel: each wait is ``max(base * multiplier,
    per_exchange)``."""

    multiplier: float = 1.0
    per_exchange: timedelta = timedelta(0)

    def __post_init__(self) -> None:
        if not self.multiplier >= 1.0:
            raise InvalidInput("a relay multiplier is at least 1", field="multiplier")
        if self.per_exchange < timedelta(0):
            raise InvalidInput("a relay allowance cannot be negative", field="per_exchange")


#: Defaults: 999 BSL interpreters double a spoken wait, Relay UK typing triples it, and
#: emergencySMS users are told to allow about 2 minutes per exchange.
DEFAULT_RELAY_ALLOWANCES: Mapping[Channel, RelayAllowance] = MappingProxyType(
    {
        Channel.BSL_999: RelayAllowance(multiplier=2.0),
        Channel.RELAY_UK_18000: RelayAllowance(multiplier=3.0),
        Channel.EMERGENCY_SMS: RelayAllowance(per_exchange=timedelta(minutes=2)),
    }
)

#: Answer targets by channel. Every route into 999 has the same priority as a voice call;
#: 101, online and chat targets are each force's own and are not set here.
DEFAULT_ANSWER_TARGETS: Mapping[Channel, timedelta] = MappingProxyType(
    {channel: ANSWER_TARGET for channel in Channel if channel.is_emergency_line}
)


def answer_delay(offered: datetime, answered: datetime) -> timedelta:
    """How long the contact waited to be answered."""
    start, end = require_utc(offered, "offered"), require_utc(answered, "answered")
    if end < start:
        raise InvalidInput("answered before it was offered", field="answered")
    return end - start


def answer_band(delay: timedelta) -> AnswerBand:
    """The published bucket a 999 answer time falls in."""
    if delay < timedelta(0):
        raise InvalidInput("an answer time cannot be negative", field="delay")
    if delay < timedelta(seconds=10):
        return AnswerBand.UNDER_10_S
    if delay < timedelta(seconds=60):
        return AnswerBand.UNDER_60_S
    return AnswerBand.OVER_60_S


def answer_due(
    offered: datetime,
    channel: Channel,
    *,
    targets: Mapping[Channel, timedelta] = DEFAULT_ANSWER_TARGETS,
) -> datetime | None:
    """When a contact offered at ``offered`` should be answered by; None without a target."""
    target = targets.get(channel)
    return None if target is None else require_utc(offered, "offered") + target


def answer_overdue(
    offered: datetime,
    now: datetime,
    channel: Channel,
    *,
    targets: Mapping[Channel, timedelta] = DEFAULT_ANSWER_TARGETS,
) -> bool:
    """True when an unanswered contact has passed its answer target."""
    due = answer_due(offered, channel, targets=targets)
    return due is not None and require_utc(now) > due


def within_reconnect_window(
    ended: datetime, at: datetime, *, window: timedelta = LANDLINE_RECONNECT_WINDOW
) -> bool:
    """True when ``at`` is no earlier than ``ended`` and at most ``window`` after it."""
    gap = require_utc(at, "at") - require_utc(ended, "ended")
    return timedelta(0) <= gap <= window


def reconnect_deadline(
    ended: datetime, *, window: timedelta = LANDLINE_RECONNECT_WINDOW
) -> datetime:
    """The last moment a hung-up landline can rejoin its contact."""
    return require_utc(ended, "ended") + window


def relay_allowance(
    channel: Channel, allowances: Mapping[Channel, RelayAllowance] = DEFAULT_RELAY_ALLOWANCES
) -> RelayAllowance:
    """The allowance for ``channel``: none (a multiplier of 1) for voice and text channels."""
    return allowances.get(channel, RelayAllowance())


def reply_wait(
    channel: Channel,
    *,
    base: timedelta = DEFAULT_REPLY_WAIT,
    exchanges: int = 1,
    allowances: Mapping[Channel, RelayAllowance] = DEFAULT_RELAY_ALLOWANCES,
) -> timedelta:
    """How long to wait for ``exchanges`` replies on ``channel`` before chasing the caller."""
    if exchanges < 1:
        raise InvalidInput("wait for at least one exchange", field="exchanges")
    if base < timedelta(0):
        raise InvalidInput("a wait cannot be negative", field="base")
    allowance = relay_allowance(channel, allowances)
    return max(base * allowance.multiplier, allowance.per_exchange) * exchanges


def reply_due(
    last_exchange: datetime,
    channel: Channel,
    *,
    base: timedelta = DEFAULT_REPLY_WAIT,
    exchanges: int = 1,
    allowances: Mapping[Channel, RelayAllowance] = DEFAULT_RELAY_ALLOWANCES,
) -> datetime:
    """When the caller's reply is due, counting from the last exchange."""
    wait = reply_wait(channel, base=base, exchanges=exchanges, allowances=allowances)
    return require_utc(last_exchange, "last_exchange") + wait


def reply_overdue(
    last_exchange: datetime,
    now: datetime,
    channel: Channel,
    *,
    base: timedelta = DEFAULT_REPLY_WAIT,
    allowances: Mapping[Channel, RelayAllowance] = DEFAULT_RELAY_ALLOWANCES,
) -> bool:
    """True when the reply to the last exchange is late, relay delay allowed for."""
    due = reply_due(last_exchange, channel, base=base, allowances=allowances)
    return require_utc(now) > due
