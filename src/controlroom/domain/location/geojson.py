"""A contact's location evidence as a GeoJSON FeatureCollection (RFC 7946), ready to map.

One ``Point`` per fix (``"kind": "fix"``), with the ranking's explanation, and for each fix with
a known accuracy a ``Polygon`` approximating its accuracy circle (``"kind": "accuracy"``).
Evidence without coordinates is a feature with a ``null`` geometry. Positions are
``[longitude, latitude]`` in WGS84, rounded to 6 decimals (about 0.1 m).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from controlroom.domain.location.best import BestChoice, Evidence, Ranked, Unlocated

#: Points on each accuracy circle (the ring has one more: it is closed).
CIRCLE_POINTS = 32
#: Accuracy circles smaller than this are not drawn (6 decimals cannot show them).
MIN_CIRCLE_RADIUS_M = 0.5
_EARTH_RADIUS_M = 6_371_008.8
_PLACES = 6


def _round(value: float) -> float:
    rounded = round(value, _PLACES)
    return 0.0 if rounded == 0 else rounded  # no "-0.0"


def _position(lat: float, lon: float) -> list[float]:
    return [_round(lon), _round(lat)]


def circle_ring(
    lat: float, lon: float, radius_m: float, points: int = CIRCLE_POINTS
) -> list[list[float]]:
    """A closed, counter-clockwise ring of ``points`` positions ``radius_m`` from the centre.

    Great-circle destinations on a sphere; longitudes are wrapped to -180..180.
    """
    angular = radius_m / _EARTH_RADIUS_M
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    ring: list[list[float]] = []
    for step in range(points):
        bearing = -2 * math.pi * step / points  # anticlockwise seen from above
        sin_phi = math.sin(phi1) * math.cos(angular) + math.cos(phi1) * math.sin(
            angular
        ) * math.cos(bearing)
        phi2 = math.asin(max(-1.0, min(1.0, sin_phi)))
        lambda2 = lambda1 + math.atan2(
            math.sin(bearing) * math.sin(angular) * math.cos(phi1),
            math.cos(angular) - math.sin(phi1) * math.sin(phi2),
        )
        lon2 = (math.degrees(lambda2) + 540.0) % 360.0 - 180.0
        ring.append(_position(math.degrees(phi2), lon2))
    ring.append(list(ring[0]))
    return ring


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _number(value: float | None, places: int = 1) -> float | None:
    return None if value is None else round(value, places)


def _match(fixes: Sequence[Evidence], best: BestChoice | None) -> list[Ranked | None]:
    """The ranking entry of each fix: the same object, else an equal one not yet used."""
    if best is None:
        return [None] * len(fixes)
    unused = list(best.ranking)
    matched: list[Ranked | None] = []
    for item in fixes:
        found = next((r for r in unused if r.evidence is item), None)
        if found is None:
            found = next((r for r in unused if r.evidence == item), None)
        if found is not None:
            unused.remove(found)
        matched.append(found)
    return matched


def evidence_geojson(
    fixes: Sequence[Evidence], best: BestChoice | None, *, contact_id: str | int
) -> dict[str, Any]:
    """The FeatureCollection for ``GET /api/contacts/{id}/location.geojson``.

    ``best`` is :func:`~controlroom.domain.location.best.choose_best` over the same ``fixes``
    (or None); it supplies the chosen flag, rank and explanation of each feature.
    """
    features: list[dict[str, Any]] = []
    for index, (item, ranked) in enumerate(zip(fixes, _match(fixes, best), strict=True)):
        fix_id = f"{contact_id}/fix/{index}"
        properties: dict[str, Any] = {
            "kind": "fix",
            "contact_id": contact_id,
            "index": index,
            "source": item.source.value,
            "chosen": bool(ranked and ranked.chosen),
            "rank": ranked.rank if ranked else None,
            "explanation": ranked.explanation if ranked else None,
            "stale": ranked.score.stale if ranked else None,
            "age_s": _number(ranked.score.age_s, 0) if ranked else None,
            "effective_radius_m": ranked.score.effective_radius_m if ranked else None,
        }
        if isinstance(item, Unlocated):
            properties.update(
                text=item.text, reason=item.reason, positioned_at=_iso(item.stated_at)
            )
            features.append(
                {"type": "Feature", "id": fix_id, "geometry": None, "properties": properties}
            )
            continue
        properties.update(
            accuracy_m=_number(item.accuracy_m),
            confidence_pct=item.confidence_pct,
            positioned_at=_iso(item.positioned_at),
            method=item.method.value,
            flags=list(item.flags),
        )
        point = {"type": "Point", "coordinates": _position(item.lat, item.lon)}
        features.append(
            {"type": "Feature", "id": fix_id, "geometry": point, "properties": properties}
        )
        if item.accuracy_m is not None and item.accuracy_m >= MIN_CIRCLE_RADIUS_M:
            ring = circle_ring(item.lat, item.lon, item.accuracy_m)
            features.append(
                {
                    "type": "Feature",
                    "id": f"{fix_id}/accuracy",
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                    "properties": {
                        "kind": "accuracy",
                        "contact_id": contact_id,
                        "index": index,
                        "source": item.source.value,
                        "chosen": properties["chosen"],
                        "radius_m": _number(item.accuracy_m),
                    },
                }
            )
    return {"type": "FeatureCollection", "contact_id": contact_id, "features": features}
