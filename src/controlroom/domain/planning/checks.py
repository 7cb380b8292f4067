"""Whether a room model makes sense, however it was made (records, a file, a scenario). Each
problem is an :class:`InvalidInput` naming the path of the bad figure as the file format
writes it, e.g. ``channels[0].arrivals[12]``."""

from __future__ import annotations

import math

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import (
    INTERVALS_PER_WEEK,
    ChannelModel,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)

#: How far the shares of a channel's kinds may be from adding up to 1.
SHARE_TOLERANCE = 1e-3


def _bad(path: str, message: str, hint: str | None = None) -> InvalidInput:
    return InvalidInput(f"{path}: {message}", field=path, hint=hint)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_duration(duration: Duration, path: str) -> None:
    """A distribution of seconds: a positive mean; an sd for a lognormal; rising quantiles."""
    if not _finite(duration.mean) or duration.mean <= 0:
        raise _bad(f"{path}.mean", "must be a number of seconds above 0")
    if duration.kind is DistributionKind.LOGNORMAL and (
        not _finite(duration.sd) or duration.sd < 0
    ):
        raise _bad(f"{path}.sd", "must be 0 or more")
    if duration.kind is DistributionKind.EMPIRICAL:
        values = duration.quantiles
        if len(values) < 2:
            raise _bad(f"{path}.quantiles", "give at least two values (the 0 and 1 quantiles)")
        for index, value in enumerate(values):
            if not _finite(value) or value < 0:
                raise _bad(f"{path}.quantiles[{index}]", "must be ≥ 0")
            if index and value < values[index - 1]:
                raise _bad(f"{path}.quantiles[{index}]", "must not be below the one before")


def _check_channel(channel: ChannelModel, path: str) -> None:
    if len(channel.arrivals) != INTERVALS_PER_WEEK:
        raise _bad(
            f"{path}.arrivals",
            f"has {len(channel.arrivals)} values; a week has {INTERVALS_PER_WEEK} half hours",
            "give one mean per half hour, Monday 00:00 first",
        )
    for index, value in enumerate(channel.arrivals):
        if not _finite(value) or value < 0:
            raise _bad(f"{path}.arrivals[{index}]", "must be ≥ 0")
    if not channel.kinds:
        raise _bad(f"{path}.kinds", "give at least one kind of contact")
    names: set[str] = set()
    for index, kind in enumerate(channel.kinds):
        where = f"{path}.kinds[{index}]"
        if not kind.name.strip():
            raise _bad(f"{where}.name", "is empty")
        if kind.name in names:
            raise _bad(f"{where}.name", f"{kind.name!r} is named twice")
        names.add(kind.name)
        if not _finite(kind.share) or not 0 <= kind.share <= 1:
            raise _bad(f"{where}.share", "must be between 0 and 1")
        check_duration(kind.handling, f"{where}.handling")
    total = sum(kind.share for kind in channel.kinds)
    if abs(total - 1) > SHARE_TOLERANCE:
        raise _bad(f"{path}.kinds", f"the shares add up to {total:.4f}, not 1")
    if channel.patience is not None:
        check_duration(channel.patience, f"{path}.patience")
    if not _finite(channel.answer_within_seconds) or channel.answer_within_seconds <= 0:
        raise _bad(f"{path}.answer_within_seconds", "must be above 0")
    if not _finite(channel.target_share) or not 0 < channel.target_share <= 1:
        raise _bad(f"{path}.target_share", "must be above 0 and at most 1")


def _check_group(group: HandlerGroup, path: str, model: RoomModel) -> None:
    if not group.name.strip():
        raise _bad(f"{path}.name", "is empty")
    present = {channel.channel for channel in model.channels}
    if not group.skills:
        raise _bad(f"{path}.skills", "give at least one channel")
    for index, skill in enumerate(group.skills):
        if skill not in present:
            known = ", ".join(channel.channel.value for channel in model.channels)
            raise _bad(f"{path}.skills[{index}]", f"the model has no {skill.value} channel", known)
    if len(group.roster) != INTERVALS_PER_WEEK:
        raise _bad(
            f"{path}.roster",
            f"has {len(group.roster)} values; a week has {INTERVALS_PER_WEEK} half hours",
        )
    for index, value in enumerate(group.roster):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise _bad(f"{path}.roster[{index}]", "must be a whole number ≥ 0")


def check_model(model: RoomModel) -> RoomModel:
    """``model`` unchanged when it is sound; :class:`InvalidInput` naming the first problem."""
    if not model.channels:
        raise _bad("channels", "give at least one channel")
    seen: set[str] = set()
    for index, channel in enumerate(model.channels):
        if channel.channel.value in seen:
            raise _bad(f"channels[{index}].channel", f"{channel.channel.value} is given twice")
        seen.add(channel.channel.value)
        _check_channel(channel, f"channels[{index}]")
    if not model.groups:
        raise _bad("groups", "give at least one handler group", "or supply a roster file")
    names: set[str] = set()
    for index, group in enumerate(model.groups):
        if group.name in names:
            raise _bad(f"groups[{index}].name", f"{group.name!r} is named twice")
        names.add(group.name)
        _check_group(group, f"groups[{index}]", model)
    return model
