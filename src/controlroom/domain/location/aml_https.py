"""The AML HTTPS form (Android Emergency Location Service style): a URL-encoded POST body.

The body is ``key=value`` pairs joined by ``&``, ending ``&hmac=<hex>`` where the HMAC-SHA1
covers every byte before ``&hmac=``. When the force configures a key the HMAC must be present
and correct; without a key it is not checked and the fix is flagged ``hmac_not_verified``.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import unquote_plus

from controlroom.domain.location.aml_fields import (
    MAX_HTTPS_LENGTH,
    AmlError,
    decimal,
    digits,
    imei,
    imsi,
    integer,
    is_digits,
    language_tags,
    required,
    shown,
    split_pairs,
    unix_time,
)
from controlroom.domain.location.fix import LocationFix, LocationSource, PositioningMethod

HMAC_MARKER = "&hmac="

_SOURCES = {
    "gps": PositioningMethod.GNSS,
    "gnss": PositioningMethod.GNSS,
    "wifi": PositioningMethod.WIFI,
    "cell": PositioningMethod.CELL,
    "fused": PositioningMethod.FUSED,
    "unknown": PositioningMethod.UNKNOWN,
}

_KNOWN = frozenset(
    {
        "emergency_number",
        "time",
        "location_latitude",
        "location_longitude",
        "location_time",
        "location_altitude",
        "location_floor",
        "location_source",
        "location_accuracy",
        "location_vertical_accuracy",
        "location_confidence",
        "device_number",
        "device_imsi",
        "device_imei",
        "cell_home_mcc",
        "cell_home_mnc",
        "cell_network_mcc",
        "cell_network_mnc",
        "device_languages",
    }
)


def sign_body(body: bytes, key: bytes) -> str:
    """The hex HMAC-SHA1 of ``body`` under ``key``, as sent in the ``hmac`` field."""
    return hmac.new(key, body, hashlib.sha1).hexdigest()


def _verify(data: bytes, text: str, key: bytes | None, flags: list[str]) -> str:
    """Check the HMAC when a key is configured; return the body without the ``hmac`` field."""
    marker = text.find(HMAC_MARKER)
    if marker < 0:
        if text.startswith("hmac="):
            raise AmlError("hmac covers nothing", field="hmac", hint="hmac is the last field")
        if key is not None:
            raise AmlError(
                "hmac is missing but this force requires signed messages",
                field="hmac",
                hint="the body must end with &hmac=<40 hex digits>",
            )
        return text
    given = text[marker + len(HMAC_MARKER) :]
    if "&" in given:
        raise AmlError(
            "fields follow hmac and would not be covered by it",
            field="hmac",
            hint="hmac is the last field",
        )
    if key is None:
        flags.append("hmac_not_verified")
    elif len(given) != 40 or not hmac.compare_digest(sign_body(data[:marker], key), given.lower()):
        raise AmlError(
            "hmac does not match the message: altered, or signed with another key",
            field="hmac",
            hint="HMAC-SHA1 in hex of every byte before &hmac=",
        )
    return text[:marker]


def _optional(
    fields: dict[str, str], key: str, what: str, low: float, high: float, *, signed: bool = True
) -> float | None:
    value = fields.get(key, "")
    return decimal(value, key, what, low, high, signed=signed) if value else None


def _millis(fields: dict[str, str], key: str, what: str) -> int | None:
    value = fields.get(key, "")
    return integer(value, key, what, 0, 10**15) if value else None


def _code(fields: dict[str, str], key: str, what: str, low: int, high: int) -> str | None:
    value = fields.get(key, "")
    return digits(value, key, what, low, high) if value else None


def _phone(fields: dict[str, str], key: str) -> str | None:
    value = fields.get(key, "")
    if not value:
        return None
    body = value[1:] if value.startswith("+") else value
    if not (is_digits(body) and 3 <= len(body) <= 20):
        raise AmlError(
            f"{key} {shown(value)} is not a telephone number",
            field=key,
            hint="digits, optionally after +",
        )
    return value


def parse_aml_https(body: str | bytes, *, hmac_key: bytes | None = None) -> LocationFix:
    """Parse one AML HTTPS body. Give the raw bytes when checking an HMAC."""
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(data) > MAX_HTTPS_LENGTH:
        raise AmlError(
            f"the body is {len(data)} bytes long",
            field="body",
            hint=f"an AML body is at most {MAX_HTTPS_LENGTH} bytes",
        )
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        raise AmlError(
            "the body has characters that are not URL-encoded",
            field="body",
            hint="application/x-www-form-urlencoded ASCII",
        ) from None
    flags: list[str] = []
    raw_fields = split_pairs(_verify(data, text, hmac_key, flags), "&")
    fields = {unquote_plus(key): unquote_plus(value) for key, value in raw_fields.items()}
    if len(fields) != len(raw_fields):
        raise AmlError("a field appears twice", field="body", hint="each key at most once")
    lat = decimal(
        required(fields, "location_latitude", "latitude"),
        "location_latitude",
        "latitude",
        -90.0,
        90.0,
    )
    lon = decimal(
        required(fields, "location_longitude", "longitude"),
        "location_longitude",
        "longitude",
        -180.0,
        180.0,
    )
    source = fields.get("location_source", "")
    method = _SOURCES.get(source.lower(), PositioningMethod.UNKNOWN)
    if source and source.lower() not in _SOURCES:
        flags.append("unknown_location_source")
    located_ms = _millis(fields, "location_time", "location time (ms)")
    call_ms = _millis(fields, "time", "time (ms)")
    confidence = _optional(fields, "location_confidence", "confidence", 0, 100, signed=False)
    floor = fields.get("location_floor") or None
    if floor is not None and (len(floor) > 16 or not floor.isprintable()):
        raise AmlError(
            f"location_floor {shown(floor)} is not a floor label",
            field="location_floor",
            hint="at most 16 printable characters",
        )
    device_imsi = imsi(fields.get("device_imsi", ""), "device_imsi")
    device_imei = imei(fields.get("device_imei", ""), "device_imei", flags)
    extra = {key: value for key, value in fields.items() if key not in _KNOWN}
    return LocationFix(
        source=LocationSource.AML_HTTPS,
        lat=lat,
        lon=lon,
        accuracy_m=_optional(fields, "location_accuracy", "accuracy", 0, 1e6, signed=False),
        confidence_pct=None if confidence is None else round(confidence),
        positioned_at=None
        if located_ms is None
        else unix_time(located_ms / 1000, "location_time", "location time"),
        method=method,
        altitude_m=_optional(fields, "location_altitude", "altitude", -12_000.0, 100_000.0),
        vertical_accuracy_m=_optional(
            fields, "location_vertical_accuracy", "vertical accuracy", 0, 1e6, signed=False
        ),
        floor=floor,
        imei=device_imei,
        imsi=device_imsi,
        emergency_number=_code(fields, "emergency_number", "number dialled", 2, 15),
        caller_number=_phone(fields, "device_number"),
        call_started_at=None if call_ms is None else unix_time(call_ms / 1000, "time", "time"),
        network_mcc=_code(fields, "cell_network_mcc", "network MCC", 3, 3),
        network_mnc=_code(fields, "cell_network_mnc", "network MNC", 2, 3),
        home_mcc=_code(fields, "cell_home_mcc", "home MCC", 3, 3),
        home_mnc=_code(fields, "cell_home_mnc", "home MNC", 2, 3),
        languages=language_tags(fields.get("device_languages", ""), "device_languages"),
        flags=tuple(flags),
        extra=extra,
        raw=text,
    )
