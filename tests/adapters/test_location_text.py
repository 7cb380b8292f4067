"""The one-box recogniser and the National Grid: each format, ambiguity, errors, accuracy."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from controlroom.adapters import os_grid
from controlroom.adapters.location_text import (
    LocationFormat,
    UnrecognisedLocation,
    recognise_location,
)
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import AmlError, LocationSource

# The grid's 100 km squares, north row first, west to east (OS, "A guide to coordinate
# systems in Great Britain", and every OS Landranger sheet margin).
SQUARE_ROWS = [
    "HL HM HN HO HP JL JM",
    "HQ HR HS HT HU JQ JR",
    "HV HW HX HY HZ JV JW",
    "NA NB NC ND NE OA OB",
    "NF NG NH NJ NK OF OG",
    "NL NM NN NO NP OL OM",
    "NQ NR NS NT NU OQ OR",
    "NV NW NX NY NZ OV OW",
    "SA SB SC SD SE TA TB",
    "SF SG SH SJ SK TF TG",
    "SL SM SN SO SP TL TM",
    "SQ SR SS ST SU TQ TR",
    "SV SW SX SY SZ TV TW",
]
# Squares holding land in Great Britain (the ones on OS maps).
GB_SQUARES = [
    *("HP", "HT", "HU", "HW", "HX", "HY", "HZ", "NA", "NB", "NC", "ND", "NF", "NG", "NH"),
    *("NJ", "NK", "NL", "NM", "NN", "NO", "NR", "NS", "NT", "NU", "NW", "NX", "NY", "NZ"),
    *("OV", "SC", "SD", "SE", "SH", "SJ", "SK", "SM", "SN", "SO", "SP", "SR", "SS", "ST"),
    *("SU", "SV", "SW", "SX", "SY", "SZ", "TA", "TF", "TG", "TL", "TM", "TQ", "TR", "TV"),
]

# OS worked example (Caister water tower): grid coordinates and their OSGB36 latitude/longitude.
CAISTER_E, CAISTER_N = 651409.903, 313177.270
CAISTER_OSGB36 = (52 + 39 / 60 + 27.2531 / 3600, 1 + 43 / 60 + 4.5177 / 3600)


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def helmert_osgb36_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    """OS's published seven-parameter Helmert transformation, worked by hand (height 0)."""
    a, b = 6_377_563.396, 6_356_256.909  # Airy 1830
    e2 = 1 - b * b / (a * a)
    phi, lam = math.radians(lat), math.radians(lon)
    nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    x = nu * math.cos(phi) * math.cos(lam)
    y = nu * math.cos(phi) * math.sin(lam)
    z = (1 - e2) * nu * math.sin(phi)
    tx, ty, tz, s = 446.448, -125.157, 542.060, -20.4894e-6
    rx, ry, rz = (math.radians(v / 3600) for v in (0.1502, 0.2470, 0.8421))
    x2 = tx + (1 + s) * x - rz * y + ry * z
    y2 = ty + rz * x + (1 + s) * y - rx * z
    z2 = tz - ry * x + rx * y + (1 + s) * z
    a, b = 6_378_137.0, 6_356_752.314245  # WGS84
    e2 = 1 - b * b / (a * a)
    p = math.hypot(x2, y2)
    phi = math.atan2(z2, p * (1 - e2))
    for _ in range(10):
        nu = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        phi = math.atan2(z2 + e2 * nu * math.sin(phi), p)
    return math.degrees(phi), math.degrees(math.atan2(y2, x2))


# --- the grid's letters ------------------------------------------------------------------------


def test_every_square_of_the_grid_has_the_right_origin() -> None:
    for row_from_top, row in enumerate(SQUARE_ROWS):
        for column, letters in enumerate(row.split()):
            origin = (column * 100_000, (12 - row_from_top) * 100_000)
            assert os_grid.square_origin(letters) == origin, letters
            assert os_grid.square_origin(letters.lower()) == origin
            assert os_grid.square_letters(origin[0] + 99_999, origin[1] + 50_000) == letters
    assert sorted(os_grid.all_squares()) == sorted(" ".join(SQUARE_ROWS).split())


