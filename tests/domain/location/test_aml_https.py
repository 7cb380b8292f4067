"""The AML HTTPS form: URL-encoded fields, millisecond times and HMAC-SHA1 verification."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.location import (
    AmlError,
    LocationFix,
    LocationSource,
    PositioningMethod,
    format_aml_https,
    parse_aml,
    parse_aml_https,
)

from .strategies import v2_fixes

KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
BODY = (
    b"v=3&emergency_number=999&source=sms&time=1700000000123"
    b"&location_latitude=50.37120&location_longitude=-4.14270&location_time=1699999990000"
    b"&location_altitude=35.5&location_floor=2&location_source=wifi&location_accuracy=18.5"
    b"&location_vertical_accuracy=3&location_confidence=68&location_bearing=90"
    b"&device_number=%2B447700900123&device_model=Pixel+8&device_imsi=234150123456789"
    b"&device_imei=356708041746734&cell_home_mcc=234&cell_home_mnc=15"
    b"&cell_network_mcc=234&cell_network_mnc=30&device_languages=en-GB%2Ccy"
)


def signed(body: bytes, key: bytes = KEY) -> bytes:
    return body + b"&hmac=" + hmac.new(key, body, hashlib.sha1).hexdigest().encode()


def test_a_signed_body_parses_with_the_key() -> None:
    fix = parse_aml(signed(BODY), hmac_key=KEY)
    assert fix.source is LocationSource.AML_HTTPS
    assert (fix.lat, fix.lon, fix.accuracy_m) == (50.3712, -4.1427, 18.5)
    assert fix.method is PositioningMethod.WIFI
    assert fix.positioned_at == datetime(2023, 11, 14, 22, 13, 10, tzinfo=UTC)
    assert fix.call_started_at == datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)
    assert (fix.altitude_m, fix.vertical_accuracy_m, fix.floor) == (35.5, 3, "2")
    assert fix.confidence_pct == 68
    assert fix.caller_number == "+447700900123"
    assert (fix.imsi, fix.imei) == ("234150123456789", "356708041746734")
    assert (fix.home_mcc, fix.home_mnc, fix.network_mcc, fix.network_mnc) == (
        "234",
        "15",
        "234",
        "30",
    )
    assert fix.languages == ("en-GB", "cy")
    assert fix.extra == {
        "v": "3",
        "source": "sms",
        "location_bearing": "90",
        "device_model": "Pixel 8",
    }
    assert fix.flags == ()


def test_str_and_uppercase_hex_are_accepted() -> None:
    body = signed(BODY)
    upper = body[:-40] + body[-40:].upper()
    assert parse_aml(upper.decode(), hmac_key=KEY).lat == 50.3712


def test_without_a_key_the_hmac_is_not_checked_but_flagged() -> None:
    assert parse_aml(signed(BODY, b"other")).flags == ("hmac_not_verified",)
    assert parse_aml(BODY).flags == ()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (signed(BODY, b"other key"), "does not match"),
        (signed(BODY).replace(b"50.37120", b"50.37121"), "does not match"),
        (signed(BODY)[:-1], "does not match"),
        (BODY, "missing"),
        (signed(BODY) + b"&location_latitude=1", "follow"),
        (b"hmac=" + b"0" * 40, "covers nothing"),
    ],
)
def test_a_bad_or_missing_hmac_is_refused_when_a_key_is_configured(body: bytes, words: str) -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml_https(body, hmac_key=KEY)
    assert caught.value.field == "hmac"
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("replace", "field"),
    [
        ((b"location_latitude=50.37120", b"location_latitude=91"), "location_latitude"),
        ((b"location_latitude=50.37120", b"location_latitude="), "location_latitude"),
        ((b"location_longitude=-4.14270", b"x=1"), "location_longitude"),
        ((b"location_time=1699999990000", b"location_time=soon"), "location_time"),
        ((b"time=1700000000123", b"time=17"), "time"),
        ((b"location_accuracy=18.5", b"location_accuracy=-1"), "location_accuracy"),
        ((b"location_confidence=68", b"location_confidence=101"), "location_confidence"),
        ((b"device_imei=356708041746734", b"device_imei=35"), "device_imei"),
        ((b"device_imsi=234150123456789", b"device_imsi=x"), "device_imsi"),
        ((b"cell_home_mcc=234", b"cell_home_mcc=2345"), "cell_home_mcc"),
        ((b"device_number=%2B447700900123", b"device_number=call+me"), "device_number"),
        ((b"location_floor=2", b"location_floor=" + b"9" * 17), "location_floor"),
        ((b"device_languages=en-GB%2Ccy", b"device_languages=%21"), "device_languages"),
        ((b"v=3", b"v=3&v=4"), "v"),
        ((b"v=3", b"%76=3&v=4"), "body"),
        ((b"v=3", b"v=\xff"), "body"),
    ],
)
def test_each_bad_field_is_named(replace: tuple[bytes, bytes], field: str) -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml_https(BODY.replace(*replace))
    assert caught.value.field == field


def test_an_unknown_location_source_is_kept_as_unknown_and_flagged() -> None:
    fix = parse_aml(BODY.replace(b"location_source=wifi", b"location_source=uwb"))
    assert fix.method is PositioningMethod.UNKNOWN
    assert "unknown_location_source" in fix.flags


def test_an_oversized_body_is_refused() -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml_https(BODY + b"&pad=" + b"x" * 20_000)
    assert caught.value.field == "body"


def test_text_with_neither_header_nor_fields_is_not_aml() -> None:
    with pytest.raises(AmlError) as caught:
        parse_aml(b"just some bytes")
    assert caught.value.field == "header"


@given(v2_fixes(), st.none() | st.binary(min_size=1, max_size=64))
def test_round_trip_format_then_parse(fix: LocationFix, key: bytes | None) -> None:
    fix = dataclasses.replace(
        fix, source=LocationSource.AML_HTTPS, caller_number="+447700900123", floor="G"
    )
    parsed = parse_aml(format_aml_https(fix, hmac_key=key), hmac_key=key)
    assert dataclasses.replace(parsed, raw=None, flags=()) == fix
