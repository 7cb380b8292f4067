"""AML v2 SMS: fields, offsets from the call start, errors and round trips."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import (
    AmlError,
    LocationFix,
    LocationSource,
    PositioningMethod,
    format_aml_v2,
    parse_aml,
)

from .strategies import no_value, v2_fixes

FIELDS = {
    "en": "999",
    "et": "1700000000",
    "lo": "50.37120,-4.14270,12",
    "lt": "-5",
    "lc": "68",
    "lz": "35.5,4",
    "ls": "F",
    "ei": "356708041746734",
    "nc": "23415",
    "hc": "234100",
    "lg": "en-GB,cy",
}
CALL_START = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


def message(**changes: str | None) -> str:
    fields = {**FIELDS, **changes}
    return 'A"ML=2;' + ";".join(f"{k}={v}" for k, v in fields.items() if v is not None)


def test_a_full_v2_message() -> None:
    fix = parse_aml(message())
    assert fix.source is LocationSource.AML_SMS_V2
    assert (fix.lat, fix.lon, fix.accuracy_m) == (50.3712, -4.1427, 12)
    assert fix.emergency_number == "999"
    assert fix.call_started_at == CALL_START
    assert fix.positioned_at == CALL_START - timedelta(seconds=5)
    assert fix.confidence_pct == 68
    assert (fix.altitude_m, fix.vertical_accuracy_m) == (35.5, 4)
    assert fix.method is PositioningMethod.FUSED
    assert fix.imei == "356708041746734"
    assert (fix.network_mcc, fix.network_mnc) == ("234", "15")
    assert (fix.home_mcc, fix.home_mnc) == ("234", "100")
    assert fix.languages == ("en-GB", "cy")
    assert fix.imsi is None


def test_location_time_is_an_offset_from_the_call_start() -> None:
    assert parse_aml(message(lt="18")).positioned_at == CALL_START + timedelta(seconds=18)
    assert parse_aml(message(lt=None)).positioned_at is None


def test_only_en_et_and_lo_are_required() -> None:
    fix = parse_aml('A"ML=2;en=112;et=1700000000;lo=-33.8688,151.2093,30')
    assert fix.method is PositioningMethod.UNKNOWN
    assert (fix.confidence_pct, fix.altitude_m, fix.languages) == (None, None, ())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"en": None}, "en"),
        ({"en": "9"}, "en"),
        ({"en": "99a"}, "en"),
        ({"et": None}, "et"),
        ({"et": "17000000x"}, "et"),
        ({"et": "100"}, "et"),
        ({"lo": None}, "lo"),
        ({"lo": "50.3712,-4.1427"}, "lo"),
        ({"lo": "50.3712,-4.1427,12,1"}, "lo"),
        ({"lo": "95,-4.1427,12"}, "lo"),
        ({"lo": "50.3712,-184,12"}, "lo"),
        ({"lo": "50.3712,-4.1427,-3"}, "lo"),
        ({"lo": "nan,-4.1427,3"}, "lo"),
        ({"lo": "5e1,-4.1427,3"}, "lo"),
        ({"lt": "1.5"}, "lt"),
        ({"lt": "86401"}, "lt"),
        ({"lc": "200"}, "lc"),
        ({"lz": "35"}, "lz"),
        ({"lz": "35,-1"}, "lz"),
        ({"ls": "X"}, "ls"),
        ({"ls": "N"}, "ls"),
        ({"ei": "12"}, "ei"),
        ({"nc": "2341"}, "nc"),
        ({"hc": "2341000"}, "hc"),
        ({"lg": "e"}, "lg"),
        ({"lg": "en_GB"}, "lg"),
        ({"lg": "en,,cy"}, "lg"),
    ],
)
def test_each_bad_field_is_named(changes: dict[str, str | None], field: str) -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(message(**changes))
    assert caught.value.field == field
    assert caught.value.hint


def test_unknown_keys_are_kept() -> None:
    assert parse_aml(message(xx="1")).extra == {"xx": "1"}


def test_the_writer_needs_number_call_start_and_accuracy() -> None:
    fix = parse_aml(message())
    for name in ("emergency_number", "call_started_at", "accuracy_m"):
        with pytest.raises(InvalidInput) as caught:
            format_aml_v2(dataclasses.replace(fix, **no_value(name)))
        assert caught.value.field == name


def test_the_writer_reproduces_a_message() -> None:
    text = 'A"ML=2;en=999;et=1700000000;lo=50.3712,-4.1427,12;lt=-5;lc=68;lz=35.5,4;ls=F'
    assert format_aml_v2(parse_aml(text)) == text


@given(v2_fixes())
def test_round_trip_format_then_parse(fix: LocationFix) -> None:
    parsed = parse_aml(format_aml_v2(fix))
    assert dataclasses.replace(parsed, raw=None, flags=()) == fix
