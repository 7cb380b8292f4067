"""Shared pieces of the AML parsers: the error type and strict field readers.

Every reader takes the field's name and raises :class:`AmlError` naming it, saying what was
wrong and what was expected. Numbers are checked character by character before conversion, so
``nan``, ``1e5``, ``1_000`` and non-ASCII digits are refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from controlroom.domain.errors import InvalidInput

#: Longest input accepted, in characters or bytes: far above any real message.
MAX_SMS_LENGTH = 1_000
MAX_HTTPS_LENGTH = 16_384


class AmlError(InvalidInput):
    """An AML message that cannot be used. ``field`` names the key at fault (``lt``, ``ml``...)."""

    code = "invalid_aml"


def is_digits(value: str) -> bool:
    """True when ``value`` is one or more ASCII digits."""
    return value.isdigit() and value.isascii()


def shown(value: str, limit: int = 24) -> str:
    """A value quoted for an error message, shortened when long."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def split_pairs(body: str, separator: str) -> dict[str, str]:
    """``k=v`` pairs split on ``separator``; one trailing separator allowed, duplicates refused."""
    parts = body.split(separator)
    if parts[-1] == "":
        parts.pop()
    try:
        fields = dict([part.split("=", 1) for part in parts])
    except ValueError:  # a part without "="
        fields = {}
    if len(fields) != len(parts) or "" in fields:
        _explain_pairs(parts, separator)
    return fields


def _explain_pairs(parts: list[str], separator: str) -> None:
    """Raise the error for the first part that is not ``key=value`` or repeats a key."""
    seen: set[str] = set()
    for part in parts:
        key, eq, _ = part.partition("=")
        if not eq or not key:
            raise AmlError(
                f"field {shown(part)} is not key=value",
                field="message",
                hint=f"fields are key=value separated by {separator!r}",
            )
        if key in seen:
            raise AmlError(f"field {key!r} appears twice", field=key, hint="each key at most once")
        seen.add(key)


def required(fields: dict[str, str], key: str, what: str) -> str:
    """The value of a mandatory field; missing or empty is an error."""
    value = fields.get(key)
    if value is None:
        raise AmlError(f"{key} ({what}) is missing", field=key, hint="the field is mandatory")
    if value == "":
        raise AmlError(f"{key} ({what}) is empty", field=key, hint="the field is mandatory")
    return value


def digits(value: str, key: str, what: str, low: int, high: int) -> str:
    """``value`` as a string of ``low``..``high`` ASCII digits."""
    if not is_digits(value) or not low <= len(value) <= high:
        size = f"{low}" if low == high else f"{low}-{high}"
        raise AmlError(
            f"{key} ({what}) {shown(value)} is not {size} digits", field=key, hint=f"{size} digits"
        )
    return value


def integer(value: str, key: str, what: str, low: int, high: int, *, signed: bool = False) -> int:
    """A whole number within ``low``..``high``; a leading ``-``/``+`` only when ``signed``."""
    body = value[1:] if signed and value[:1] in ("-", "+") else value
    if not is_digits(body) or len(body) > 18:
        raise AmlError(
            f"{key} ({what}) {shown(value)} is not a whole number",
            field=key,
            hint=f"a whole number from {low} to {high}",
        )
    number = int(value)
    if not low <= number <= high:
        raise AmlError(
            f"{key} ({what}) {number} is out of range",
            field=key,
            hint=f"a whole number from {low} to {high}",
        )
    return number


_SIGNED_DECIMAL = re.compile(r"[+-]?[0-9]{1,12}(?:\.[0-9]{1,12})?")
_UNSIGNED_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?")


def decimal(
    value: str, key: str, what: str, low: float, high: float, *, signed: bool = True
) -> float:
    """A plain decimal number (``-4.2688``, ``12``, ``0.5``) within ``low``..``high``."""
    pattern = _SIGNED_DECIMAL if signed else _UNSIGNED_DECIMAL
    if pattern.fullmatch(value) is None:
        raise AmlError(
            f"{key} ({what}) {shown(value)} is not a decimal number",
            field=key,
            hint=f"a decimal number from {low:g} to {high:g}",
        )
    number = float(value)
    if not low <= number <= high:
        raise AmlError(
            f"{key} ({what}) {value} is out of range",
            field=key,
            hint=f"from {low:g} to {high:g}",
        )
    return number


def unix_time(seconds: float, key: str, what: str) -> datetime:
    """A UTC time from seconds since 1970; years 2000 to 2999 only."""
    if not 946_684_800 <= seconds < 32_503_680_000:
        raise AmlError(
            f"{key} ({what}) {seconds:g} is not a plausible time",
            field=key,
            hint="seconds since 1970-01-01 UTC, between the years 2000 and 2999",
        )
    return datetime.fromtimestamp(seconds, UTC)


# Each digit doubled, with the digits of the result added (Luhn): 0 2 4 6 8 1 3 5 7 9.
_DOUBLED = str.maketrans("0123456789", "0246813579")


def luhn_ok(number: str) -> bool:
    """True when the ASCII digit string passes the Luhn check (the IMEI check digit)."""
    kept = number[-1::-2]
    doubled = number[-2::-2].translate(_DOUBLED)
    total = sum(kept.encode()) + sum(doubled.encode()) - 48 * len(number)
    return total % 10 == 0


def imei(value: str, key: str, flags: list[str]) -> str | None:
    """An IMEI (14 digits), IMEI with check digit (15) or IMEISV (16); empty means absent.

    A 15-digit IMEI whose check digit fails is kept, and ``imei_check_digit_mismatch`` is flagged:
    the number still helps to match the call.
    """
    if value == "":
        return None
    digits(value, key, "IMEI", 14, 16)
    if len(value) == 15 and not luhn_ok(value):
        flags.append("imei_check_digit_mismatch")
    return value


def imsi(value: str, key: str) -> str | None:
    """An IMSI of 6 to 15 digits; empty means absent (no SIM, limited service)."""
    if value == "":
        return None
    return digits(value, key, "IMSI", 6, 15)


def mcc_mnc(value: str, key: str) -> tuple[str | None, str | None]:
    """A combined MCC+MNC (5 or 6 digits) split into its two parts; empty means absent."""
    if value == "":
        return None, None
    digits(value, key, "MCC and MNC", 5, 6)
    return value[:3], value[3:]


_TAGS = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*(?:,[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*)*")


def language_tags(value: str, key: str) -> tuple[str, ...]:
    """Comma-separated BCP 47 language tags such as ``en-GB,cy``; empty means none."""
    if value == "":
        return ()
    if _TAGS.fullmatch(value) is None:
        raise AmlError(
            f"{key} (languages) {shown(value)} is not a list of language tags",
            field=key,
            hint="BCP 47 tags separated by commas, e.g. en-GB,cy",
        )
    return tuple(value.split(","))