@pytest.mark.parametrize("letters", ["SI", "IS", "AA", "ZZ", "TZ", "XA", "S", "SVX", "S1"])
def test_letters_outside_the_grid_are_refused(letters: str) -> None:
    with pytest.raises(ValueError):
        os_grid.square_origin(letters)


def test_grid_reference_writer() -> None:
    assert os_grid.grid_reference(CAISTER_E, CAISTER_N) == "TG 51409 13177"
    assert os_grid.grid_reference(CAISTER_E, CAISTER_N, 6) == "TG 514 131"
    assert os_grid.grid_reference(0, 0, 2) == "SV 0 0"
    with pytest.raises(ValueError):
        os_grid.grid_reference(700_000, 0)
    with pytest.raises(ValueError):
        os_grid.grid_reference(0, 0, 5)


@pytest.mark.parametrize("letters", GB_SQUARES)
def test_every_gb_square_is_recognised_and_converts_back(letters: str) -> None:
    result = recognise_location(f"{letters} 50000 50000")
    assert result.format is LocationFormat.OS_GRID_REFERENCE
    assert result.fix is not None
    assert 49 < result.fix.lat < 61.5 and -9 < result.fix.lon < 2.5
    back = os_grid.from_wgs84(result.fix.lat, result.fix.lon)
    origin = os_grid.square_origin(letters)
    assert abs(back.easting - (origin[0] + 50_000.5)) < 0.01
    assert abs(back.northing - (origin[1] + 50_000.5)) < 0.01


# --- accuracy on known points ------------------------------------------------------------------


def test_the_projection_matches_the_os_worked_example_to_a_millimetre() -> None:
    to_osgb36 = Transformer.from_crs("EPSG:27700", "EPSG:4277", always_xy=True)
    lon, lat = to_osgb36.transform(CAISTER_E, CAISTER_N)
    assert metres_between((lat, lon), CAISTER_OSGB36) < 0.001


def test_wgs84_matches_the_published_helmert_transformation_within_a_metre() -> None:
    expected = helmert_osgb36_to_wgs84(*CAISTER_OSGB36)
    assert metres_between(os_grid.to_wgs84(CAISTER_E, CAISTER_N), expected) < 1
    assert os_grid.transform_accuracy_m() == 2.0
    assert "OSGB36 to WGS 84" in os_grid.transform_description()


def test_the_os_example_grid_reference_lands_within_a_metre() -> None:
    result = recognise_location("TG 51409 13177")
    assert result.fix is not None
    expected = os_grid.to_wgs84(CAISTER_E, CAISTER_N)
    assert metres_between((result.fix.lat, result.fix.lon), expected) < 1


@given(st.floats(49.9, 60.8), st.floats(-7.5, 1.7))
def test_wgs84_to_grid_and_back_within_a_centimetre(lat: float, lon: float) -> None:
    point = os_grid.from_wgs84(lat, lon)
    assert metres_between(os_grid.to_wgs84(point.easting, point.northing), (lat, lon)) < 0.01


# --- each format -------------------------------------------------------------------------------

AML_V1 = (
    'A"ML=1;lt=+55.74297;lg=-4.26880;rd=10;top=20130717175329;lc=95;pm=G;'
    "si=234302543446355;ei=356708041746734;mcc=234;mnc=30;ml=127"
)


