"""The field rules of a MAIT message (docs/mait.md, "Field rules"), one function per kind.

Every refusal is a :class:`MaitInvalid` naming the field by its path in the message (the same
path as in the XML, e.g. ``incident.location.latitude``), what is wrong and how to fix it.
The limits are the project's reading of MAIT, encoded the same in the XSD under
``adapters/mait/``; the two must stay in step (tests/adapters/test_mait_xml.py checks they do).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from controlroom.domain.errors import InvalidInput


class MaitInvalid(InvalidInput):
    """A MAIT message that cannot be sent or read as given."""

    code = "invalid_mait_message"


#: Longest values, in characters (XSD ``maxLength``).
MAX_ID = 64
MAX_ORGANISATION_ID = 16
MAX_NAME = 120
MAX_REFERENCE = 40
MAX_CLASSIFICATION = 200
MAX_SUMMARY = 4000
MAX_ADDRESS = 500
MAX_LINE = 500
MAX_SOURCE = 60
MAX_GRADE = 40
MAX_PARAGRAPH = 40
#: Most repeated items.
MAX_TIMELINE = 50
MAX_REASONS = 20
#: Decimal places kept for a latitude or longitude (about 0.1 m).
COORDINATE_PLACES = 6

MESSAGE_ID = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:-]{{0,{MAX_ID - 1}}}")
ORGANISATION_ID = re.compile(rf"[A-Z0-9][A-Z0-9-]{{0,{MAX_ORGANISATION_ID - 1}}}")
REFERENCE = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._:/-]{{0,{MAX_REFERENCE - 1}}}")
TELEPHONE = re.compile(r"\+[1-9][0-9]{1,14}")
UPRN = re.compile(r"[1-9][0-9]{0,11}")
#: What XML 1.0 cannot carry, and carriage returns (a parser turns them into line feeds).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text(value: object, field: str, limit: int, *, required: bool = True) -> str:
    """``value`` as text of at most ``limit`` characters that XML can carry."""
    if not isinstance(value, str):
        raise MaitInvalid(f"{field} must be text", field=field)
    if required and not value.strip():
        raise MaitInvalid(f"{field} is empty", field=field, hint=f"give the {field}")
    if len(value) > limit:
        raise MaitInvalid(
            f"{field} is {len(value):,} characters long; MAIT allows {limit:,}",
            field=field,
            hint=f"shorten it to {limit:,} characters or fewer",
        )
    if _CONTROL.search(value):
        raise MaitInvalid(
            f"{field} contains a character XML cannot carry",
            field=field,
            hint="remove control characters and carriage returns; tab and line feed are allowed",
        )
    if limit <= MAX_NAME and "\n" in value:
        raise MaitInvalid(f"{field} holds a line break", field=field, hint="write it on one line")
    if value and value != value.strip():
        raise MaitInvalid(
            f"{field} starts or ends with white space",
            field=field,
            hint="trim it before building the message",
        )
    return value


def pattern(value: object, field: str, shape: re.Pattern[str], hint: str) -> str:
    """``value`` as a string that matches ``shape`` in full."""
    if not isinstance(value, str) or not shape.fullmatch(value):
        raise MaitInvalid(f"{field} {value!r} is not valid", field=field, hint=hint)
    return value


def moment(value: object, field: str) -> datetime:
    """``value`` as a UTC time to the second (MAIT times carry no fractions)."""
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise MaitInvalid(
            f"{field} must be a timezone-aware time", field=field, hint="pass a UTC datetime"
        )
    if value.year < 2000:
        raise MaitInvalid(f"{field} {value.isoformat()} is before 2000", field=field)
    return value.astimezone(UTC).replace(microsecond=0)


def coordinate(value: object, field: str, limit: float) -> float:
    """``value`` as a WGS84 degree within ±``limit``, rounded to the places MAIT keeps."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MaitInvalid(f"{field} must be a number of degrees", field=field)
    number = float(value)
    if not math.isfinite(number) or not -limit <= number <= limit:
        raise MaitInvalid(
            f"{field} {value!r} is outside -{limit:g} to {limit:g} degrees",
            field=field,
            hint="give WGS84 decimal degrees (latitude first)",
        )
    return round(number, COORDINATE_PLACES) + 0.0  # + 0.0: no negative zero


def metres(value: object, field: str) -> float | None:
    """``value`` as a non-negative distance in metres (whole metres), or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MaitInvalid(f"{field} must be a number of metres", field=field)
    number = float(value)
    if not math.isfinite(number) or not 0 <= number <= 1_000_000:
        raise MaitInvalid(
            f"{field} {value!r} is not 0-1,000,000 metres",
            field=field,
            hint="give the radius the position is believed to lie within",
        )
    return float(round(number))


def count(items: tuple[object, ...], field: str, limit: int) -> None:
    """Refuse more than ``limit`` repeated items."""
    if len(items) > limit:
        raise MaitInvalid(
            f"{field} has {len(items)} entries; MAIT allows {limit}",
            field=field,
            hint=f"send the latest {limit}",
        )


def shorten(value: str, limit: int, note: str) -> str:
    """``value`` cut at a word boundary so that it and ``note`` fit in ``limit`` characters.

    Used by builders for free text that may be longer than MAIT allows (a narrative); the note
    says that the text was shortened and where the full account is, so nothing is cut silently.
    """
    value = _CONTROL.sub(" ", value.replace("\r\n", "\n")).strip()
    if len(value) <= limit:
        return value
    room = max(0, limit - len(note) - 1)
    cut = value[:room]
    if " " in cut[room // 2 :]:
        cut = cut[: cut.rfind(" ")]
    return f"{cut.rstrip()} {note}"[:limit]
