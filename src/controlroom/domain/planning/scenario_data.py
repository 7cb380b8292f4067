"""A scenario from plain data (a TOML file, a JSON body, a form): ``controlroom.scenario/1``,
documented in docs/planning.md. Errors name the path of the bad field, e.g.
``changes[1].from: '18:15' is not a time on the half hour``."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import Channel, DistributionKind, Duration
from controlroom.domain.planning.scenario import (
    AddHandlers,
    Change,
    MoveShare,
    Scenario,
    Surge,
)
from controlroom.domain.planning.week import parse_window

SCENARIO_FORMAT = "controlroom.scenario/1"
#: The most changes one scenario holds.
MAX_CHANGES = 50
#: Bounds that keep a run of a scenario to a sensible size.
MAX_SURGE_PERCENT = 1000
MAX_HANDLERS = 1000
MAX_HANDLING_SECONDS = 86_400
_KEYS = {
    "move": {"type", "share", "percent", "from", "to", "as_kind", "handling_seconds"},
    "add_handlers": {"type", "handlers", "days", "from", "to", "group"},
    "surge": {"type", "percent", "days", "from", "to", "channels"},
}


def _bad(path: str, message: str, hint: str | None = None) -> InvalidInput:
    return InvalidInput(f"{path}: {message}", field=path, hint=hint)


def _number(raw: Mapping[str, Any], key: str, path: str) -> float:
    value = raw.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(f"{path}.{key}", "must be a number")
    return float(value)


def _channel(value: object, path: str) -> Channel:
    try:
        return Channel(str(value))
    except ValueError:
        known = ", ".join(channel.value for channel in Channel)
        raise _bad(path, f"{value!r} is not a channel", f"use one of: {known}") from None


def _move(raw: Mapping[str, Any], path: str) -> MoveShare:
    if ("share" in raw) == ("percent" in raw):
        raise _bad(path, "give share (0-1) or percent (0-100), not both")
    share = _number(raw, "share", path) if "share" in raw else _number(raw, "percent", path) / 100
    if not 0 <= share <= 1:
        key = "share" if "share" in raw else "percent"
        raise _bad(f"{path}.{key}", "must be between 0 and 1 (0 and 100 for percent)")
    if "to" not in raw:
        raise _bad(f"{path}.to", "is missing", "say where the calls go: 101 or digital")
    handling = None
    if "handling_seconds" in raw:
        seconds = _number(raw, "handling_seconds", path)
        if not 0 < seconds <= MAX_HANDLING_SECONDS:
            raise _bad(
                f"{path}.handling_seconds", f"must be above 0 and at most {MAX_HANDLING_SECONDS}"
            )
        handling = Duration(DistributionKind.EXPONENTIAL, seconds)
    as_kind = raw.get("as_kind")
    if as_kind is not None and (not isinstance(as_kind, str) or not as_kind):
        raise _bad(f"{path}.as_kind", "must be the name of a kind")
    return MoveShare(
        share=share,
        target=_channel(raw["to"], f"{path}.to"),
        source=_channel(raw.get("from", Channel.EMERGENCY.value), f"{path}.from"),
        as_kind=as_kind,
        handling=handling,
    )


def _window_of(raw: Mapping[str, Any], path: str) -> Any:
    for key in ("from", "to"):
        if key not in raw:
            raise _bad(f"{path}.{key}", "is missing", "give a time such as 18:00")
    return parse_window(raw.get("days", "all"), raw["from"], raw["to"], path)


def _add(raw: Mapping[str, Any], path: str) -> AddHandlers:
    handlers = raw.get("handlers")
    if isinstance(handlers, bool) or not isinstance(handlers, int) or handlers == 0:
        raise _bad(f"{path}.handlers", "must be a whole number other than 0", "e.g. 2, or -1")
    if abs(handlers) > MAX_HANDLERS:
        raise _bad(f"{path}.handlers", f"must be between -{MAX_HANDLERS} and {MAX_HANDLERS}")
    group = raw.get("group")
    if group is not None and (not isinstance(group, str) or not group):
        raise _bad(f"{path}.group", "must be the name of a handler group")
    return AddHandlers(handlers, _window_of(raw, path), group)


def _surge(raw: Mapping[str, Any], path: str) -> Surge:
    percent = _number(raw, "percent", path)
    if not -100 <= percent <= MAX_SURGE_PERCENT:
        raise _bad(f"{path}.percent", f"must be from -100 to {MAX_SURGE_PERCENT}")
    channels = raw.get("channels", [])
    if isinstance(channels, str):
        channels = [channels]
    if not isinstance(channels, list):
        raise _bad(f"{path}.channels", "must be a list of channels")
    chosen = tuple(_channel(c, f"{path}.channels[{i}]") for i, c in enumerate(channels))
    return Surge(percent, _window_of(raw, path), chosen)


def _change(raw: object, path: str) -> Change:
    if not isinstance(raw, Mapping):
        raise _bad(path, "must be a table of keys")
    kind = raw.get("type")
    if kind not in _KEYS:
        raise _bad(f"{path}.type", f"{kind!r} is not a change", "use move, add_handlers or surge")
    unknown = sorted(set(raw) - _KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(_KEYS[kind]))
        raise _bad(f"{path}.{unknown[0]}", "is not a known key", f"a {kind} takes {allowed}")
    if kind == "move":
        return _move(raw, path)
    if kind == "add_handlers":
        return _add(raw, path)
    return _surge(raw, path)


def scenario_from_data(raw: object) -> Scenario:
    """A :class:`Scenario` from parsed TOML or JSON."""
    if not isinstance(raw, Mapping):
        raise _bad("scenario", "must be a table with format, name and changes")
    if raw.get("format") != SCENARIO_FORMAT:
        raise _bad("format", f"must be {SCENARIO_FORMAT!r}")
    unknown = sorted(set(raw) - {"format", "name", "changes"})
    if unknown:
        raise _bad(unknown[0], "is not a known key", "a scenario has format, name and changes")
    name = raw.get("name", "scenario")
    if not isinstance(name, str) or not name.strip():
        raise _bad("name", "must be a non-empty string")
    changes = raw.get("changes")
    if not isinstance(changes, list) or not changes:
        raise _bad("changes", "give at least one change", "[[changes]] tables in TOML")
    if len(changes) > MAX_CHANGES:
        raise _bad("changes", f"at most {MAX_CHANGES} changes")
    return Scenario(name.strip(), tuple(_change(c, f"changes[{i}]") for i, c in enumerate(changes)))
