"""A caller's location fix: one point in WGS84 with how, when and how well it was found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from controlroom.domain.errors import InvalidInput


class LocationSource(StrEnum):
    """Where a fix came from."""

    AML_SMS_V1 = "aml_sms_v1"
    AML_SMS_V2 = "aml_sms_v2"
    AML_HTTPS = "aml_https"
    WHAT3WORDS = "what3words"
    PLUS_CODE = "plus_code"
    OS_GRID = "os_grid"
    COORDINATES = "coordinates"
    POSTCODE = "postcode"
    PLACE = "place"
    LANDLINE_ADDRESS = "landline_address"


class PositioningMethod(StrEnum):
    """How the handset (or the person) found the position."""

    GNSS = "gnss"
    WIFI = "wifi"
    CELL = "cell"
    FUSED = "fused"
    UNKNOWN = "unknown"


_NO_EXTRA: Mapping[str, str] = MappingProxyType({})


def _out_of_range(name: str, value: float, low: float, high: float) -> InvalidInput:
    return InvalidInput(
        f"{name} {value!r} is out of range", field=name, hint=f"expected {low} to {high}"
    )


def _check_range(name: str, value: float | None, low: float, high: float) -> None:
    # ``low <= value <= high`` is False for NaN, so NaN is refused too.
    if value is not None and not low <= value <= high:
        raise _out_of_range(name, value, low, high)


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def _utc(name: str, moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{name} has no time zone", field=name, hint="give an aware UTC time")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class LocationFix:
    """One position of a caller, in WGS84 degrees, validated on construction.

    ``accuracy_m`` is the radius (metres) the position is believed to lie within;
    ``positioned_at`` when the position was measured (UTC). Device and network fields are the
    handset's own report and are kept as text. ``flags`` marks things worth a second look that
    did not make the fix invalid (e.g. ``imei_check_digit_mismatch``); ``extra`` keeps fields
    the parser does not interpret, so nothing the handset sent is lost.
    """

    source: LocationSource
    lat: float
    lon: float
    accuracy_m: float | None = None
    confidence_pct: int | None = None
    positioned_at: datetime | None = None
    method: PositioningMethod = PositioningMethod.UNKNOWN
    altitude_m: float | None = None
    vertical_accuracy_m: float | None = None
    floor: str | None = None
    imei: str | None = None
    imsi: str | None = None
    emergency_number: str | None = None
    caller_number: str | None = None
    call_started_at: datetime | None = None
    network_mcc: str | None = None
    network_mnc: str | None = None
    home_mcc: str | None = None
    home_mnc: str | None = None
    languages: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=lambda: _NO_EXTRA, hash=False)
    raw: str | None = None

    def __post_init__(self) -> None:
        if not -90.0 <= self.lat <= 90.0:
            raise _out_of_range("lat", self.lat, -90.0, 90.0)
        if not -180.0 <= self.lon <= 180.0:
            raise _out_of_range("lon", self.lon, -180.0, 180.0)
        _check_range("accuracy_m", self.accuracy_m, 0.0, 1e7)
        _check_range("confidence_pct", self.confidence_pct, 0, 100)
        if self.altitude_m is not None or self.vertical_accuracy_m is not None:
            _check_range("altitude_m", self.altitude_m, -12_000.0, 100_000.0)
            _check_range("vertical_accuracy_m", self.vertical_accuracy_m, 0.0, 1e7)
        if type(self.extra) is not MappingProxyType:  # a read-only copy: the fix is immutable
            extra = MappingProxyType(dict(self.extra)) if self.extra else _NO_EXTRA
            object.__setattr__(self, "extra", extra)
        if self.positioned_at is not None and self.positioned_at.tzinfo is not UTC:
            object.__setattr__(self, "positioned_at", _utc("positioned_at", self.positioned_at))
        if self.call_started_at is not None and self.call_started_at.tzinfo is not UTC:
            object.__setattr__(
                self, "call_started_at", _utc("call_started_at", self.call_started_at)
            )

    def as_dict(self) -> dict[str, Any]:
        """The fix as JSON-friendly values (times as ISO 8601 with ``Z``)."""
        return {
            "source": self.source.value,
            "lat": self.lat,
            "lon": self.lon,
            "accuracy_m": self.accuracy_m,
            "confidence_pct": self.confidence_pct,
            "positioned_at": _iso(self.positioned_at),
            "method": self.method.value,
            "altitude_m": self.altitude_m,
            "vertical_accuracy_m": self.vertical_accuracy_m,
            "floor": self.floor,
            "imei": self.imei,
            "imsi": self.imsi,
            "emergency_number": self.emergency_number,
            "caller_number": self.caller_number,
            "call_started_at": _iso(self.call_started_at),
            "network_mcc": self.network_mcc,
            "network_mnc": self.network_mnc,
            "home_mcc": self.home_mcc,
            "home_mnc": self.home_mnc,
            "languages": list(self.languages),
            "flags": list(self.flags),
            "extra": dict(self.extra),
            "raw": self.raw,
        }


def newer_fix(current: LocationFix | None, candidate: LocationFix | None) -> LocationFix | None:
    """The fix to keep: ``candidate`` unless it is missing or positioned before ``current``.

    A fix without a time never replaces one that has a time.
    """
    if candidate is None:
        return current
    if current is None or current.positioned_at is None:
        return candidate
    if candidate.positioned_at is None or candidate.positioned_at < current.positioned_at:
        return current
    return candidate
