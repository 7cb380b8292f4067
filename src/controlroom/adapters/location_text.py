"""One-box location recogniser: whatever a handler types, say what it is and where.

Formats are tried in this order, the first that claims the text wins:

1. an AML message (``A"ML=1;…``, ``A"ML=2;…`` or an HTTPS body with ``location_latitude=``);
2. a what3words address (``///filled.count.soap`` or ``filled.count.soap``): recognised and
   normalised only, converting it needs the what3words service;
3. a Plus code, full (``9C2RP8F9+5V``) or short (``P8F9+5V``, needs a reference point);
4. an OS grid reference (``SX 12345 67890``, ``SX1234567890``, ``SX 123 456``, ``SX1256``);
5. an easting and northing (``E 251234 N 054321``, ``251234, 054321``, ``251234 054321``):
   bare pairs need at least 5 whole-number digits each, which no latitude/longitude has;
6. a UK postcode (``PL1 1AA``): normalised only, locating it needs a gazetteer;
7. latitude and longitude, decimal or degrees/minutes/seconds.

A text that claims a format but is wrong in it (``SX 1234 567``, latitude 95) is an error for
that format, not passed on to the next one.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import openlocationcode.openlocationcode as olc  # type: ignore[import-untyped]

from controlroom.adapters import os_grid
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import LocationFix, LocationSource, looks_like_aml, parse_aml
from controlroom.domain.location.coordinates import parse_coordinates

MAX_TEXT_LENGTH = 20_000
_METRES_PER_DEGREE = 111_320.0


class LocationFormat(StrEnum):
    """The format a piece of text was recognised as."""

    AML_SMS_V1 = "aml_sms_v1"
    AML_SMS_V2 = "aml_sms_v2"
    AML_HTTPS = "aml_https"
    WHAT3WORDS = "what3words"
    PLUS_CODE = "plus_code"
    PLUS_CODE_SHORT = "plus_code_short"
    OS_GRID_REFERENCE = "os_grid_reference"
    OS_EASTING_NORTHING = "os_easting_northing"
    POSTCODE = "postcode"
    DECIMAL_DEGREES = "decimal_degrees"
    DMS = "dms"


ACCEPTED = (
    'an AML message (A"ML=1;…, A"ML=2;… or an HTTPS body)',
    "what3words (///filled.count.soap)",
    "Plus code (9C2RP8F9+5V, or P8F9+5V with a reference point)",
    "OS grid reference (SX 12345 67890, SX1256)",
    "easting/northing (E 251234 N 054321, 251234 054321)",
    "UK postcode (PL1 1AA)",
    "decimal degrees (50.3712, -4.1427 or 50.3712N 4.1427W)",
    "degrees, minutes, seconds (50°22'16.3\"N 4°08'33.7\"W)",
)


class UnrecognisedLocation(InvalidInput):
    """Text that is none of the accepted location formats."""

    code = "unrecognised_location"


@dataclass(frozen=True)
class RecognisedLocation:
    """What the text was: its format, the fix (when it can be located offline) and why."""

    format: LocationFormat
    fix: LocationFix | None
    normalised: str | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form: format, fix (or None), normalised and note."""
        return {
            "format": self.format.value,
            "fix": None if self.fix is None else self.fix.as_dict(),
            "normalised": self.normalised,
            "note": self.note,
        }


Near = tuple[float, float]
_Recogniser = Callable[[str, Near | None], RecognisedLocation | None]


def _aml(text: str, near: Near | None) -> RecognisedLocation | None:
    if not looks_like_aml(text):
        return None
    fix = parse_aml(text)
    accuracy = "" if fix.accuracy_m is None else f", ±{fix.accuracy_m:g} m"
    return RecognisedLocation(
        LocationFormat(fix.source.value),
        fix,
        None,
        f"AML message from the handset (method {fix.method.value}{accuracy})",
    )


_W3W = re.compile(r"(?:///)?([^\W\d_]+)[.｡。･・︒។։။۔።।]([^\W\d_]+)[.｡。･・︒។։။۔።।]([^\W\d_]+)")


def _what3words(text: str, near: Near | None) -> RecognisedLocation | None:
    match = _W3W.fullmatch(text)
    if match is None:
        return None
    words = ".".join(word.lower() for word in match.groups())
    return RecognisedLocation(
        LocationFormat.WHAT3WORDS,
        None,
        words,
        f"what3words address ///{words}; converting it to a position needs the what3words "
        "service (an API key and the network), so no fix is given here",
    )


