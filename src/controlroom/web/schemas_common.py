"""What every request body shares: the bounded time type, the text lengths, strict input.

Every time a client gives goes through :data:`BoundedTime`, so every one is refused the same
way outside the range the service can store and read back (``domain/time_range.py``). Every
input model derives from :class:`InputModel`, which refuses a lone surrogate in any text (it
is not Unicode and cannot be stored) and booleans where a number is expected.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from controlroom.domain.time_range import RANGE_TEXT, out_of_range

#: the longest caller name, agent reason or other one-line text
NAME_CHARS = 200
#: the longest reason given for a move
REASON_CHARS = 2_000
#: the longest note, observation or consideration
NOTE_CHARS = 10_000
#: the longest narrative (the shipped policy's ``limits.max_text_chars``; a force's policy
#: may set a lower one, which triage then enforces)
NARRATIVE_CHARS = 131_072

_SURROGATE = re.compile("[\ud800-\udfff]")


def _within_range(moment: datetime) -> datetime:
    why = out_of_range(moment)
    if why is not None:
        raise ValueError(why)
    return moment


#: A time given by a client: ISO 8601 with a time zone, within the accepted range.
BoundedTime = Annotated[
    AwareDatetime,
    AfterValidator(_within_range),
    Field(
        description=f"ISO 8601 with a time zone (e.g. Z), {RANGE_TEXT}.",
        examples=["2026-01-23T21:00:00Z"],
    ),
]


def surrogate_in(value: Any) -> bool:
    """True when ``value`` (text, or a list or mapping holding text) has a lone surrogate."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list | tuple | frozenset | set):
        return any(surrogate_in(item) for item in value)
    if isinstance(value, Mapping):
        return any(surrogate_in(key) or surrogate_in(item) for key, item in value.items())
    return False


def text(max_chars: int, description: str, *, min_chars: int = 0) -> Any:
    """A ``Field`` for free text of at most ``max_chars`` characters."""
    return Field(min_length=min_chars, max_length=max_chars, description=description)


class InputModel(BaseModel):
    """Base of request bodies: lone surrogates refused in every text field (422), numbers
    never taken from booleans."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _unicode_only(cls, value: Any) -> Any:
        if surrogate_in(value):
            raise ValueError("contains an unpaired surrogate (not valid Unicode)")
        return value


#: A finite number, never taken from true or false (nor from text).
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
