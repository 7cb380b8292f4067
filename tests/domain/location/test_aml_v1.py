"""AML v1 SMS: the standard's example, every field's validation, truncation and round trips."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import (
    AmlError,
    LocationFix,
    LocationSource,
    PositioningMethod,
    format_aml_v1,
    parse_aml,
    parse_aml_v1,
)
from controlroom.domain.location.aml_format import with_length

from .strategies import no_value, v1_fixes

EXAMPLE = (
    'A"ML=1;lt=+55.74297;lg=-4.26880;rd=10;top=20130717175329;lc=95;pm=G;'
    "si=234302543446355;ei=356708041746734;mcc=234;mnc=30;ml=127"
)
FIELDS = {
    "lt": "+55.74297",
    "lg": "-4.26880",
    "rd": "10",
    "top": "20130717175329",
    "lc": "95",
    "pm": "G",
    "si": "234302543446355",
    "ei": "356708041746734",
    "mcc": "234",
    "mnc": "30",
}


def message(**changes: str | None) -> str:
    """The example with fields changed (None drops one) and ``ml`` recomputed."""
    fields = {**FIELDS, **changes}
    body = ";".join(f"{key}={value}" for key, value in fields.items() if value is not None)
    return with_length(f'A"ML=1;{body};ml=')


def test_the_standards_example_parses_field_by_field() -> None:
    assert len(EXAMPLE) == 127
    fix = parse_aml(EXAMPLE)
    assert fix.source is LocationSource.AML_SMS_V1
    assert (fix.lat, fix.lon) == (55.74297, -4.2688)
    assert fix.accuracy_m == 10
    assert fix.positioned_at == datetime(2013, 7, 17, 17, 53, 29, tzinfo=UTC)
    assert fix.confidence_pct == 95
    assert fix.method is PositioningMethod.GNSS
    assert (fix.imsi, fix.imei) == ("234302543446355", "356708041746734")
    assert (fix.network_mcc, fix.network_mnc) == ("234", "30")
    assert fix.flags == ()
    assert fix.extra == {}
    assert fix.raw == EXAMPLE


def test_the_writer_reproduces_the_standards_example() -> None:
    assert format_aml_v1(parse_aml(EXAMPLE)) == EXAMPLE
    assert message() == EXAMPLE


@pytest.mark.parametrize("size", [9, 99, 100, 998])
def test_ml_counts_its_own_digits(size: int) -> None:
    prefix = 'A"ML=1;' + "x" * (size - len('A"ML=1;')) + ";ml="
    assert len(with_length(prefix)) == int(with_length(prefix).rpartition("=")[2])


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"lt": "55.74297"}, "lt", "format"),
        ({"lt": "+55.7429"}, "lt", "format"),
        ({"lt": "+55.742970"}, "lt", "format"),
        ({"lt": "+95.00000"}, "lt", "out of range"),
        ({"lt": "+5a.74297"}, "lt", "format"),
        ({"lt": ""}, "lt", "empty"),
        ({"lt": None}, "lt", "missing"),
        ({"lg": "-190.00000"}, "lg", "out of range"),
        ({"lg": "-4.2688"}, "lg", "format"),
        ({"lg": "--4.26880"}, "lg", "format"),
        ({"rd": "-1"}, "rd", "whole number"),
        ({"rd": "10.5"}, "rd", "whole number"),
        ({"rd": "1000001"}, "rd", "out of range"),
        ({"top": "2013071717532"}, "top", "YYYYMMDDhhmmss"),
        ({"top": "20131317175329"}, "top", "real date"),
        ({"top": "20130230120000"}, "top", "real date"),
        ({"top": "20130717245329"}, "top", "real date"),
        ({"top": "2013-07-17T17:5"}, "top", "YYYYMMDDhhmmss"),
        ({"lc": "101"}, "lc", "out of range"),
        ({"lc": "-1"}, "lc", "whole number"),
        ({"lc": "９５"}, "lc", "whole number"),
        ({"pm": "X"}, "pm", "not known"),
        ({"pm": "N"}, "pm", "no location"),
        ({"pm": "g"}, "pm", "not known"),
        ({"si": "1234567890123456"}, "si", "digits"),
        ({"si": "23430254344635x"}, "si", "digits"),
        ({"ei": "1234567890123"}, "ei", "digits"),
        ({"ei": "12345678901234567"}, "ei", "digits"),
        ({"mcc": "23"}, "mcc", "digits"),
        ({"mnc": "3"}, "mnc", "digits"),
        ({"mnc": "3000"}, "mnc", "digits"),
    ],
)
def test_each_bad_field_is_named(changes: dict[str, str | None], field: str, words: str) -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(message(**changes))
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.hint
    assert caught.value.as_dict()["code"] == "invalid_aml"
    assert isinstance(caught.value, InvalidInput)


def test_a_wrong_ml_is_refused() -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(EXAMPLE.replace("ml=127", "ml=128"))
    assert caught.value.field == "ml"
    assert "127 characters" in caught.value.message


@pytest.mark.parametrize("cut", range(len(EXAMPLE)))
def test_every_truncation_of_the_example_is_refused(cut: int) -> None:
    with pytest.raises(AmlError):
        parse_aml(EXAMPLE[:cut])


def test_truncation_before_ml_says_ml_is_missing() -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(EXAMPLE[:100])
    assert caught.value.field == "ml"
    assert "truncated" in caught.value.message


def test_non_numeric_ml_is_refused() -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(EXAMPLE.replace("ml=127", "ml=12x"))
    assert caught.value.field == "ml"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (with_length('A"ML=1;lt=+55.74297;lt=+55.74297;ml='), "lt"),
        (with_length('A"ML=1;lt=+55.74297;;lg=-4.26880;ml='), "message"),
        (with_length('A"ML=1;lt+55.74297;ml='), "message"),
        ('A"ML=1;lt=+55.74297;ml=40', "ml"),
        ('A"ML=3;lt=+55.74297', "header"),
        ('a"ml=1;lt=+55.74297', "header"),
        ("hello", "header"),
        ("", "header"),
    ],
)
def test_structural_errors(text: str, field: str) -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(text)
    assert caught.value.field == field


def test_a_duplicate_key_is_refused_even_with_a_correct_ml() -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(message(lc="95;lc=96"))
    assert caught.value.field == "lc"
    assert "twice" in caught.value.message


def test_unknown_keys_are_kept_in_extra() -> None:
    fix = parse_aml(message(zz="future", mnc="30"))
    assert fix.extra == {"zz": "future"}


def test_optional_device_fields_may_be_empty_or_absent() -> None:
    fix = parse_aml(message(si="", ei=None, mcc="", mnc=None))
    assert (fix.imsi, fix.imei, fix.network_mcc, fix.network_mnc) == (None, None, None, None)


def test_a_bad_imei_check_digit_is_flagged_not_refused() -> None:
    fix = parse_aml(message(ei="356708041746735"))
    assert fix.imei == "356708041746735"
    assert fix.flags == ("imei_check_digit_mismatch",)


@pytest.mark.parametrize(("code", "method"), [("W", "wifi"), ("C", "cell"), ("U", "unknown")])
def test_positioning_methods(code: str, method: str) -> None:
    assert parse_aml(message(pm=code)).method.value == method


def test_a_trailing_semicolon_counted_in_ml_is_accepted() -> None:
    text = EXAMPLE[: -len("127")] + "128;"
    assert parse_aml(text).lat == 55.74297


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_aml(f"  {EXAMPLE}\r\n").lat == 55.74297


def test_lenient_mode_accepts_unsigned_and_longer_decimals() -> None:
    text = message(lt="55.742971", lg="-4.2688", rd="10.5")
    with pytest.raises(AmlError):
        parse_aml_v1(text)
    fix = parse_aml_v1(text, strict=False)
    assert (fix.lat, fix.lon, fix.accuracy_m) == (55.742971, -4.2688, 10.5)


def test_lenient_mode_still_checks_ranges() -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml_v1(message(lt="91"), strict=False)
    assert caught.value.field == "lt"


@pytest.mark.parametrize(("lat", "lon"), [("+90.00000", "+180.00000"), ("-90.00000", "-180.00000")])
def test_range_limits_are_inclusive(lat: str, lon: str) -> None:
    fix = parse_aml(message(lt=lat, lg=lon))
    assert abs(fix.lat) == 90 and abs(fix.lon) == 180


def test_the_writer_needs_time_accuracy_and_confidence() -> None:
    fix = parse_aml(EXAMPLE)
    for name in ("positioned_at", "accuracy_m", "confidence_pct"):
        with pytest.raises(InvalidInput) as caught:
            format_aml_v1(dataclasses.replace(fix, **no_value(name)))
        assert caught.value.field == name
    with pytest.raises(InvalidInput) as fused:
        format_aml_v1(dataclasses.replace(fix, method=PositioningMethod.FUSED))
    assert fused.value.field == "method"


def _comparable(fix: LocationFix) -> LocationFix:
    return dataclasses.replace(fix, raw=None, flags=())


@given(v1_fixes())
def test_round_trip_format_then_parse(fix: LocationFix) -> None:
    text = format_aml_v1(fix)
    assert int(text.rpartition("ml=")[2]) == len(text)
    parsed = parse_aml(text)
    assert _comparable(parsed) == fix
    assert parsed.raw == text
    assert format_aml_v1(parsed) == text
