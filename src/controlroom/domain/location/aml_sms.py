"""AML SMS parsers (ETSI TS 103 625): version 1 (``A"ML=1;``) and version 2 (``A"ML=2;``).

Fields are ``key=value`` separated by ``;``. Unknown keys are kept in ``LocationFix.extra`` so a
newer handset's additions never make a message unusable; duplicate keys are refused, because
two values for one key mean corruption. A single trailing ``;`` is tolerated.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from controlroom.domain.location.aml_fields import (
    MAX_SMS_LENGTH,
    AmlError,
    decimal,
    digits,
    imei,
    imsi,
    integer,
    is_digits,
    language_tags,
    mcc_mnc,
    required,
    shown,
    split_pairs,
    unix_time,
)
from controlroom.domain.location.fix import LocationFix, LocationSource, PositioningMethod

HEADER_V1 = 'A"ML=1;'
HEADER_V2 = 'A"ML=2;'

# Strict v1 coordinates: explicit sign, 1-2 (latitude) or 1-3 (longitude) digits, 5 decimals.
_V1_LAT = re.compile(r"[+-][0-9]{1,2}\.[0-9]{5}")
_V1_LON = re.compile(r"[+-][0-9]{1,3}\.[0-9]{5}")

_V1_KNOWN = frozenset({"lt", "lg", "rd", "top", "lc", "pm", "si", "ei", "mcc", "mnc", "ml"})
_V2_KNOWN = frozenset({"en", "et", "lo", "lt", "lc", "lz", "ls", "ei", "nc", "hc", "lg"})

_V1_METHODS = {
    "G": PositioningMethod.GNSS,
    "W": PositioningMethod.WIFI,
    "C": PositioningMethod.CELL,
    "U": PositioningMethod.UNKNOWN,
}
_V2_METHODS = {**_V1_METHODS, "F": PositioningMethod.FUSED}

#: Largest accuracy radius accepted (metres): anything larger is not a location.
MAX_RADIUS_M = 1_000_000
#: Largest |lt| offset accepted in v2 (seconds): one day either side of the call start.
MAX_OFFSET_S = 86_400


def _check_length(text: str) -> None:
    if len(text) > MAX_SMS_LENGTH:
        raise AmlError(
            f"the message is {len(text)} characters long",
            field="message",
            hint=f"an AML SMS is at most {MAX_SMS_LENGTH} characters",
        )


def _v1_coordinate(value: str, key: str, limit: float, strict: bool) -> float:
    what = "latitude" if key == "lt" else "longitude"
    if not strict:
        return decimal(value, key, what, -limit, limit)
    pattern = _V1_LAT if key == "lt" else _V1_LON
    if pattern.fullmatch(value) is None:
        example = "+55.74297" if key == "lt" else "-4.26880"
        raise AmlError(
            f"{key} ({what}) {shown(value)} is not in the standard's format",
            field=key,
            hint=f"a sign then degrees with exactly 5 decimals, e.g. {example}",
        )
    number = float(value)
    if not -limit <= number <= limit:
        raise AmlError(
            f"{key} ({what}) {value} is out of range",
            field=key,
            hint=f"from {-limit:g} to {limit:g}",
        )
    return number


def _v1_time(value: str) -> datetime:
    if len(value) != 14 or not is_digits(value):
        raise AmlError(
            f"top (time of positioning) {shown(value)} is not YYYYMMDDhhmmss",
            field="top",
            hint="14 digits: YYYYMMDDhhmmss in UTC, e.g. 20130717175329",
        )
    try:
        # 14 digits checked above, so this reads exactly YYYYMMDDThhmmss in UTC.
        return datetime.fromisoformat(f"{value[:8]}T{value[8:]}+00:00")
    except ValueError:
        raise AmlError(
            f"top (time of positioning) {value} is not a real date and time",
            field="top",
            hint="YYYYMMDDhhmmss in UTC with a real month, day, hour, minute and second",
        ) from None


def _method(value: str, key: str, table: dict[str, PositioningMethod]) -> PositioningMethod:
    if value == "N":
        raise AmlError(
            f"{key}=N: the handset reported that it has no location",
            field=key,
            hint="no fix can be taken from this message; keep the previous one",
        )
    method = table.get(value)
    if method is None:
        raise AmlError(
            f"{key} (positioning method) {shown(value)} is not known",
            field=key,
            hint="one of " + ", ".join(sorted([*table, "N"])),
        )
    return method


def parse_aml_v1(text: str, *, strict: bool = True) -> LocationFix:
    """Parse one AML v1 SMS such as ``A"ML=1;lt=+55.74297;…;ml=127``.

    ``ml`` must equal the message's length in characters, counting the header and the ``ml``
    field itself; a mismatch means truncation or corruption and is refused. With
    ``strict=False`` coordinates may omit the ``+`` and carry any number of decimals, and
    ``rd`` may have decimals.
    """
    _check_length(text)
    if not text.startswith(HEADER_V1):
        raise AmlError("not an AML v1 message", field="header", hint=f"starts with {HEADER_V1}")
    # The length is checked first: a truncated message fails here, whatever else it lost.
    marker = text.rfind(";ml=")
    if marker < 0:
        raise AmlError(
            "ml (message length) is missing: the message is probably truncated",
            field="ml",
            hint="the last field is ml=<total length>",
        )
    length = text[marker + 4 :].partition(";")[0]
    declared = integer(length, "ml", "message length", 0, MAX_SMS_LENGTH)
    if declared != len(text):
        raise AmlError(
            f"ml={declared} but the message is {len(text)} characters: truncated or corrupted",
            field="ml",
            hint="ml counts every character, including the header and the ml field",
        )
    fields = split_pairs(text[len(HEADER_V1) :], ";")
    method = _method(
        fields.get("pm") or required(fields, "pm", "positioning method"), "pm", _V1_METHODS
    )
    lat = _v1_coordinate(fields.get("lt") or required(fields, "lt", "latitude"), "lt", 90.0, strict)
    lon = _v1_coordinate(
        fields.get("lg") or required(fields, "lg", "longitude"), "lg", 180.0, strict
    )
    radius = fields.get("rd") or required(fields, "rd", "accuracy radius")
    if strict or "." not in radius:
        accuracy = float(integer(radius, "rd", "accuracy radius", 0, MAX_RADIUS_M))
    else:
        accuracy = decimal(radius, "rd", "accuracy radius", 0, MAX_RADIUS_M, signed=False)
    positioned_at = _v1_time(fields.get("top") or required(fields, "top", "time of positioning"))
    confidence = fields.get("lc") or required(fields, "lc", "level of confidence")
    flags: list[str] = []
    device_imsi = imsi(fields.get("si", ""), "si")
    device_imei = imei(fields.get("ei", ""), "ei", flags)
    mcc = fields.get("mcc") or None
    mnc = fields.get("mnc") or None
    if mcc is not None:
        digits(mcc, "mcc", "mobile country code", 3, 3)
    if mnc is not None:
        digits(mnc, "mnc", "mobile network code", 2, 3)
    extra = (
        {}
        if fields.keys() <= _V1_KNOWN
        else {key: value for key, value in fields.items() if key not in _V1_KNOWN}
    )
    return LocationFix(
        source=LocationSource.AML_SMS_V1,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        confidence_pct=integer(confidence, "lc", "level of confidence", 0, 100),
        positioned_at=positioned_at,
        method=method,
        imei=device_imei,
        imsi=device_imsi,
        network_mcc=mcc,
        network_mnc=mnc,
        flags=tuple(flags),
        extra=extra,
        raw=text,
    )


def _pair(value: str, key: str, what: str, count: int) -> list[str]:
    parts = value.split(",")
    if len(parts) != count:
        raise AmlError(
            f"{key} ({what}) {shown(value)} has {len(parts)} parts, expected {count}",
            field=key,
            hint="values separated by commas: " + what,
        )
    return parts


def parse_aml_v2(text: str) -> LocationFix:
    """Parse one AML v2 SMS such as ``A"ML=2;en=999;et=1700000000;lo=50.37120,-4.14270,12;…``.

    ``en``, ``et`` and ``lo`` are mandatory. ``lt`` is the location time as an offset in
    seconds from ``et`` (the call start); without it the time of positioning is unknown.
    v2 has no length field, so truncation shows only as a missing or malformed field.
    """
    _check_length(text)
    if not text.startswith(HEADER_V2):
        raise AmlError("not an AML v2 message", field="header", hint=f"starts with {HEADER_V2}")
    fields = split_pairs(text[len(HEADER_V2) :], ";")
    number = digits(required(fields, "en", "number dialled"), "en", "number dialled", 2, 15)
    call_start = unix_time(
        integer(required(fields, "et", "call start"), "et", "call start", 0, 10**12),
        "et",
        "call start",
    )
    lat_s, lon_s, acc_s = _pair(required(fields, "lo", "location"), "lo", "lat,lon,accuracy", 3)
    lat = decimal(lat_s, "lo", "latitude", -90.0, 90.0)
    lon = decimal(lon_s, "lo", "longitude", -180.0, 180.0)
    accuracy = decimal(acc_s, "lo", "accuracy", 0, MAX_RADIUS_M, signed=False)
    positioned_at = None
    if fields.get("lt"):
        offset = integer(
            fields["lt"], "lt", "location time offset", -MAX_OFFSET_S, MAX_OFFSET_S, signed=True
        )
        positioned_at = call_start + timedelta(seconds=offset)
    confidence = None
    if fields.get("lc"):
        confidence = integer(fields["lc"], "lc", "level of confidence", 0, 100)
    altitude = vertical = None
    if fields.get("lz"):
        alt_s, vacc_s = _pair(fields["lz"], "lz", "altitude,vertical_accuracy", 2)
        altitude = decimal(alt_s, "lz", "altitude", -12_000.0, 100_000.0)
        vertical = decimal(vacc_s, "lz", "vertical accuracy", 0, MAX_RADIUS_M, signed=False)
    method = PositioningMethod.UNKNOWN
    if fields.get("ls"):
        method = _method(fields["ls"], "ls", _V2_METHODS)
    flags: list[str] = []
    device_imei = imei(fields.get("ei", ""), "ei", flags)
    network_mcc, network_mnc = mcc_mnc(fields.get("nc", ""), "nc")
    home_mcc, home_mnc = mcc_mnc(fields.get("hc", ""), "hc")
    extra = {key: value for key, value in fields.items() if key not in _V2_KNOWN}
    return LocationFix(
        source=LocationSource.AML_SMS_V2,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        confidence_pct=confidence,
        positioned_at=positioned_at,
        method=method,
        altitude_m=altitude,
        vertical_accuracy_m=vertical,
        imei=device_imei,
        emergency_number=number,
        call_started_at=call_start,
        network_mcc=network_mcc,
        network_mnc=network_mnc,
        home_mcc=home_mcc,
        home_mnc=home_mnc,
        languages=language_tags(fields.get("lg", ""), "lg"),
        flags=tuple(flags),
        extra=extra,
        raw=text,
    )
