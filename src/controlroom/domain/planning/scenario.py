"""Scenarios are data: changes to a room model, applied in order, giving a new model.

* :class:`MoveShare` moves a share of one channel's inappropriate contacts (by default 999's
  §4.12 calls) to another channel; there they take that channel's handling time for the kind
  ``as_kind`` (``police_non_emergency`` unless told; if the channel has no such kind, an
  exponential with the mean of its whole mix), or a stated one, and stop counting as
  inappropriate.
* :class:`AddHandlers` adds (or, negative, takes away) handlers in a window of the week.
* :class:`Surge` multiplies arrivals in a window by ``1 + percent / 100``.

The kind mix of a channel is one set of shares for the whole week, so moved contacts join the
target channel's mix as the week's average share.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import (
    Channel,
    ChannelModel,
    ContactKind,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)
from controlroom.domain.planning.sampling import mean_of
from controlroom.domain.planning.validation import validate_duration, validate_model
from controlroom.domain.planning.week import Window

#: The kind moved contacts take their handling time from on the target channel by default.
DEFAULT_AS_KIND = "police_non_emergency"


@dataclass(frozen=True)
class MoveShare:
    """Move ``share`` (0-1) of ``source``'s inappropriate contacts to ``target``."""

    share: float
    target: Channel
    source: Channel = Channel.EMERGENCY
    as_kind: str | None = None
    handling: Duration | None = None

    def describe(self) -> str:
        return f"move {self.share:.0%} of inappropriate {self.source.value} to {self.target.value}"


@dataclass(frozen=True)
class AddHandlers:
    """``handlers`` more on duty in ``window`` (in ``group``; the model's first by default)."""

    handlers: int
    window: Window
    group: str | None = None

    def describe(self) -> str:
        return f"add {self.handlers} handlers {self.window.describe()}"


@dataclass(frozen=True)
class Surge:
    """``percent`` more arrivals in ``window`` on ``channels`` (every channel when empty)."""

    percent: float
    window: Window
    channels: tuple[Channel, ...] = ()

    def describe(self) -> str:
        return f"a {self.percent:g}% surge {self.window.describe()}"


Change = MoveShare | AddHandlers | Surge


@dataclass(frozen=True)
class Scenario:
    """A named list of changes."""

    name: str
    changes: tuple[Change, ...]

    def describe(self) -> str:
        return "; ".join(change.describe() for change in self.changes) or "no change"


def apply_scenario(model: RoomModel, scenario: Scenario) -> RoomModel:
    """A new model: ``model`` with every change of ``scenario`` applied in order."""
    for index, change in enumerate(scenario.changes):
        path = f"changes[{index}]"
        if isinstance(change, MoveShare):
            model = _move(model, change, path)
        elif isinstance(change, AddHandlers):
            model = _add(model, change, path)
        else:
            model = _surge(model, change, path)
    note = f"scenario {scenario.name}: {scenario.describe()}"
    changed = replace(model, notes=(*model.notes, note))
    validate_model(changed)
    return changed


def _channel(model: RoomModel, channel: Channel, path: str) -> ChannelModel:
    try:
        return model.channel(channel)
    except KeyError:
        known = ", ".join(item.channel.value for item in model.channels)
        raise InvalidInput(
            f"{path}: the model has no {channel.value} channel", field=path, hint=f"use {known}"
        ) from None


def _swap(model: RoomModel, *changed: ChannelModel) -> RoomModel:
    by_channel = {item.channel: item for item in changed}
    return replace(model, channels=tuple(by_channel.get(c.channel, c) for c in model.channels))


