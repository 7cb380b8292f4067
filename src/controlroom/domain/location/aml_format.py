"""AML writers: a :class:`LocationFix` back to a v1 or v2 SMS, or to an HTTPS body.

Used to build test messages and benchmark load, and to replay a fix to another system. A fix
that lacks a field the format requires raises :class:`InvalidInput` naming the fix's field.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar
from urllib.parse import urlencode

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location.aml_https import HMAC_MARKER, sign_body
from controlroom.domain.location.aml_sms import HEADER_V1, HEADER_V2
from controlroom.domain.location.fix import LocationFix, PositioningMethod

_V1_CODES = {
    PositioningMethod.GNSS: "G",
    PositioningMethod.WIFI: "W",
    PositioningMethod.CELL: "C",
    PositioningMethod.UNKNOWN: "U",
}
_V2_CODES = {**_V1_CODES, PositioningMethod.FUSED: "F"}
_T = TypeVar("_T")

_HTTPS_SOURCES = {
    PositioningMethod.GNSS: "gps",
    PositioningMethod.WIFI: "wifi",
    PositioningMethod.CELL: "cell",
    PositioningMethod.FUSED: "fused",
    PositioningMethod.UNKNOWN: "unknown",
}


def _need(value: _T | None, name: str, fmt: str) -> _T:
    if value is None:
        raise InvalidInput(f"{fmt} needs {name}", field=name, hint=f"set {name} on the fix")
    return value


def plain(number: float, places: int) -> str:
    """``number`` with at most ``places`` decimals, no exponent and no trailing zeros."""
    text = f"{number:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _stamp(moment: datetime) -> str:
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"{moment.hour:02d}{moment.minute:02d}{moment.second:02d}"
    )


def with_length(prefix: str) -> str:
    """``prefix`` (ending ``ml=``) completed with the message's total length."""
    size = len(prefix) + 1
    while len(prefix) + len(str(size)) != size:
        size = len(prefix) + len(str(size))
    return prefix + str(size)


def format_aml_v1(fix: LocationFix) -> str:
    """The fix as an AML v1 SMS, ``ml`` computed. Coordinates are rounded to 5 decimals."""
    positioned_at = _need(fix.positioned_at, "positioned_at", "AML v1")
    accuracy = _need(fix.accuracy_m, "accuracy_m", "AML v1")
    confidence = _need(fix.confidence_pct, "confidence_pct", "AML v1")
    code = _V1_CODES.get(fix.method)
    if code is None:
        raise InvalidInput("AML v1 has no code for fused positioning", field="method")
    parts = [
        HEADER_V1 + f"lt={fix.lat:+.5f}",
        f"lg={fix.lon:+.5f}",
        f"rd={round(accuracy)}",
        f"top={_stamp(positioned_at)}",
        f"lc={confidence}",
        f"pm={code}",
    ]
    for key, value in (
        ("si", fix.imsi),
        ("ei", fix.imei),
        ("mcc", fix.network_mcc),
        ("mnc", fix.network_mnc),
    ):
        if value is not None:
            parts.append(f"{key}={value}")
    parts.extend(f"{key}={value}" for key, value in fix.extra.items())
    return with_length(";".join(parts) + ";ml=")


def format_aml_v2(fix: LocationFix) -> str:
    """The fix as an AML v2 SMS. Coordinates keep 7 decimals, accuracy and altitude 2."""
    number = _need(fix.emergency_number, "emergency_number", "AML v2")
    call_start = _need(fix.call_started_at, "call_started_at", "AML v2")
    accuracy = _need(fix.accuracy_m, "accuracy_m", "AML v2")
    start = int(call_start.timestamp())
    parts = [
        f"{HEADER_V2}en={number}",
        f"et={start}",
        f"lo={plain(fix.lat, 7)},{plain(fix.lon, 7)},{plain(accuracy, 2)}",
    ]
    if fix.positioned_at is not None:
        parts.append(f"lt={round(fix.positioned_at.timestamp()) - start}")
    if fix.confidence_pct is not None:
        parts.append(f"lc={fix.confidence_pct}")
    if fix.altitude_m is not None and fix.vertical_accuracy_m is not None:
        parts.append(f"lz={plain(fix.altitude_m, 2)},{plain(fix.vertical_accuracy_m, 2)}")
    parts.append(f"ls={_V2_CODES[fix.method]}")
    if fix.imei is not None:
        parts.append(f"ei={fix.imei}")
    if fix.network_mcc is not None and fix.network_mnc is not None:
        parts.append(f"nc={fix.network_mcc}{fix.network_mnc}")
    if fix.home_mcc is not None and fix.home_mnc is not None:
        parts.append(f"hc={fix.home_mcc}{fix.home_mnc}")
    if fix.languages:
        parts.append("lg=" + ",".join(fix.languages))
    parts.extend(f"{key}={value}" for key, value in fix.extra.items())
    return ";".join(parts)


def _millis(moment: datetime | None) -> str | None:
    return None if moment is None else str(round(moment.timestamp() * 1000))


def format_aml_https(fix: LocationFix, *, hmac_key: bytes | None = None) -> bytes:
    """The fix as a URL-encoded AML HTTPS body, signed with ``hmac_key`` when given."""
    pairs: list[tuple[str, str | None]] = [
        ("emergency_number", fix.emergency_number),
        ("time", _millis(fix.call_started_at)),
        ("location_latitude", plain(fix.lat, 7)),
        ("location_longitude", plain(fix.lon, 7)),
        ("location_time", _millis(fix.positioned_at)),
        ("location_altitude", None if fix.altitude_m is None else plain(fix.altitude_m, 2)),
        ("location_floor", fix.floor),
        ("location_source", _HTTPS_SOURCES[fix.method]),
        ("location_accuracy", None if fix.accuracy_m is None else plain(fix.accuracy_m, 2)),
        (
            "location_vertical_accuracy",
            None if fix.vertical_accuracy_m is None else plain(fix.vertical_accuracy_m, 2),
        ),
        ("location_confidence", None if fix.confidence_pct is None else str(fix.confidence_pct)),
        ("device_number", fix.caller_number),
        ("device_imsi", fix.imsi),
        ("device_imei", fix.imei),
        ("cell_home_mcc", fix.home_mcc),
        ("cell_home_mnc", fix.home_mnc),
        ("cell_network_mcc", fix.network_mcc),
        ("cell_network_mnc", fix.network_mnc),
        ("device_languages", ",".join(fix.languages) or None),
        *fix.extra.items(),
    ]
    body = urlencode([(key, value) for key, value in pairs if value is not None]).encode("ascii")
    if hmac_key is None:
        return body
    return body + HMAC_MARKER.encode("ascii") + sign_body(body, hmac_key).encode("ascii")
