"""The room-model file (``controlroom.room-model/1``) and the roster file
(``controlroom.roster/1``): JSON, documented in docs/planning.md.

Pydantic checks the shape (keys, types, allowed values; unknown keys are errors); the domain's
:func:`validate_model` checks the figures (336 half hours, shares adding up to 1, skills naming
channels of the model). Either way the error names the path of the bad field, e.g.
``channels[0].arrivals[12]: must be ≥ 0``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.export import MODEL_FORMAT, model_to_data
from controlroom.domain.planning.model import (
    Channel,
    ChannelModel,
    ContactKind,
    DistributionKind,
    Duration,
    HandlerGroup,
    RoomModel,
)
from controlroom.domain.planning.validation import validate_model

ROSTER_FORMAT = "controlroom.roster/1"
#: The largest file read, in bytes.
MAX_BYTES = 20_000_000

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
#: Enums are read from their values (strict mode would want the members themselves).
ChannelName = Annotated[Channel, Field(strict=False)]
KindName = Annotated[DistributionKind, Field(strict=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class DurationIn(_Strict):
    kind: KindName
    mean: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    sd: NonNegative = 0.0
    quantiles: list[NonNegative] = []


class KindIn(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    share: Annotated[float, Field(ge=0, le=1)]
    handling: DurationIn
    inappropriate: bool = False
    genuine_emergency: bool = False


class ChannelIn(_Strict):
    channel: ChannelName
    arrivals: list[NonNegative]
    kinds: list[KindIn]
    patience: DurationIn | None
    answer_within_seconds: Annotated[float, Field(gt=0, allow_inf_nan=False)]
    target_share: Annotated[float, Field(gt=0, le=1)]


class GroupIn(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    skills: list[ChannelName]
    roster: list[Annotated[int, Field(ge=0)]]


class ModelIn(_Strict):
    format: Literal["controlroom.room-model/1"]
    source: str = ""
    notes: list[str] = []
    channels: list[ChannelIn]
    groups: list[GroupIn] = []


class RosterIn(_Strict):
    format: Literal["controlroom.roster/1"]
    groups: list[GroupIn]


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    words = {
        "missing": "is missing",
        "extra_forbidden": "is not a known key",
        "greater_than_equal": f"must be ≥ {_num(ctx.get('ge'))}",
        "greater_than": f"must be > {_num(ctx.get('gt'))}",
        "less_than_equal": f"must be ≤ {_num(ctx.get('le'))}",
        "float_type": "must be a number",
        "int_type": "must be a whole number",
        "string_type": "must be a string",
        "bool_type": "must be true or false",
        "list_type": "must be a list",
        "finite_number": "must be a finite number",
        "enum": f"must be one of {ctx.get('expected')}",
    }
    if kind in words:
        return words[kind]
    if kind == "literal_error" and error["loc"][-1:] == ("format",):
        return f"must be {ctx.get('expected')}"
    return str(error["msg"])


def _validated(raw: object, schema: type[_Strict], name: str) -> Any:
    try:
        return schema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = _path(tuple(first["loc"])) or name
        hint = f"see docs/planning.md ({name})"
        raise InvalidInput(f"{path}: {_message(first)}", field=path, hint=hint) from None


def _duration(item: DurationIn) -> Duration:
    return Duration(item.kind, item.mean, item.sd, tuple(item.quantiles))


def _groups(items: list[GroupIn]) -> tuple[HandlerGroup, ...]:
    return tuple(HandlerGroup(g.name, tuple(g.skills), tuple(g.roster)) for g in items)


def model_from_data(raw: object) -> RoomModel:
    """A checked :class:`RoomModel` from parsed JSON."""
    parsed: ModelIn = _validated(raw, ModelIn, MODEL_FORMAT)
    channels = tuple(
        ChannelModel(
            channel=c.channel,
            arrivals=tuple(c.arrivals),
            kinds=tuple(
                ContactKind(
                    k.name, k.share, _duration(k.handling), k.inappropriate, k.genuine_emergency
                )
                for k in c.kinds
            ),
            patience=None if c.patience is None else _duration(c.patience),
            answer_within_seconds=c.answer_within_seconds,
            target_share=c.target_share,
        )
        for c in parsed.channels
    )
    model = RoomModel(channels, _groups(parsed.groups), parsed.source, tuple(parsed.notes))
    validate_model(model)
    return model


def groups_from_data(raw: object) -> tuple[HandlerGroup, ...]:
    """Handler groups from a parsed roster file (or the groups of a room-model file)."""
    if isinstance(raw, dict) and raw.get("format") == MODEL_FORMAT:
        return model_from_data(raw).groups
    parsed: RosterIn = _validated(raw, RosterIn, ROSTER_FORMAT)
    return _groups(parsed.groups)


def read_text(path: Path) -> str:
    """The UTF-8 text of the file at ``path`` (at most :data:`MAX_BYTES`), with errors saying
    what is wrong with the file."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InvalidInput(f"{path} is larger than {MAX_BYTES:,} bytes", field=str(path))
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field=str(path)) from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8 text", field=str(path)) from None


def read_json(path: Path) -> object:
    """Parsed JSON from ``path``, with errors saying where the file is wrong."""
    return parse_json(read_text(path), str(path))


def parse_json(text: str, name: str) -> object:
    """Parsed JSON; :class:`InvalidInput` with line and column when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{name}: not JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", field=name
        ) from None


def read_model(path: Path) -> RoomModel:
    """The room model in the file at ``path``."""
    return model_from_data(read_json(path))


def read_roster(path: Path) -> tuple[HandlerGroup, ...]:
    """The handler groups in the roster (or room-model) file at ``path``."""
    return groups_from_data(read_json(path))


def model_to_json(model: RoomModel) -> str:
    """``model`` as the text of a room-model file."""
    return json.dumps(model_to_data(model), indent=1, ensure_ascii=False) + "\n"
