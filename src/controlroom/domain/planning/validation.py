"""Checks a :class:`RoomModel` before it is simulated or staffed: every mistake is reported as
:class:`InvalidInput` naming the field (``channels[999].arrivals[12]``) and how to fix it."""

from __future__ import annotations

import math

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import (
    INTERVALS_PER_WEEK,
    Channel,
    ChannelModel,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)

SHARE_TOLERANCE = 1e-6


def _fail(field: str, message: str, hint: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", field=field, hint=hint)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_duration(duration: Duration, field: str) -> None:
    """A duration the samplers can draw from: a known kind, finite non-negative figures."""
    if not isinstance(duration, Duration) or duration.kind not in tuple(DistributionKind):
        raise _fail(field, "is not a distribution", "give exponential, lognormal or empirical")
    if duration.kind is DistributionKind.EMPIRICAL:
        q = duration.quantiles
        if len(q) < 2 or not all(_finite(v) and v >= 0 for v in q):
            raise _fail(
                f"{field}.quantiles",
                "needs at least two finite values of seconds, none negative",
                "give the values at probabilities 0, 1/n, ..., 1",
            )
        if any(q[i] > q[i + 1] for i in range(len(q) - 1)):
            raise _fail(f"{field}.quantiles", "must not decrease", "sort the quantiles")
        return
    if not _finite(duration.mean) or duration.mean <= 0:
        raise _fail(
            f"{field}.mean",
            f"must be a positive number of seconds, not {duration.mean}",
            "give the mean in seconds",
        )
    if duration.kind is DistributionKind.LOGNORMAL and (
        not _finite(duration.sd) or duration.sd < 0
    ):
        raise _fail(
            f"{field}.sd",
            f"must be a non-negative number of seconds, not {duration.sd}",
            "give the standard deviation in seconds (0 for a fixed time)",
        )


def _validate_channel(model: ChannelModel) -> None:
    name = f"channels[{model.channel}]"
    if len(model.arrivals) != INTERVALS_PER_WEEK:
        raise _fail(
            f"{name}.arrivals",
            f"has {len(model.arrivals)} values, not {INTERVALS_PER_WEEK}",
            "give one mean per half hour of the week, Monday 00:00 first",
        )
    for i, value in enumerate(model.arrivals):
        if not _finite(value) or value < 0:
            raise _fail(
                f"{name}.arrivals[{i}]",
                f"must be a non-negative number, not {value}",
                "give the mean number of contacts arriving in that half hour",
            )
    if not model.kinds:
        raise _fail(f"{name}.kinds", "is empty", "give at least one kind of contact")
    for kind in model.kinds:
        if not _finite(kind.share) or kind.share < 0:
            raise _fail(
                f"{name}.kinds[{kind.name}].share",
                f"must be a non-negative number, not {kind.share}",
                "give the kind's share of the channel's contacts, 0 to 1",
            )
        validate_duration(kind.handling, f"{name}.kinds[{kind.name}].handling")
    total = sum(kind.share for kind in model.kinds)
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise _fail(
            f"{name}.kinds",
            f"shares add up to {total:.6g}, not 1",
            "make the kinds' shares of the channel add up to 1",
        )
    if model.patience is not None:
        validate_duration(model.patience, f"{name}.patience")
    if not _finite(model.answer_within_seconds) or model.answer_within_seconds < 0:
        raise _fail(
            f"{name}.answer_within_seconds",
            f"must be a non-negative number, not {model.answer_within_seconds}",
            "give the answer standard in seconds (10 for 999)",
        )
    if not _finite(model.target_share) or not 0 <= model.target_share <= 1:
        raise _fail(
            f"{name}.target_share",
            f"must be between 0 and 1, not {model.target_share}",
            "give the share to answer within the standard (0.9 for 90%)",
        )


def _validate_group(group: HandlerGroup) -> None:
    name = f"groups[{group.name}]"
    if not group.skills or not all(isinstance(s, Channel) for s in group.skills):
        raise _fail(
            f"{name}.skills",
            "must list at least one channel",
            "give the channels the group answers: 999, 101, digital",
        )
    if len(group.roster) != INTERVALS_PER_WEEK:
        raise _fail(
            f"{name}.roster",
            f"has {len(group.roster)} values, not {INTERVALS_PER_WEEK}",
            "give the number on duty in each half hour of the week, Monday 00:00 first",
        )
    for i, value in enumerate(group.roster):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _fail(
                f"{name}.roster[{i}]",
                f"must be a whole number, 0 or more, not {value}",
                "give the number of handlers on duty in that half hour",
            )


def validate_model(model: RoomModel, *, staffed: bool = True) -> None:
    """Raise :class:`InvalidInput` for the first thing wrong with ``model``; with ``staffed``,
    a channel with contacts and nobody rostered to answer it is wrong too."""
    if not model.channels:
        raise _fail("channels", "is empty", "give at least one channel")
    seen: set[Channel] = set()
    for channel in model.channels:
        if channel.channel in seen:
            raise _fail(f"channels[{channel.channel}]", "is given twice", "give each channel once")
        seen.add(channel.channel)
        _validate_channel(channel)
    names: set[str] = set()
    for group in model.groups:
        if group.name in names:
            raise _fail(f"groups[{group.name}]", "is given twice", "give each group a new name")
        names.add(group.name)
        _validate_group(group)
    for channel in model.channels if staffed else ():
        if sum(channel.arrivals) > 0 and not any(
            channel.channel in g.skills and any(g.roster) for g in model.groups
        ):
            raise _fail(
                f"channels[{channel.channel}]",
                "has contacts but nobody to answer them",
                f"give a handler group with the skill {channel.channel} and a roster",
            )
