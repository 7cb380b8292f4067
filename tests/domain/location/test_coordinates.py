"""Latitude/longitude typed by a person: decimal degrees and degrees/minutes/seconds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location.coordinates import parse_coordinates

PLYMOUTH = (50.371194, -4.142694)


@pytest.mark.parametrize(
    ("text", "lat", "lon", "style"),
    [
        ("50.3712, -4.1427", 50.3712, -4.1427, "decimal"),
        ("50.3712 -4.1427", 50.3712, -4.1427, "decimal"),
        ("+50.3712;-4.1427", 50.3712, -4.1427, "decimal"),
        ("50.3712N 4.1427W", 50.3712, -4.1427, "decimal"),
        ("50.3712 N, 4.1427 W", 50.3712, -4.1427, "decimal"),
        ("N50.3712 W4.1427", 50.3712, -4.1427, "decimal"),
        ("4.1427W 50.3712N", 50.3712, -4.1427, "decimal"),
        ("50.3712° N 4.1427° W", 50.3712, -4.1427, "decimal"),
        ("33.8688 south, 151.2093 east", -33.8688, 151.2093, "decimal"),
        ("-33.8688, 151.2093", -33.8688, 151.2093, "decimal"),
        ("50.3712, \u22124.1427", 50.3712, -4.1427, "decimal"),
        ("50°22'16.3\"N 4°08'33.7\"W", *PLYMOUTH, "dms"),
        ("50°22′16.3″N, 4°08′33.7″W", *PLYMOUTH, "dms"),
        ("50 22 16.3 N 4 08 33.7 W", *PLYMOUTH, "dms"),
        ("N 50 22 16.3 W 4 08 33.7", *PLYMOUTH, "dms"),
        ("50d22m16.3s N 4d08m33.7s W", *PLYMOUTH, "dms"),
        ("50d22m16.3sN 4d08m33.7sW", *PLYMOUTH, "dms"),
        ("50 deg 22 min 16.3 sec N, 4 deg 8 min 33.7 sec W", *PLYMOUTH, "dms"),
        ("50°22'16.3\" -4°08'33.7\"", *PLYMOUTH, "dms"),
        ("50 22 16.3, -4 08 33.7", *PLYMOUTH, "dms"),
        ("50 22 16.3 -4 08 33.7", *PLYMOUTH, "dms"),
        ("50°22.272'N 4°8.562'W", 50.3712, -4.1427, "dms"),
        ("50 22 16.3 S 4 08 33.7 W", -PLYMOUTH[0], PLYMOUTH[1], "dms"),
        ("50d22m16.3sS 4d08m33.7sE", -PLYMOUTH[0], -PLYMOUTH[1], "dms"),
    ],
)
def test_accepted_forms(text: str, lat: float, lon: float, style: str) -> None:
    reading = parse_coordinates(text)
    assert reading is not None
    assert reading.lat == pytest.approx(lat, abs=1e-6)
    assert reading.lon == pytest.approx(lon, abs=1e-6)
    assert reading.style == style


def test_accuracy_follows_the_precision_written() -> None:
    fine = parse_coordinates("50.37120, -4.14270")
    coarse = parse_coordinates("50.4, -4.1")
    dms = parse_coordinates("50°22'16.3\"N 4°08'33.7\"W")
    assert fine is not None and coarse is not None and dms is not None
    assert 0.5 < fine.accuracy_m < 1
    assert 5_000 < coarse.accuracy_m < 7_000
    assert 1 < dms.accuracy_m < 3


def test_normalised_form_and_note() -> None:
    reading = parse_coordinates("50.3712N 4.1427W")
    assert reading is not None
    assert reading.normalised == "50.3712, -4.1427"
    assert "hemisphere" in reading.note
    dms = parse_coordinates("50 22 16.3 N 4 08 33.7 W")
    assert dms is not None and dms.normalised == "50.371194, -4.142694"


@pytest.mark.parametrize("text", ["hello", "PL1 1AA", "999", "", "12.5", "filled.count.soap"])
def test_not_coordinates(text: str) -> None:
    assert parse_coordinates(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("95.0, 4.0", "latitude"),
        ("50.0, 190.0", "longitude"),
        ("50.1N 4.2N", "N or S"),
        ("-50.1N 4.2W", "sign"),
        ("50 61 0 N 4 0 0 W", "below 60"),
        ("50 22 60 N 4 0 0 W", "below 60"),
        ("50.5 22 N 4 0 W", "last part"),
        ("50 -22 N 4 0 W", "sign"),
        ("50.1N 4.2", "both or neither"),
        ("50.1 N W 4.2", "before or all after"),
        ("1 2 3", "where the latitude ends"),
        ("50'22°N 4°W", "belong"),
        ("1 2 3 4 5 6 7 8, 9", "degrees, optionally"),
    ],
)
def test_invalid_coordinates_say_why(text: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_coordinates(text)
    assert caught.value.field == "coordinates"
    assert words in caught.value.message


@given(st.floats(-90, 90), st.floats(-180, 180))
def test_decimal_round_trip(lat: float, lon: float) -> None:
    reading = parse_coordinates(f"{lat:.6f}, {lon:.6f}")
    assert reading is not None
    assert reading.lat == pytest.approx(round(lat, 6), abs=1e-9)
    assert reading.lon == pytest.approx(round(lon, 6), abs=1e-9)


@given(st.text(max_size=60))
def test_any_text_gives_a_reading_none_or_invalid_input(text: str) -> None:
    try:
        parse_coordinates(text)
    except InvalidInput as error:
        assert error.field == "coordinates"