def _area_fix(area: Any, raw: str) -> LocationFix:
    lat, lon = float(area.latitudeCenter), float(area.longitudeCenter)
    height = (area.latitudeHi - area.latitudeLo) * _METRES_PER_DEGREE
    width = (area.longitudeHi - area.longitudeLo) * _METRES_PER_DEGREE * math.cos(math.radians(lat))
    radius = round(math.hypot(height, width) / 2, 1)
    return LocationFix(
        source=LocationSource.PLUS_CODE, lat=lat, lon=lon, accuracy_m=radius, raw=raw
    )


def _plus_code(text: str, near: Near | None) -> RecognisedLocation | None:
    code, _, locality = text.partition(" ")
    code, locality = code.upper().rstrip(","), locality.strip()
    if code.find("+") < 2 or not set(code) <= set(olc.CODE_ALPHABET_ + "+0"):
        return None
    if not olc.isValid(code):
        raise InvalidInput(
            f"{code} looks like a Plus code but is not a valid one",
            field="plus_code",
            hint="e.g. 9C2RP8F9+5V, or a short code such as P8F9+5V",
        )
    if olc.isFull(code):
        fix = _area_fix(olc.decode(code), text)
        extra = f"; the locality {locality!r} is not needed and was ignored" if locality else ""
        return RecognisedLocation(
            LocationFormat.PLUS_CODE,
            fix,
            code,
            f"Plus code: the centre of its area, ±{fix.accuracy_m:g} m{extra}",
        )
    if near is None:
        where = f" (the locality {locality!r} cannot be looked up offline)" if locality else ""
        return RecognisedLocation(
            LocationFormat.PLUS_CODE_SHORT,
            None,
            f"{code} {locality}".strip(),
            f"short Plus code: it needs a reference point{where}; give one with --near LAT,LON",
        )
    full = olc.recoverNearest(code, near[0], near[1])
    fix = _area_fix(olc.decode(full), text)
    return RecognisedLocation(
        LocationFormat.PLUS_CODE,
        fix,
        full,
        f"short Plus code {code} recovered as {full}, the nearest to "
        f"{near[0]:g}, {near[1]:g}; ±{fix.accuracy_m:g} m",
    )


def _grid_fix(easting: float, northing: float, half_side: float, raw: str) -> LocationFix:
    lat, lon = os_grid.to_wgs84(easting, northing)
    accuracy = max(half_side, os_grid.transform_accuracy_m())
    return LocationFix(
        source=LocationSource.OS_GRID, lat=lat, lon=lon, accuracy_m=accuracy, raw=raw
    )


_GRID_REF = re.compile(r"([A-Za-z]{2})\s*([0-9]+)(?:(?:\s*,\s*|\s+)([0-9]+))?", re.ASCII)


def _grid_reference(text: str, near: Near | None) -> RecognisedLocation | None:
    match = _GRID_REF.fullmatch(text)
    if match is None:
        return None
    letters, first, second = match.group(1).upper(), match.group(2), match.group(3)
    if second is None:
        if len(first) % 2 or not 2 <= len(first) <= 10:
            raise _grid_error(f"{text!r} has {len(first)} figures; a grid reference has 2 to 10")
        half = len(first) // 2
        first, second = first[:half], first[half:]
    if len(first) != len(second) or len(first) > 5:
        raise _grid_error(f"{text!r}: the easting and northing need the same number of figures")
    try:
        origin_e, origin_n = os_grid.square_origin(letters)
    except ValueError:
        raise _grid_error(f"{letters} is not a 100 km square of the National Grid") from None
    side = 10 ** (5 - len(first))
    easting = origin_e + int(first) * side + side / 2
    northing = origin_n + int(second) * side + side / 2
    fix = _grid_fix(easting, northing, side / 2, text)
    size = f"{side // 1000} km" if side >= 1000 else f"{side} m"
    return RecognisedLocation(
        LocationFormat.OS_GRID_REFERENCE,
        fix,
        f"{letters} {first} {second}",
        f"OS grid reference: a {size} square; the fix is its centre "
        f"(E {_metres(easting)}, N {_metres(northing)}), ±{fix.accuracy_m:g} m",
    )


