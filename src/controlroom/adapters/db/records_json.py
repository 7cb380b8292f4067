"""A :class:`ContactRecord` as JSON and back, losslessly.

The encoding follows the dataclasses' own fields, so a field added to a record is stored
without a change here: dataclasses become objects, enums their values, datetimes ISO-8601 in
UTC (``2026-01-23T21:00:01.250000Z``), tuples and frozensets lists (frozensets sorted),
mappings objects. Decoding reads the type hints to rebuild the same values; a field missing
from stored JSON takes its default. The top-level object carries ``"format": 1``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import types
import typing
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import cache
from typing import Any

import orjson

from controlroom.domain.contacts import ContactRecord

FORMAT = 1


def record_to_json(record: ContactRecord) -> dict[str, Any]:
    """``record`` as a JSON-ready dict."""
    encoded = _encode(record)
    assert isinstance(encoded, dict)
    return {"format": FORMAT, **encoded}


def record_digest(encoded: Mapping[str, Any]) -> str:
    """The SHA-256 (lower-case hex) of a record's JSON (as :func:`record_to_json` gives it, or
    as read back from storage: the same digest), written compactly with keys sorted at every
    level."""
    return hashlib.sha256(orjson.dumps(encoded, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    # isoformat, not strftime: %Y writes year 999 as "999", which cannot be read back
    return value.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def _encode(value: Any) -> Any:
    kind = type(value)
    encoder = _ENCODERS.get(kind)
    if encoder is None:
        encoder = _ENCODERS[kind] = _encoder(kind)
    return encoder(value)


def _plain(value: Any) -> Any:
    return value


def _enum_value(value: Any) -> Any:
    return value._value_  # what .value gives, without the descriptor (a third of the time)


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


def _encode_mapping(value: Mapping[Any, Any]) -> dict[str, Any]:
    return {str(key): _encode(item) for key, item in value.items()}


def _encode_set(value: frozenset[Any] | set[Any]) -> list[Any]:
    return sorted((_encode(item) for item in value), key=repr)


def _encode_sequence(value: tuple[Any, ...] | list[Any]) -> list[Any]:
    return [_encode(item) for item in value]


_ENCODERS: dict[type, Callable[[Any], Any]] = {}


def _encoder(kind: type) -> Callable[[Any], Any]:
    """How values of exactly ``kind`` are encoded, worked out once per type (records are
    encoded on every save, so the type tests are not repeated for every value)."""
    if issubclass(kind, Enum):
        return _enum_value
    if kind is type(None) or issubclass(kind, bool | int | float | str):
        return _plain
    if issubclass(kind, datetime):
        return _time
    if issubclass(kind, timedelta):
        return _seconds
    if dataclasses.is_dataclass(kind):
        return _dataclass_encoder(kind)
    if issubclass(kind, Mapping):
        return _encode_mapping
    if issubclass(kind, frozenset | set):
        return _encode_set
    if issubclass(kind, tuple | list):
        return _encode_sequence
    return _refuse(kind)


def _dataclass_encoder(kind: type) -> Callable[[Any], dict[str, Any]]:
    """Encodes a dataclass field by field, each as its type hint says (worked out once)."""
    hints = _hints(kind)
    fields = tuple((f.name, _field_encoder(hints[f.name])) for f in dataclasses.fields(kind))

    def encode(value: Any) -> dict[str, Any]:
        out = {}
        for name, encoder in fields:
            item = getattr(value, name)
            out[name] = item if encoder is None else encoder(item)
        return out

    return encode


@cache
def _field_encoder(hint: Any) -> Callable[[Any], Any] | None:
    """How a field with type ``hint`` is encoded: ``None`` for a value stored as it is (text,
    numbers, booleans), or a function; anything but those, enums, times and optional or
    tuple forms of them takes the encoder of the value's own type."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        inner = _field_encoder(options[0]) if len(options) == 1 else _encode
        if inner is None:
            return None
        return lambda value: None if value is None else inner(value)
    if origin is tuple and typing.get_args(hint)[1:] == (Ellipsis,):
        item = _field_encoder(typing.get_args(hint)[0])
        if item is None:
            return list
        return lambda value: [item(one) for one in value]
    if hint in (str, int, float, bool):
        return None
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _enum_value
    if hint is datetime:
        return _time
    return _encode


def _refuse(kind: type) -> Callable[[Any], Any]:
    def refuse(_: Any) -> Any:
        raise TypeError(f"cannot store {kind.__name__} in a contact record")

    return refuse


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(kind: Any, data: Any) -> Any:
    return _decoder(kind)(data)


@cache
def _decoder(kind: Any) -> Callable[[Any], Any]:
    """How JSON for a value of type ``kind`` (a type hint) is decoded, worked out once."""
    origin = typing.get_origin(kind)
    if origin is typing.Union or origin is types.UnionType:
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(options) != 1:  # pragma: no cover - records use X | None only
            raise TypeError(f"cannot decode the union {kind!r}")
        inner = _decoder(options[0])
        return lambda data: None if data is None else inner(data)
    if origin is tuple:
        item = _decoder(typing.get_args(kind)[0])
        return lambda data: tuple(item(value) for value in _list(data, kind))
    if origin is frozenset:
        item = _decoder(typing.get_args(kind)[0])
        return lambda data: frozenset(item(value) for value in _list(data, kind))
    if origin in (Mapping, dict):
        return _mapping_decoder(kind)
    if kind is Any:
        return _plain
    if isinstance(kind, type):
        return _class_decoder(kind)
    raise TypeError(f"cannot decode {kind!r}")  # pragma: no cover - no other hints are used


def _mapping_decoder(kind: Any) -> Callable[[Any], Any]:
    item = _decoder(typing.get_args(kind)[1])

    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {kind!r}, got {data!r}")
        return types.MappingProxyType({str(k): item(v) for k, v in data.items()})

    return decode


def _utc_time(data: Any) -> datetime:
    return datetime.fromisoformat(data).astimezone(UTC)


def _float(data: Any) -> float:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    raise ValueError(f"expected a number, got {data!r}")


def _class_decoder(kind: type) -> Callable[[Any], Any]:
    if issubclass(kind, Enum):
        return kind
    if kind is datetime:
        return _utc_time
    if kind is timedelta:
        return lambda data: timedelta(seconds=data)
    if kind is float:
        return _float
    if kind in (str, int, bool):
        return _exactly(kind)
    if dataclasses.is_dataclass(kind):
        return _dataclass_decoder(kind)
    raise TypeError(f"cannot decode {kind.__name__}")  # pragma: no cover


def _exactly(kind: type) -> Callable[[Any], Any]:
    def decode(data: Any) -> Any:
        if type(data) is not kind:
            raise ValueError(f"expected {kind.__name__}, got {data!r}")
        return data

    return decode


def _dataclass_decoder(kind: type) -> Callable[[Any], Any]:
    hints = _hints(kind)
    names = frozenset(f.name for f in dataclasses.fields(kind) if f.init)
    # field decoders are looked up when first needed: a record's types may refer to each other
    decoders: dict[str, Callable[[Any], Any]] = {}

    def field(name: str) -> Callable[[Any], Any]:
        found = decoders.get(name)
        if found is None:
            found = decoders[name] = _decoder(hints[name])
        return found

    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"expected an object for {kind.__name__}, got {data!r}")
        unknown = data.keys() - names
        if unknown:
            raise ValueError(f"unknown fields for {kind.__name__}: {sorted(unknown)}")
        return kind(**{name: field(name)(value) for name, value in data.items()})

    return decode


def _list(data: Any, kind: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ValueError(f"expected a list for {kind!r}, got {data!r}")
    return data
