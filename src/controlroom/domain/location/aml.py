"""Advanced Mobile Location (ETSI TS 103 625): one entry point for every AML form.

``parse_aml`` reads a v1 SMS (``A"ML=1;…``), a v2 SMS (``A"ML=2;…``) or an HTTPS body
(URL-encoded, optionally HMAC-signed) and returns one :class:`LocationFix`, or raises
:class:`AmlError` naming the field at fault. Any input at all gives one or the other.
"""

from __future__ import annotations

from controlroom.domain.location.aml_fields import AmlError
from controlroom.domain.location.aml_format import format_aml_https, format_aml_v1, format_aml_v2
from controlroom.domain.location.aml_https import parse_aml_https
from controlroom.domain.location.aml_sms import HEADER_V1, HEADER_V2, parse_aml_v1, parse_aml_v2
from controlroom.domain.location.fix import LocationFix, newer_fix

__all__ = [
    "AmlError",
    "apply_aml",
    "format_aml_https",
    "format_aml_v1",
    "format_aml_v2",
    "looks_like_aml",
    "parse_aml",
    "parse_aml_https",
    "parse_aml_v1",
    "parse_aml_v2",
]

_SMS_PREFIX = 'A"ML='


def looks_like_aml(text: str) -> bool:
    """True when ``text`` claims to be AML: an SMS header, or a body with a latitude field."""
    stripped = text.strip()
    return stripped.startswith(_SMS_PREFIX) or "location_latitude=" in stripped


def parse_aml(
    message: str | bytes, *, hmac_key: bytes | None = None, strict: bool = True
) -> LocationFix:
    """Parse one AML message of any form; surrounding whitespace is ignored.

    ``hmac_key`` applies to the HTTPS form only: when given, the body must carry a correct
    HMAC-SHA1. ``strict`` applies to v1 only (see :func:`parse_aml_v1`).
    """
    if isinstance(message, (bytes, bytearray, memoryview)):
        data = bytes(message).strip()
        if not data.startswith(_SMS_PREFIX.encode("ascii")):
            if b"&" not in data and b"location_" not in data:
                raise _not_aml()
            return parse_aml_https(data, hmac_key=hmac_key)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise AmlError(
                "the message is not valid text", field="message", hint="UTF-8 or ASCII text"
            ) from None
    else:
        text = message.strip()
    if text.startswith(HEADER_V1):
        return parse_aml_v1(text, strict=strict)
    if text.startswith(HEADER_V2):
        return parse_aml_v2(text)
    if text.startswith(_SMS_PREFIX):
        raise AmlError(
            f"unsupported AML header {text[:8]!r}",
            field="header",
            hint=f"{HEADER_V1} or {HEADER_V2}",
        )
    if "&" not in text and "location_" not in text:
        raise _not_aml()
    return parse_aml_https(text, hmac_key=hmac_key)


def _not_aml() -> AmlError:
    return AmlError(
        "not an AML message",
        field="header",
        hint=f"an SMS starting {HEADER_V1} or {HEADER_V2}, or a URL-encoded HTTPS body",
    )


def apply_aml(
    current: LocationFix | None, message: str | bytes, *, hmac_key: bytes | None = None
) -> tuple[LocationFix | None, AmlError | None]:
    """The fix to hold after ``message`` arrives, and the message's error if it had one.

    A bad message never replaces ``current``; a good one replaces it unless it was positioned
    earlier (see :func:`newer_fix`).
    """
    try:
        candidate = parse_aml(message, hmac_key=hmac_key)
    except AmlError as error:
        return current, error
    return newer_fix(current, candidate), None