def _metres(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _grid_error(message: str) -> InvalidInput:
    return InvalidInput(message, field="os_grid", hint="e.g. SX 12345 67890, SX 123 456, SX1256")


_NUMBER = r"([0-9]+(?:\.[0-9]+)?)"
_EN_LABELLED = (
    re.compile(
        rf"E(?:asting)?\s*[:=]?\s*{_NUMBER}\s*[,;/]?\s*N(?:orthing)?\s*[:=]?\s*{_NUMBER}", re.I
    ),
    re.compile(rf"{_NUMBER}\s*E\s*[,;/]?\s*{_NUMBER}\s*N", re.I),
)
_EN_BARE = re.compile(rf"{_NUMBER}(?:\s*[,;/]\s*|\s+){_NUMBER}")


def _easting_northing(text: str, near: Near | None) -> RecognisedLocation | None:
    labelled = next((m for p in _EN_LABELLED if (m := p.fullmatch(text))), None)
    match = labelled or _EN_BARE.fullmatch(text)
    if match is None:
        return None
    east_s, north_s = match.groups()
    if min(len(east_s.partition(".")[0]), len(north_s.partition(".")[0])) < 5:
        if labelled is None:
            return None  # too short for metres on the grid: read it as latitude/longitude
        raise _grid_error("an easting and northing are in metres, at least 5 figures each")
    easting, northing = float(east_s), float(north_s)
    if not (0 <= easting < os_grid.MAX_EASTING and 0 <= northing < os_grid.MAX_NORTHING):
        raise _grid_error(f"E {east_s} N {north_s} is outside the National Grid")
    fix = _grid_fix(easting, northing, 0.5, text)
    why = "" if labelled else " (whole metres inside the National Grid; too large for lat/lon)"
    reference = os_grid.grid_reference(easting, northing)
    return RecognisedLocation(
        LocationFormat.OS_EASTING_NORTHING,
        fix,
        f"E {east_s} N {north_s}",
        f"read as easting and northing{why}: {reference}, ±{fix.accuracy_m:g} m",
    )


_POSTCODE = re.compile(
    r"GIR0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
    r"[0-9][ABD-HJLNP-UW-Z]{2}"
)


def _postcode(text: str, near: Near | None) -> RecognisedLocation | None:
    compact = "".join(text.split()).upper()
    if len(compact) > 8 or _POSTCODE.fullmatch(compact) is None:
        return None
    normalised = f"{compact[:-3]} {compact[-3:]}"
    return RecognisedLocation(
        LocationFormat.POSTCODE,
        None,
        normalised,
        "UK postcode: it covers an area, not a point, and cannot be located offline; "
        "look it up in the address gazetteer",
    )


def _coordinates(text: str, near: Near | None) -> RecognisedLocation | None:
    reading = parse_coordinates(text)
    if reading is None:
        return None
    fix = LocationFix(
        source=LocationSource.COORDINATES,
        lat=reading.lat,
        lon=reading.lon,
        accuracy_m=reading.accuracy_m,
        raw=text,
    )
    fmt = LocationFormat.DMS if reading.style == "dms" else LocationFormat.DECIMAL_DEGREES
    return RecognisedLocation(fmt, fix, reading.normalised, reading.note)


RECOGNISERS: tuple[_Recogniser, ...] = (
    _aml,
    _what3words,
    _plus_code,
    _grid_reference,
    _easting_northing,
    _postcode,
    _coordinates,
)


def recognise_location(text: str, *, near: Near | None = None) -> RecognisedLocation:
    """Recognise the location format of ``text`` and, when possible offline, locate it.

    ``near`` (lat, lon) is the reference point for short Plus codes. Raises
    :class:`InvalidInput` naming the format's field when the text is in a known format but
    wrong, and :class:`UnrecognisedLocation` when it is in none.
    """
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(
            "no location given", field="text", hint="accepted: " + "; ".join(ACCEPTED)
        )
    if len(stripped) > MAX_TEXT_LENGTH:
        raise InvalidInput("the text is too long to be a location", field="text")
    if near is not None and not (-90 <= near[0] <= 90 and -180 <= near[1] <= 180):
        raise InvalidInput("the reference point is out of range", field="near", hint="LAT,LON")
    for recogniser in RECOGNISERS:
        result = recogniser(stripped, near)
        if result is not None:
            return result
    shown = stripped if len(stripped) <= 40 else stripped[:40] + "…"
    raise UnrecognisedLocation(
        f"{shown!r} is not a location format this system knows",
        field="text",
        hint="accepted: " + "; ".join(ACCEPTED),
    )
