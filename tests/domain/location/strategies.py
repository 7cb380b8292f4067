"""Hypothesis strategies for location fixes and AML messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from controlroom.domain.location import LocationFix, LocationSource, PositioningMethod

DIGITS = "0123456789"

moments = st.datetimes(
    min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
v1_methods = st.sampled_from(
    [
        PositioningMethod.GNSS,
        PositioningMethod.WIFI,
        PositioningMethod.CELL,
        PositioningMethod.UNKNOWN,
    ]
)
all_methods = st.sampled_from(list(PositioningMethod))
imsis = st.none() | st.text(DIGITS, min_size=6, max_size=15)
imeis = st.none() | st.text(DIGITS, min_size=14, max_size=16)
mccs = st.none() | st.text(DIGITS, min_size=3, max_size=3)
mncs = st.none() | st.text(DIGITS, min_size=2, max_size=3)
languages = st.lists(st.sampled_from(["en", "en-GB", "cy", "gd", "pl", "ro", "pa-IN"]), max_size=3)


@st.composite
def v1_fixes(draw: st.DrawFn) -> LocationFix:
    """Fixes that an AML v1 SMS can carry exactly (5-decimal degrees, whole metres)."""
    return LocationFix(
        source=LocationSource.AML_SMS_V1,
        lat=draw(st.integers(-9_000_000, 9_000_000)) / 100_000,
        lon=draw(st.integers(-18_000_000, 18_000_000)) / 100_000,
        accuracy_m=float(draw(st.integers(0, 1_000_000))),
        confidence_pct=draw(st.integers(0, 100)),
        positioned_at=draw(moments),
        method=draw(v1_methods),
        imsi=draw(imsis),
        imei=draw(imeis),
        network_mcc=draw(mccs),
        network_mnc=draw(mncs),
    )


@st.composite
def v2_fixes(draw: st.DrawFn) -> LocationFix:
    """Fixes that an AML v2 SMS can carry exactly."""
    start = draw(moments)
    offset = draw(st.none() | st.integers(-86_400, 86_400))
    altitude = draw(st.none() | st.integers(-1_000_000, 10_000_000).map(lambda n: n / 100))
    network = draw(st.none() | st.tuples(mccs.filter(bool), mncs.filter(bool)))
    home = draw(st.none() | st.tuples(mccs.filter(bool), mncs.filter(bool)))
    return LocationFix(
        source=LocationSource.AML_SMS_V2,
        lat=draw(st.integers(-900_000_000, 900_000_000)) / 10_000_000,
        lon=draw(st.integers(-1_800_000_000, 1_800_000_000)) / 10_000_000,
        accuracy_m=draw(st.integers(0, 100_000_000)) / 100,
        confidence_pct=draw(st.none() | st.integers(0, 100)),
        positioned_at=None if offset is None else start + timedelta(seconds=offset),
        method=draw(all_methods),
        altitude_m=altitude,
        vertical_accuracy_m=None if altitude is None else draw(st.integers(0, 10_000)) / 100,
        imei=draw(imeis),
        emergency_number=draw(st.sampled_from(["999", "112", "911"])),
        call_started_at=start,
        network_mcc=None if network is None else network[0],
        network_mnc=None if network is None else network[1],
        home_mcc=None if home is None else home[0],
        home_mnc=None if home is None else home[1],
        languages=tuple(draw(languages)),
    )


def no_value(name: str) -> dict[str, Any]:
    """Keyword arguments for ``dataclasses.replace`` that clear the field ``name``."""
    return {name: None}
