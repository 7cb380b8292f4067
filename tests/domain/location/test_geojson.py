"""The evidence GeoJSON: RFC 7946 structure, [lon, lat] order, chosen flag, closed circles."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.location import LocationFix, LocationSource, PositioningMethod
from controlroom.domain.location.best import Unlocated, choose_best
from controlroom.domain.location.geojson import CIRCLE_POINTS, circle_ring, evidence_geojson

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
GNSS = LocationFix(
    source=LocationSource.AML_SMS_V1,
    lat=50.371234567,
    lon=-4.142712345,
    accuracy_m=8,
    confidence_pct=95,
    positioned_at=NOW - timedelta(seconds=12),
    method=PositioningMethod.GNSS,
)
CELL = LocationFix(
    source=LocationSource.AML_SMS_V2,
    lat=50.38,
    lon=-4.15,
    accuracy_m=1500,
    positioned_at=NOW - timedelta(seconds=40),
    method=PositioningMethod.CELL,
)
LANDLINE = LocationFix(source=LocationSource.LANDLINE_ADDRESS, lat=50.4, lon=-4.2)
POSTCODE = Unlocated(source=LocationSource.POSTCODE, text="PL1 1AA", reason="needs a gazetteer")
FIXES: list[LocationFix | Unlocated] = [CELL, GNSS, LANDLINE, POSTCODE]


def _collection() -> dict[str, Any]:
    return evidence_geojson(FIXES, choose_best(FIXES, NOW), contact_id="C-42")


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def test_a_feature_collection_of_features() -> None:
    collection = _collection()
    assert collection["type"] == "FeatureCollection"
    assert collection["contact_id"] == "C-42"
    for feature in collection["features"]:
        assert feature["type"] == "Feature"
        assert set(feature) >= {"type", "geometry", "properties", "id"}
        geometry = feature["geometry"]
        assert geometry is None or geometry["type"] in ("Point", "Polygon")
    json.dumps(collection, allow_nan=False)  # valid JSON: no NaN or Infinity


def test_points_are_longitude_then_latitude_rounded_to_six_places() -> None:
    points = [f for f in _collection()["features"] if f["properties"]["kind"] == "fix"]
    gnss = next(f for f in points if f["properties"]["source"] == "aml_sms_v1")
    assert gnss["geometry"] == {"type": "Point", "coordinates": [-4.142712, 50.371235]}


def test_one_point_per_fix_and_one_chosen() -> None:
    features = _collection()["features"]
    points = [f for f in features if f["properties"]["kind"] == "fix"]
    assert [f["properties"]["index"] for f in points] == [0, 1, 2, 3]
    chosen = [f for f in points if f["properties"]["chosen"]]
    assert len(chosen) == 1 and chosen[0]["properties"]["source"] == "aml_sms_v1"
    assert chosen[0]["properties"]["rank"] == 1
    assert chosen[0]["properties"]["explanation"].startswith("AML GNSS fix 12 s old")
    props = chosen[0]["properties"]
    assert props["accuracy_m"] == 8 and props["confidence_pct"] == 95
    assert props["positioned_at"] == "2025-03-01T11:59:48Z" and props["method"] == "gnss"
    assert props["age_s"] == 12


def test_unlocated_evidence_has_a_null_geometry() -> None:
    features = _collection()["features"]
    postcode = next(f for f in features if f["properties"]["source"] == "postcode")
    assert postcode["geometry"] is None
    assert postcode["properties"]["text"] == "PL1 1AA" and not postcode["properties"]["chosen"]


def test_accuracy_circles_are_closed_anticlockwise_rings() -> None:
    features = _collection()["features"]
    circles = [f for f in features if f["properties"]["kind"] == "accuracy"]
    assert {c["properties"]["source"] for c in circles} == {"aml_sms_v1", "aml_sms_v2"}
    for circle in circles:
        assert circle["geometry"]["type"] == "Polygon"
        (ring,) = circle["geometry"]["coordinates"]
        assert len(ring) == CIRCLE_POINTS + 1 and ring[0] == ring[-1]
        assert _signed_area(ring) > 0  # RFC 7946: exterior rings counter-clockwise
        index = circle["properties"]["index"]
        fix = FIXES[index]
        assert isinstance(fix, LocationFix) and fix.accuracy_m is not None
        for lon, lat in ring:
            assert _distance_m(fix.lat, fix.lon, lat, lon) == pytest.approx(fix.accuracy_m, abs=0.2)
    chosen = [c for c in circles if c["properties"]["chosen"]]
    assert len(chosen) == 1 and chosen[0]["properties"]["radius_m"] == 8


def test_no_circle_without_accuracy_and_without_a_choice() -> None:
    collection = evidence_geojson([LANDLINE], None, contact_id=7)
    (feature,) = collection["features"]
    assert feature["properties"]["chosen"] is False and feature["properties"]["rank"] is None
    assert feature["id"] == "7/fix/0"


def test_equal_fixes_each_get_their_own_ranking_entry() -> None:
    twin = dataclasses.replace(GNSS)  # equal, not the same object
    assert twin == GNSS and twin is not GNSS
    fixes: list[LocationFix | Unlocated] = [GNSS, twin]
    collection = evidence_geojson(fixes, choose_best(fixes, NOW), contact_id="C")
    points = [f for f in collection["features"] if f["properties"]["kind"] == "fix"]
    assert sorted(p["properties"]["rank"] for p in points) == [1, 2]
    assert sum(p["properties"]["chosen"] for p in points) == 1


@given(
    st.floats(-89.0, 89.0),
    st.floats(-180.0, 180.0),
    st.floats(0.5, 100_000.0),
)
def test_rings_are_always_closed_and_in_range(lat: float, lon: float, radius: float) -> None:
    ring = circle_ring(lat, lon, radius)
    assert ring[0] == ring[-1] and len(ring) == CIRCLE_POINTS + 1
    for x, y in ring:
        assert -180.0 <= x <= 180.0 and -90.0 <= y <= 90.0
