"""LocationFix validation, JSON form, and which fix to keep."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import (
    AmlError,
    LocationFix,
    LocationSource,
    apply_aml,
    newer_fix,
    parse_aml,
)

from .test_aml_v1 import EXAMPLE, message

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def fix(**changes: object) -> LocationFix:
    base = LocationFix(source=LocationSource.COORDINATES, lat=50.0, lon=-4.0, positioned_at=T0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": 90.1}, "lat"),
        ({"lat": float("nan")}, "lat"),
        ({"lon": -180.5}, "lon"),
        ({"lon": float("inf")}, "lon"),
        ({"accuracy_m": -1.0}, "accuracy_m"),
        ({"accuracy_m": float("nan")}, "accuracy_m"),
        ({"confidence_pct": 101}, "confidence_pct"),
        ({"altitude_m": 200_000.0}, "altitude_m"),
        ({"vertical_accuracy_m": -2.0}, "vertical_accuracy_m"),
        ({"positioned_at": datetime(2024, 5, 1)}, "positioned_at"),
        ({"call_started_at": datetime(2024, 5, 1)}, "call_started_at"),
    ],
)
def test_out_of_range_values_are_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        fix(**changes)
    assert caught.value.field == field


def test_aware_times_are_converted_to_utc() -> None:
    plus_one = datetime(2024, 5, 1, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    result = fix(positioned_at=plus_one)
    assert result.positioned_at == T0
    assert result.positioned_at is not None and result.positioned_at.tzinfo is UTC


def test_as_dict_is_json_friendly() -> None:
    data = parse_aml(EXAMPLE).as_dict()
    assert data["source"] == "aml_sms_v1"
    assert data["positioned_at"] == "2013-07-17T17:53:29Z"
    assert data["method"] == "gnss"
    assert data["languages"] == [] and data["extra"] == {}


def test_a_fix_is_hashable_and_comparable() -> None:
    assert hash(fix()) == hash(fix())
    assert fix() == fix()


def test_newer_fix_keeps_the_latest_position() -> None:
    older, newer = fix(), fix(positioned_at=T0 + timedelta(seconds=30), lat=50.1)
    assert newer_fix(older, newer) is newer
    assert newer_fix(newer, older) is newer
    assert newer_fix(None, older) is older
    assert newer_fix(older, None) is older
    assert newer_fix(older, fix(positioned_at=None)) is older
    untimed = fix(positioned_at=None)
    assert newer_fix(untimed, older) is older


def test_a_bad_message_never_overwrites_a_good_fix() -> None:
    good = parse_aml(EXAMPLE)
    kept, error = apply_aml(good, EXAMPLE[:90])
    assert kept is good
    assert isinstance(error, AmlError) and error.field == "ml"
    kept, error = apply_aml(good, message(lt="+99.00000"))
    assert kept is good and error is not None and error.field == "lt"


def test_a_good_later_message_replaces_the_fix() -> None:
    good = parse_aml(EXAMPLE)
    later = message(top="20130717175359", lt="+55.74300")
    kept, error = apply_aml(good, later)
    assert error is None and kept is not None and kept.lat == 55.743
    older = message(top="20130717175300", lt="+55.70000")
    kept_again, error = apply_aml(kept, older)
    assert error is None and kept_again is kept


def test_extra_is_a_read_only_copy() -> None:
    source = {"zz": "1"}
    result = fix(extra=source)
    source["zz"] = "2"
    assert result.extra == {"zz": "1"}
    with pytest.raises(TypeError):
        result.extra["zz"] = "3"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.lat = 1.0  # type: ignore[misc]