@pytest.mark.parametrize(
    ("text", "fmt", "normalised"),
    [
        (AML_V1, LocationFormat.AML_SMS_V1, None),
        ('A"ML=2;en=999;et=1700000000;lo=50.3712,-4.1427,12', LocationFormat.AML_SMS_V2, None),
        ("location_latitude=50.1&location_longitude=-4", LocationFormat.AML_HTTPS, None),
        ("SX 12345 67890", LocationFormat.OS_GRID_REFERENCE, "SX 12345 67890"),
        ("SX1234567890", LocationFormat.OS_GRID_REFERENCE, "SX 12345 67890"),
        ("sx 123 456", LocationFormat.OS_GRID_REFERENCE, "SX 123 456"),
        ("SX1256", LocationFormat.OS_GRID_REFERENCE, "SX 12 56"),
        ("SX 1234 5678", LocationFormat.OS_GRID_REFERENCE, "SX 1234 5678"),
        ("NN16", LocationFormat.OS_GRID_REFERENCE, "NN 1 6"),
        ("E 251234 N 054321", LocationFormat.OS_EASTING_NORTHING, "E 251234 N 054321"),
        ("Easting: 251234, Northing: 054321", LocationFormat.OS_EASTING_NORTHING, None),
        ("251234E 054321N", LocationFormat.OS_EASTING_NORTHING, "E 251234 N 054321"),
        ("251234, 054321", LocationFormat.OS_EASTING_NORTHING, "E 251234 N 054321"),
        ("251234 054321", LocationFormat.OS_EASTING_NORTHING, "E 251234 N 054321"),
        ("251234.5/054321.5", LocationFormat.OS_EASTING_NORTHING, "E 251234.5 N 054321.5"),
        ("50.3712, -4.1427", LocationFormat.DECIMAL_DEGREES, "50.3712, -4.1427"),
        ("50.3712N 4.1427W", LocationFormat.DECIMAL_DEGREES, "50.3712, -4.1427"),
        ("50°22'16.3\"N 4°08'33.7\"W", LocationFormat.DMS, "50.371194, -4.142694"),
        ("50 22 16.3 N 4 08 33.7 W", LocationFormat.DMS, "50.371194, -4.142694"),
        ("pl11aa", LocationFormat.POSTCODE, "PL1 1AA"),
        ("  sw1a   1aa ", LocationFormat.POSTCODE, "SW1A 1AA"),
        ("EC1A 1BB", LocationFormat.POSTCODE, "EC1A 1BB"),
        ("W1A 0AX", LocationFormat.POSTCODE, "W1A 0AX"),
        ("N1 1EE", LocationFormat.POSTCODE, "N1 1EE"),
        ("E1 6AN", LocationFormat.POSTCODE, "E1 6AN"),
        ("///filled.count.soap", LocationFormat.WHAT3WORDS, "filled.count.soap"),
        ("Filled.Count.Soap", LocationFormat.WHAT3WORDS, "filled.count.soap"),
        ("///indice.ruota.sapone", LocationFormat.WHAT3WORDS, "indice.ruota.sapone"),
        ("9C2RP8F9+5V", LocationFormat.PLUS_CODE, "9C2RP8F9+5V"),
        ("9c2rp8f9+5v", LocationFormat.PLUS_CODE, "9C2RP8F9+5V"),
        ("P8F9+5V", LocationFormat.PLUS_CODE_SHORT, "P8F9+5V"),
        ("P8F9+5V Exeter", LocationFormat.PLUS_CODE_SHORT, "P8F9+5V Exeter"),
    ],
)
def test_each_format_is_recognised(text: str, fmt: LocationFormat, normalised: str | None) -> None:
    result = recognise_location(text)
    assert result.format is fmt
    if normalised is not None:
        assert result.normalised == normalised
    assert result.note
    assert result.as_dict()["format"] == fmt.value


def test_grid_references_give_the_square_centre_and_half_its_side() -> None:
    cases = {"SX1256": 500.0, "SX 123 456": 50.0, "SX 1234 5678": 5.0, "NN16": 5_000.0}
    for text, half_side in cases.items():
        fix = recognise_location(text).fix
        assert fix is not None and fix.source is LocationSource.OS_GRID
        assert fix.accuracy_m == half_side
    fix = recognise_location("SX1256").fix
    assert fix is not None
    centre = os_grid.from_wgs84(fix.lat, fix.lon)
    assert abs(centre.easting - 212_500) < 0.01 and abs(centre.northing - 56_500) < 0.01


def test_a_ten_figure_reference_reports_the_datum_transformation_accuracy() -> None:
    fix = recognise_location("SX 12345 67890").fix
    assert fix is not None and fix.accuracy_m == os_grid.transform_accuracy_m()


def test_same_point_in_every_grid_form() -> None:
    forms = ["SX 51234 54321", "SX5123454321", "E 251234 N 054321", "251234 054321"]
    fixes = [recognise_location(text).fix for text in forms]
    assert all(fix is not None for fix in fixes)
    first = fixes[0]
    assert first is not None
    for fix in fixes[1:]:
        assert fix is not None
        assert metres_between((fix.lat, fix.lon), (first.lat, first.lon)) < 1


def test_aml_gives_the_parsed_fix() -> None:
    result = recognise_location(AML_V1)
    assert result.fix is not None and result.fix.imei == "356708041746734"