def _move(model: RoomModel, change: MoveShare, path: str) -> RoomModel:
    if not 0 <= change.share <= 1:
        raise InvalidInput(f"{path}.share: must be between 0 and 1", field=f"{path}.share")
    if change.source is change.target:
        raise InvalidInput(f"{path}.to: must differ from from", field=f"{path}.to")
    source = _channel(model, change.source, f"{path}.from")
    target = _channel(model, change.target, f"{path}.to")
    handling = change.handling or _handling_of(target, change.as_kind, path)
    validate_duration(handling, f"{path}.handling")
    wrong = sum(kind.share for kind in source.kinds if kind.inappropriate)
    moved_share = change.share * wrong
    if moved_share <= 0:
        return model
    kept = 1 - moved_share
    source_kinds = tuple(
        replace(
            kind, share=_ratio(kind.share * (1 - change.share if kind.inappropriate else 1), kept)
        )
        for kind in source.kinds
    )
    moved = [value * moved_share for value in source.arrivals]
    new_source = replace(
        source, arrivals=tuple(value * kept for value in source.arrivals), kinds=source_kinds
    )
    total_target, total_moved = sum(target.arrivals), sum(moved)
    total = total_target + total_moved
    name = _free_name(target, f"moved_from_{change.source.value}")
    target_kinds = tuple(
        replace(kind, share=_ratio(kind.share * total_target, total)) for kind in target.kinds
    )
    new_kind = ContactKind(name, _ratio(total_moved, total), handling)
    new_target = replace(
        target,
        arrivals=tuple(a + b for a, b in zip(target.arrivals, moved, strict=True)),
        kinds=(*target_kinds, new_kind),
    )
    return _swap(model, new_source, new_target)


def _ratio(part: float, whole: float) -> float:
    return part / whole if whole > 0 else 0.0


def _handling_of(target: ChannelModel, name: str | None, path: str) -> Duration:
    for kind in target.kinds:
        if kind.name == (name or DEFAULT_AS_KIND):
            return kind.handling
    if name is None:
        mean = sum(kind.share * mean_of(kind.handling) for kind in target.kinds)
        return Duration(DistributionKind.EXPONENTIAL, mean)
    known = ", ".join(kind.name for kind in target.kinds)
    raise InvalidInput(
        f"{path}.as_kind: the {target.channel.value} channel has no kind {name!r}",
        field=f"{path}.as_kind",
        hint=f"use one of: {known}; or give handling_seconds",
    )


def _free_name(channel: ChannelModel, base: str) -> str:
    names = {kind.name for kind in channel.kinds}
    name, number = base, 2
    while name in names:
        name, number = f"{base}_{number}", number + 1
    return name


def _add(model: RoomModel, change: AddHandlers, path: str) -> RoomModel:
    if not model.groups:
        raise InvalidInput(f"{path}: the model has no handler groups", field=path)
    name = change.group or model.groups[0].name
    group = next((item for item in model.groups if item.name == name), None)
    if group is None:
        known = ", ".join(item.name for item in model.groups)
        raise InvalidInput(
            f"{path}.group: no handler group {name!r}", field=f"{path}.group", hint=f"use {known}"
        )
    roster = list(group.roster)
    for interval in change.window.intervals():
        roster[interval] += change.handlers
        if roster[interval] < 0:
            raise InvalidInput(
                f"{path}.handlers: leaves {roster[interval]} handlers on duty in {name!r} "
                f"in half hour {interval}",
                field=f"{path}.handlers",
                hint="take away no more handlers than are on duty",
            )
    new = replace(group, roster=tuple(roster))
    groups: tuple[HandlerGroup, ...] = tuple(new if g.name == name else g for g in model.groups)
    return replace(model, groups=groups)


def _surge(model: RoomModel, change: Surge, path: str) -> RoomModel:
    if change.percent < -100:
        raise InvalidInput(f"{path}.percent: must be -100 or more", field=f"{path}.percent")
    factor = 1 + change.percent / 100
    chosen = change.channels or tuple(item.channel for item in model.channels)
    window = set(change.window.intervals())
    changed = []
    for channel in chosen:
        item = _channel(model, channel, f"{path}.channels")
        arrivals = tuple(
            value * factor if index in window else value
            for index, value in enumerate(item.arrivals)
        )
        changed.append(replace(item, arrivals=arrivals))
    return _swap(model, *changed)
