"""A :class:`ContactRecord` as JSON and back, losslessly.

The encoding follows the dataclasses' own fields, so a field added to a record is stored
without a change here: dataclasses become objects, enums their values, datetimes ISO-8601 in
UTC (``2026-01-23T21:00:01.250000Z``), tuples and frozensets lists (frozensets sorted),
mappings objects. Decoding reads the type hints to rebuild the same values; a field missing
from stored JSON takes its default. The top-level object carries ``"format": 1``.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any

from controlroom.domain.contacts import ContactRecord

FORMAT = 1


def record_to_json(record: ContactRecord) -> dict[str, Any]:
    """``record`` as a JSON-ready dict."""
    encoded = _encode(record)
    assert isinstance(encoded, dict)
    return {"format": FORMAT, **encoded}


def record_from_json(data: Mapping[str, Any]) -> ContactRecord:
    """The record :func:`record_to_json` gave ``data`` for."""
    body = dict(data)
    found = body.pop("format", None)
    if found != FORMAT:
        raise ValueError(f"contact record format {found!r} is not {FORMAT}")
    record = _decode(ContactRecord, body)
    assert isinstance(record, ContactRecord)
    return record


def _time(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} in a contact record")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _encode(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return _time(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): _encode(item) for key, item in value.items()}
    if isinstance(value, frozenset | set):
        return sorted((_encode(item) for item in value), key=repr)
    if isinstance(value, tuple | list):
        return [_encode(item) for item in value]
    raise TypeError(f"cannot store {type(value).__name__} in a contact record")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if data is None:
            return None
        if len(options) != 1:  # pragma: no cover - records use X | None only
            raise TypeError(f"cannot decode the union {kind!r}")
        return _decode(options[0], data)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_decode(item, value) for value in _list(data, kind))
    if origin is frozenset:
        item = typing.get_args(kind)[0]
        return frozenset(_decode(item, value) for value in _list(data, kind))
    if origin in (Mapping, dict):
        _, item = typing.get_args(kind)
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {kind!r}, got {data!r}")
        return types.MappingProxyType({str(k): _decode(item, v) for k, v in data.items()})
    if kind is Any:
        return data
    if isinstance(kind, type):
        return _decode_class(kind, data)
    raise TypeError(f"cannot decode {kind!r}")  # pragma: no cover - no other hints are used


def _decode_class(kind: type, data: Any) -> Any:
    if issubclass(kind, Enum):
        return kind(data)
    if kind is datetime:
        return datetime.fromisoformat(data).astimezone(UTC)
    if kind is timedelta:
        return timedelta(seconds=data)
    if kind is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if kind in (str, int, bool):
        if type(data) is not kind:
            raise ValueError(f"expected {kind.__name__}, got {data!r}")
        return data
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {kind.__name__}, got {data!r}")
        hints = _hints(kind)
        fields = {f.name: f for f in dataclasses.fields(kind) if f.init}
        unknown = set(data) - set(fields)
        if unknown:
            raise ValueError(f"unknown fields for {kind.__name__}: {sorted(unknown)}")
        return kind(**{name: _decode(hints[name], data[name]) for name in fields if name in data})
    raise TypeError(f"cannot decode {kind.__name__}")  # pragma: no cover


def _list(data: Any, kind: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ValueError(f"expected a list for {kind!r}, got {data!r}")
    return data
