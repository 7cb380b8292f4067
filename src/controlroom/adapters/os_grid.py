"""British National Grid (EPSG:27700): grid references, and conversion to and from WGS84.

The letter arithmetic is our own: the grid's 700 km x 1300 km extent is split into 500 km
squares (first letter: S, T, N, O, H, J) and those into 100 km squares (second letter), each
lettered A-Z without I, row by row from the north-west corner.

Conversion uses the best transformation PROJ has offline. With the data bundled with pyproj
that is the seven-parameter Helmert transformation "OSGB36 to WGS 84 (6)", stated accuracy 2 m;
if the OSTN15 grid is installed locally PROJ prefers it. No network access is used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cache

from pyproj import Transformer
from pyproj.transformer import TransformerGroup

LETTERS = "ABCDEFGHJKLMNOPQRSTUVWXYZ"  # 25 letters: I is not used
MAX_EASTING = 700_000
MAX_NORTHING = 1_300_000


@dataclass(frozen=True)
class GridPoint:
    """A point on the National Grid: easting and northing in metres."""

    easting: float
    northing: float


def square_origin(letters: str) -> tuple[int, int]:
    """The south-west corner (easting, northing in metres) of a 100 km square such as ``SX``.

    Raises ``ValueError`` for letters that are not a square of the grid.
    """
    pair = letters.upper()
    if len(pair) != 2 or pair[0] not in LETTERS or pair[1] not in LETTERS:
        raise ValueError(f"{letters!r} is not two grid letters (A-Z without I)")
    first, second = LETTERS.index(pair[0]), LETTERS.index(pair[1])
    # 500 km squares: the grid's false origin is square S, two columns in and three rows up.
    column = (first % 5 - 2) * 5 + second % 5
    row = (3 - first // 5) * 5 + 4 - second // 5
    easting, northing = column * 100_000, row * 100_000
    if not (0 <= easting < MAX_EASTING and 0 <= northing < MAX_NORTHING):
        raise ValueError(f"{pair} is outside the National Grid")
    return easting, northing


def square_letters(easting: float, northing: float) -> str:
    """The two letters of the 100 km square holding the point."""
    if not (0 <= easting < MAX_EASTING and 0 <= northing < MAX_NORTHING):
        raise ValueError(f"E {easting:.0f} N {northing:.0f} is outside the National Grid")
    column, row = int(easting // 100_000), int(northing // 100_000)
    first = LETTERS[(3 - row // 5) * 5 + (column // 5 + 2)]
    second = LETTERS[(4 - row % 5) * 5 + column % 5]
    return first + second


def all_squares() -> list[str]:
    """Every 100 km square of the grid's extent (91 of them), west to east, south to north."""
    return [
        square_letters(column * 100_000, row * 100_000)
        for row in range(MAX_NORTHING // 100_000)
        for column in range(MAX_EASTING // 100_000)
    ]


def grid_reference(easting: float, northing: float, digits: int = 10) -> str:
    """A grid reference such as ``SX 47654 54321`` with ``digits`` figures (2, 4, ... 10)."""
    if digits not in (2, 4, 6, 8, 10):
        raise ValueError("digits must be 2, 4, 6, 8 or 10")
    letters = square_letters(easting, northing)
    half = digits // 2
    unit = 10 ** (5 - half)
    east = int(easting % 100_000) // unit
    north = int(northing % 100_000) // unit
    return f"{letters} {east:0{half}d} {north:0{half}d}"


@cache
def _transformers() -> tuple[Transformer, Transformer, float]:
    """Grid->WGS84 and WGS84->grid, built once, and the stated accuracy (metres)."""
    with warnings.catch_warnings():
        # PROJ warns that the OSTN15 grid is not installed; the Helmert fallback is intended.
        warnings.simplefilter("ignore")
        to_wgs = TransformerGroup("EPSG:27700", "EPSG:4326", always_xy=True).transformers[0]
        to_grid = TransformerGroup("EPSG:4326", "EPSG:27700", always_xy=True).transformers[0]
    accuracy = to_wgs.accuracy if to_wgs.accuracy > 0 else 5.0
    return to_wgs, to_grid, accuracy


def transform_accuracy_m() -> float:
    """The stated accuracy (metres) of the grid <-> WGS84 transformation in use."""
    return _transformers()[2]


def transform_description() -> str:
    """The name of the grid -> WGS84 transformation in use."""
    return str(_transformers()[0].description)


def to_wgs84(easting: float, northing: float) -> tuple[float, float]:
    """(latitude, longitude) in WGS84 degrees of a National Grid point."""
    lon, lat = _transformers()[0].transform(easting, northing)
    return float(lat), float(lon)


def from_wgs84(lat: float, lon: float) -> GridPoint:
    """The National Grid point of a WGS84 position."""
    easting, northing = _transformers()[1].transform(lon, lat)
    return GridPoint(float(easting), float(northing))
