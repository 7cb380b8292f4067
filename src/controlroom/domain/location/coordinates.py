"""Latitude and longitude typed by a person: decimal degrees or degrees, minutes and seconds.

Accepted, among others: ``50.3712, -4.1427``; ``50.3712N 4.1427W``; ``N50.3712 W4.1427``;
``50°22'16.3"N 4°08'33.7"W``; ``50 22 16.3 N 4 08 33.7 W``; ``50d22m16.3s N 4d08m33.7s W``;
``50°22.272'N 4°8.562'W``. Without hemisphere letters the latitude comes first and a sign
gives the direction; with letters either order is fine. A lone ``S`` after the seconds is read
as the seconds unit only when a hemisphere letter follows it, otherwise as South.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from controlroom.domain.errors import InvalidInput

_TOKEN = re.compile(
    r"\s*(?:(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))|(?P<word>[A-Za-z]+)"
    r"|(?P<sym>''|[°º˚'′’‘\"″”“])|(?P<sep>[,;/]))"
)
_WORDS = {
    "north": "N",
    "south": "S",
    "east": "E",
    "west": "W",
    "deg": "deg",
    "degs": "deg",
    "degree": "deg",
    "degrees": "deg",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "sec": "sec",
    "secs": "sec",
    "second": "sec",
    "seconds": "sec",
}
_LETTERS = {"n": "N", "e": "E", "w": "W", "s": "S?", "d": "deg", "m": "min"}
_SYMBOLS = {"°": "deg", "º": "deg", "˚": "deg", "'": "min", "′": "min", "’": "min", "‘": "min"}
_HEMI = frozenset({"N", "S", "E", "W", "S?"})
_UNITS = ("deg", "min", "sec")
_NAMES = ("degrees", "minutes", "seconds")
_METRES_PER_DEGREE = 111_320.0

Token = tuple[str, str]  # (kind, text): num, unit, hemi, sep


@dataclass(frozen=True)
class CoordinateReading:
    """A position read from text, with the radius (metres) its written precision implies."""

    lat: float
    lon: float
    accuracy_m: float
    style: str  # "decimal" or "dms"
    normalised: str
    note: str


def _error(message: str, hint: str | None = None) -> InvalidInput:
    return InvalidInput(message, field="coordinates", hint=hint or "e.g. 50.3712, -4.1427")


def _tokens(text: str) -> list[Token] | None:
    """The text as tokens, or None when it holds anything a coordinate never does."""
    raw: list[Token] = []
    position, end = 0, len(text.rstrip())
    while position < end:
        match = _TOKEN.match(text, position)
        if match is None:
            return None
        position = match.end()
        kind = match.lastgroup
        value = match.group(kind or "")
        if kind == "num":
            raw.append(("num", value))
        elif kind == "sep":
            raw.append(("sep", value))
        elif kind == "sym":
            raw.append(("unit", _SYMBOLS.get(value, "sec")))
        elif value.lower() in _WORDS:
            word = _WORDS[value.lower()]
            raw.append(("unit" if word in _UNITS else "hemi", word))
        else:
            for letter in value.lower():
                if letter not in _LETTERS:
                    return None
                word = _LETTERS[letter]
                raw.append(("unit" if word in _UNITS else "hemi", word))
    return _resolve_s(raw)


def _resolve_s(raw: list[Token]) -> list[Token]:
    """Decide each ambiguous ``s``: seconds after a number and before a hemisphere, else South."""
    out: list[Token] = []
    for index, (kind, value) in enumerate(raw):
        if value == "S?":
            after = raw[index + 1] if index + 1 < len(raw) else ("", "")
            before = raw[index - 1] if index else ("", "")
            seconds = before[0] == "num" and after[0] == "hemi"
            out.append(("unit", "sec") if seconds else ("hemi", "S"))
        else:
            out.append((kind, value))
    return out


def _groups(tokens: list[Token]) -> list[tuple[list[Token], str | None]]:
    """Two groups of tokens, each with its hemisphere letter (or None)."""
    hemis = [index for index, (kind, _) in enumerate(tokens) if kind == "hemi"]
    body = [tok for tok in tokens if tok[0] != "sep"]
    if hemis:
        if len(hemis) != 2:
            raise _error("give a hemisphere letter for both or neither coordinate")
        letters = [tok for tok in body if tok[0] == "hemi"]
        if body[0][0] == "hemi" and body[-1][0] != "hemi":  # N 50.1 W 4.2
            cut = body.index(letters[1], 1)
            return [(body[1:cut], letters[0][1]), (body[cut + 1 :], letters[1][1])]
        if body[-1][0] == "hemi" and body[0][0] != "hemi":  # 50.1 N 4.2 W
            cut = body.index(letters[0])
            return [(body[:cut], letters[0][1]), (body[cut + 1 : -1], letters[1][1])]
        raise _error("put the hemisphere letters all before or all after the numbers")
    separators = [index for index, (kind, _) in enumerate(tokens) if kind == "sep"]
    if len(separators) == 1:
        cut = separators[0]
        return [(tokens[:cut], None), (tokens[cut + 1 :], None)]
    numbers = [index for index, (kind, _) in enumerate(body) if kind == "num"]
    starts = [
        index
        for index in numbers[1:]
        if index + 1 < len(body) and body[index + 1] == ("unit", "deg")
    ]
    if len(starts) == 1:
        return [(body[: starts[0]], None), (body[starts[0] :], None)]
    if len(numbers) in (2, 4, 6) and len(body) == len(numbers):
        half = len(numbers) // 2
        return [(body[:half], None), (body[half:], None)]
    raise _error("could not tell where the latitude ends and the longitude begins")


def _value(group: list[Token], axis: str) -> tuple[float, float, bool, bool]:
    """(degrees, precision in degrees, whether signed, whether minutes/seconds were given)."""
    parts: list[str] = []
    units: list[str | None] = []
    for kind, text in group:
        if kind == "num":
            parts.append(text)
            units.append(None)
        elif kind == "unit" and parts and units[-1] is None:
            units[-1] = text
        else:
            raise _error(f"the {axis} {' '.join(t for _, t in group)!r} is not a coordinate")
    if not 1 <= len(parts) <= 3:
        raise _error(f"the {axis} needs degrees, optionally minutes and seconds")
    for position, unit in enumerate(units):
        if unit is not None and unit != _UNITS[position]:
            raise _error(f"the {axis} has {unit} where {_UNITS[position]} belong")
    total, precision = 0.0, 1.0
    signed = parts[0][0] in "+-"
    negative = parts[0][0] == "-"
    for position, text in enumerate(parts):
        if position and text[0] in "+-":
            raise _error(f"only the {axis}'s degrees may carry a sign")
        if "." in text and position != len(parts) - 1:
            raise _error(f"only the last part of the {axis} may have decimals")
        number = abs(float(text))
        if position and number >= 60:
            raise _error(f"the {axis}'s {_NAMES[position]} must be below 60")
        scale = 60.0**position
        decimals = len(text.partition(".")[2])
        total += number / scale
        precision = 10.0**-decimals / scale
    return (-total if negative else total), precision, signed, len(parts) > 1


def parse_coordinates(text: str) -> CoordinateReading | None:
    """Read a latitude and longitude; None when the text is not written as coordinates.

    Raises :class:`InvalidInput` (``field="coordinates"``) when it is written as coordinates
    but cannot be a position: out of range, 60 minutes, two latitudes...
    """
    tokens = _tokens(text.replace("\u2212", "-"))  # the typographic minus sign, as pasted
    if not tokens or sum(kind == "num" for kind, _ in tokens) < 2:
        return None
    (first, first_hemi), (second, second_hemi) = _groups(tokens)
    values = [_value(first, "first coordinate"), _value(second, "second coordinate")]
    hemis = (first_hemi, second_hemi)
    if first_hemi is not None:
        if any(signed for _, _, signed, _ in values):
            raise _error("give either a sign or a hemisphere letter, not both")
        if {first_hemi, second_hemi} not in ({"N", "E"}, {"N", "W"}, {"S", "E"}, {"S", "W"}):
            raise _error("one coordinate must be N or S and the other E or W")
        if first_hemi in "EW":
            values.reverse()
            hemis = (second_hemi, first_hemi)
    (lat, lat_step, _, dms_lat), (lon, lon_step, _, dms_lon) = values
    if hemis[0] == "S":
        lat = -lat
    if hemis[1] == "W":
        lon = -lon
    if not -90 <= lat <= 90:
        raise _error(f"latitude {lat:g} is outside -90 to 90", "latitude first, then longitude")
    if not -180 <= lon <= 180:
        raise _error(f"longitude {lon:g} is outside -180 to 180")
    lat_m = lat_step * _METRES_PER_DEGREE
    lon_m = lon_step * _METRES_PER_DEGREE * math.cos(math.radians(lat))
    accuracy = round(math.hypot(lat_m, lon_m) / 2, 1)
    style = "dms" if dms_lat or dms_lon else "decimal"
    lat_places = 6 if style == "dms" else _places(lat_step)
    lon_places = 6 if style == "dms" else _places(lon_step)
    normalised = f"{lat:.{lat_places}f}, {lon:.{lon_places}f}"
    order = "hemisphere letters" if first_hemi else "latitude first, as written"
    what = "degrees, minutes and seconds" if style == "dms" else "decimal degrees"
    note = f"{what} ({order}); precision as written ≈ ±{accuracy:g} m"
    return CoordinateReading(lat, lon, accuracy, style, normalised, note)


def _places(step: float) -> int:
    return max(0, round(-math.log10(step)))