def test_what3words_and_postcodes_have_no_fix_and_say_why() -> None:
    words = recognise_location("///filled.count.soap")
    assert words.fix is None and "what3words service" in words.note
    postcode = recognise_location("PL1 1AA")
    assert postcode.fix is None and "offline" in postcode.note


def test_a_full_plus_code_is_located() -> None:
    fix = recognise_location("9C2RP8F9+5V").fix
    assert fix is not None and fix.source is LocationSource.PLUS_CODE
    assert fix.lat == pytest.approx(50.7229375) and fix.lon == pytest.approx(-3.6803125)
    assert 5 < (fix.accuracy_m or 0) < 10


def test_a_short_plus_code_needs_a_reference_point() -> None:
    alone = recognise_location("P8F9+5V Exeter")
    assert alone.fix is None and "--near" in alone.note and "Exeter" in alone.note
    near = recognise_location("P8F9+5V", near=(50.72, -3.53))
    assert near.format is LocationFormat.PLUS_CODE and near.normalised == "9C2RP8F9+5V"
    assert near.fix is not None and near.fix.lat == pytest.approx(50.7229375)


# --- ambiguity ---------------------------------------------------------------------------------


def test_a_bare_pair_of_large_numbers_is_easting_and_northing_and_says_so() -> None:
    result = recognise_location("251234 054321")
    assert result.format is LocationFormat.OS_EASTING_NORTHING
    assert "too large for lat/lon" in result.note


def test_a_bare_pair_of_small_numbers_is_latitude_and_longitude() -> None:
    result = recognise_location("50 4")
    assert result.format is LocationFormat.DECIMAL_DEGREES
    assert result.fix is not None and (result.fix.lat, result.fix.lon) == (50, 4)
    assert "latitude first" in result.note


def test_a_signed_pair_is_never_a_grid_position() -> None:
    with pytest.raises(InvalidInput) as caught:
        recognise_location("-12345 67890")
    assert caught.value.field == "coordinates"


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("SX 1234 567", "os_grid"),
        ("SX123", "os_grid"),
        ("SX 123456 123456", "os_grid"),
        ("XX 12345 67890", "os_grid"),
        ("SI 12345 67890", "os_grid"),
        ("E 800000 N 054321", "os_grid"),
        ("E 2512 N 0543", "os_grid"),
        ("900000 054321", "os_grid"),
        ("95.0, 4.0", "coordinates"),
        ("50.1N 4.2N", "coordinates"),
        ("50 61 0 N 4 0 0 W", "coordinates"),
        ("9C2RP8F9+5", "plus_code"),
        ('A"ML=1;lt=+55.74297', "ml"),
        ("location_latitude=95&location_longitude=1", "location_latitude"),
    ],
)
def test_a_known_format_with_a_mistake_names_the_format(text: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        recognise_location(text)
    assert caught.value.field == field
    assert not isinstance(caught.value, UnrecognisedLocation)


def test_aml_errors_are_aml_errors() -> None:
    with pytest.raises(AmlError):
        recognise_location(AML_V1[:-1])


@pytest.mark.parametrize("text", ["hello there", "999", "QQ1 1AA", "12.5", "//a.b", "SW1A"])
def test_unrecognised_text_lists_the_accepted_formats(text: str) -> None:
    with pytest.raises(UnrecognisedLocation) as caught:
        recognise_location(text)
    assert caught.value.field == "text"
    assert caught.value.hint is not None
    for example in ("SX 12345 67890", "PL1 1AA", "///filled.count.soap", "9C2RP8F9+5V"):
        assert example in caught.value.hint


@pytest.mark.parametrize(
    ("text", "near", "field"),
    [("", None, "text"), ("   ", None, "text"), ("P8F9+5V", (91.0, 0.0), "near")],
)
def test_empty_text_and_bad_reference_points(
    text: str, near: tuple[float, float] | None, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        recognise_location(text, near=near)
    assert caught.value.field == field


@given(st.text(max_size=80))
def test_any_text_is_recognised_or_refused_cleanly(text: str) -> None:
    try:
        result = recognise_location(text)
    except InvalidInput as error:
        assert error.field and error.message
    else:
        assert result.note
