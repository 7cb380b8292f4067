"""Rosters. The records hold none: a roster comes from a file (``controlroom.roster/1``,
docs/planning.md), or by default from the staffing calculator
(:func:`~controlroom.domain.planning.staffing.staffed_model`: one group per channel, answering
only that channel, rostered with the handlers it needs in each half hour to meet its
standard)."""

from __future__ import annotations

from dataclasses import replace

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import HandlerGroup, RoomModel
from controlroom.domain.planning.staffing import staffed_model
from controlroom.domain.planning.validation import validate_model

DEFAULT_ROSTER = "the staffing calculator's handlers for each channel"


def with_groups(model: RoomModel, groups: tuple[HandlerGroup, ...], said: str) -> RoomModel:
    """``model`` with ``groups`` as its handlers, checked; ``said`` notes where they came from."""
    if not groups:
        raise InvalidInput("the roster has no handler groups", field="groups")
    present = {channel.channel for channel in model.channels}
    for index, group in enumerate(groups):
        for skill in group.skills:
            if skill not in present:
                raise InvalidInput(
                    f"groups[{index}].skills: the model has no {skill.value} channel",
                    field=f"groups[{index}].skills",
                )
    rostered = replace(model, groups=groups, notes=(*model.notes, f"roster: {said}"))
    validate_model(rostered)
    return rostered


def default_roster(model: RoomModel) -> RoomModel:
    """``model`` rostered by the staffing calculator, its groups named ``999 handlers``,
    ``101 handlers``... (as in the demo model, so that scenarios name them the same)."""
    staffed = staffed_model(replace(model, groups=()))
    groups = tuple(
        replace(group, name=f"{group.skills[0].value} handlers") for group in staffed.groups
    )
    return replace(staffed, groups=groups, notes=(*model.notes, f"roster: {DEFAULT_ROSTER}"))
