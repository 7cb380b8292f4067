"""A model that cannot be simulated is refused with an error naming the field and the fix."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import (
    Channel,
    ContactKind,
    DistributionKind,
    Duration,
    RoomModel,
)
from controlroom.domain.planning.simulation import simulate
from controlroom.domain.planning.staffing import handlers_needed
from tests.domain.planning.helpers import channel, exponential, group

GOOD = RoomModel(
    channels=(channel(Channel.EMERGENCY), channel(Channel.NON_EMERGENCY)),
    groups=(group("all", (Channel.EMERGENCY, Channel.NON_EMERGENCY), 10),),
)


def with_channel(**changes: object) -> RoomModel:
    return replace(GOOD, channels=(replace(GOOD.channels[0], **changes), GOOD.channels[1]))


def refused(model: RoomModel, **kwargs: int) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        simulate(model, **kwargs)  # type: ignore[arg-type]
    error = caught.value
    assert error.field and error.field in error.message
    assert error.hint
    return error


@pytest.mark.parametrize(
    ("model", "field", "words"),
    [
        (
            with_channel(arrivals=(10.0,) * 335 + (-1.0,)),
            "channels[999].arrivals[335]",
            "non-negative",
        ),
        (with_channel(arrivals=(10.0,) * 48), "channels[999].arrivals", "48 values, not 336"),
        (with_channel(arrivals=(math.nan,) * 336), "channels[999].arrivals[0]", "nan"),
        (
            with_channel(
                kinds=(
                    ContactKind("a", 0.5, exponential(60)),
                    ContactKind("b", 0.3, exponential(60)),
                )
            ),
            "channels[999].kinds",
            "add up to 0.8",
        ),
        (with_channel(kinds=()), "channels[999].kinds", "empty"),
        (
            with_channel(kinds=(ContactKind("a", 1.0, exponential(-5)),)),
            "channels[999].kinds[a].handling.mean",
            "positive",
        ),
        (
            with_channel(patience=Duration(DistributionKind.EMPIRICAL, 0, 0, (5.0, 1.0))),
            "channels[999].patience.quantiles",
            "must not decrease",
        ),
        (with_channel(target_share=1.5), "channels[999].target_share", "between 0 and 1"),
        (
            replace(GOOD, groups=(group("all", (Channel.EMERGENCY,), [3] * 300),)),
            "groups[all].roster",
            "300 values",
        ),
        (
            replace(GOOD, groups=(group("all", (Channel.EMERGENCY,), [3] * 335 + [-1]),)),
            "groups[all].roster[335]",
            "whole number",
        ),
        (
            replace(GOOD, groups=(group("999 only", (Channel.EMERGENCY,), 5),)),
            "channels[101]",
            "nobody to answer",
        ),
        (replace(GOOD, channels=(GOOD.channels[0],) * 2), "channels[999]", "given twice"),
        (replace(GOOD, channels=()), "channels", "empty"),
    ],
)
def test_bad_models_are_refused_naming_the_field(model: RoomModel, field: str, words: str) -> None:
    error = refused(model)
    assert error.field == field
    assert words in error.message


def test_bad_run_lengths_are_refused() -> None:
    assert refused(GOOD, weeks=0).field == "weeks"
    assert refused(GOOD, weeks=10_000).field == "weeks"


def test_staffing_needs_no_roster_but_checks_the_rest() -> None:
    unstaffed = replace(GOOD, groups=())
    assert len(handlers_needed(unstaffed)) == 2 * 336
    with pytest.raises(InvalidInput, match="arrivals"):
        handlers_needed(replace(with_channel(arrivals=(1.0,)), groups=()))
