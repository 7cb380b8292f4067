"""Rosters. The records hold none: a roster comes from a file (docs/planning.md), or by
default from the staffing calculator: one group per channel, rostered with the handlers that
channel needs in each half hour to meet its standard. 999 handlers answer 999 only (a 999
handler busy on a 101 call cannot answer the next 999 call); 101 handlers also take digital
contacts, after any 101 call waiting."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Protocol

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import (
    INTERVALS_PER_WEEK,
    Channel,
    HandlerGroup,
    RoomModel,
)
from controlroom.domain.planning.validation import validate_model

#: What each default group answers, first its own channel.
DEFAULT_SKILLS: dict[Channel, tuple[Channel, ...]] = {
    Channel.EMERGENCY: (Channel.EMERGENCY,),
    Channel.NON_EMERGENCY: (Channel.NON_EMERGENCY, Channel.DIGITAL),
    Channel.DIGITAL: (Channel.DIGITAL,),
}


class Need(Protocol):
    """Handlers one channel needs in one half hour (the staffing calculator's answer)."""

    @property
    def channel(self) -> Channel: ...

    @property
    def interval(self) -> int: ...

    @property
    def handlers(self) -> int: ...


def groups_from_needs(model: RoomModel, needs: Iterable[Need]) -> tuple[HandlerGroup, ...]:
    """One group per channel of ``model``, rostered with what ``needs`` says it needs."""
    rosters = {channel.channel: [0] * INTERVALS_PER_WEEK for channel in model.channels}
    for need in needs:
        if need.channel in rosters and 0 <= need.interval < INTERVALS_PER_WEEK:
            rosters[need.channel][need.interval] = int(need.handlers)
    present = set(rosters)
    return tuple(
        HandlerGroup(
            name=f"{channel.value} handlers",
            skills=tuple(skill for skill in DEFAULT_SKILLS[channel] if skill in present),
            roster=tuple(roster),
        )
        for channel, roster in rosters.items()
    )


def with_groups(model: RoomModel, groups: tuple[HandlerGroup, ...], said: str) -> RoomModel:
    """``model`` with ``groups`` as its handlers, checked; ``said`` notes where they came from."""
    if not groups:
        raise InvalidInput("the roster has no handler groups", field="groups")
    rostered = replace(model, groups=groups, notes=(*model.notes, f"roster: {said}"))
    validate_model(rostered)
    return rostered


def roster_total(model: RoomModel) -> tuple[int, ...]:
    """Handlers on duty in each half hour, every group together."""
    return tuple(
        sum(group.roster[index] for group in model.groups) for index in range(INTERVALS_PER_WEEK)
    )
