"""A force's gazetteer (postcodes and places with coordinates) and what a typed location
reads as: pure values, the standard library only."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location.fix import LocationFix

#: A UK postcode: outward code, one optional space, inward code (``PL1 2AB``, ``pl12ab``).
POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$")
#: Radius given to a postcode without its own: most postcodes cover a street or part of one.
POSTCODE_ACCURACY_M = 100.0
#: Radius given to a place without its own: a village or a district.
PLACE_ACCURACY_M = 1000.0
MAX_NAME_LENGTH = 200


class EntryKind(StrEnum):
    """What a gazetteer entry names."""

    POSTCODE = "postcode"
    PLACE = "place"


def postcode_key(text: str) -> str | None:
    """``text`` as a postcode in its canonical form (``PL1 2AB``), or None if it is not one."""
    squeezed = re.sub(r"\s+", "", text.strip().upper())
    found = POSTCODE.match(squeezed)
    return f"{found.group(1)} {found.group(2)}" if found else None


def search_key(text: str) -> str:
    """The form names are stored and searched in: lower case, single spaces."""
    return " ".join(text.strip().lower().split())


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One postcode or place and where it is (WGS84), with the radius it covers."""

    kind: EntryKind
    name: str
    lat: float
    lon: float
    accuracy_m: float

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > MAX_NAME_LENGTH:
            raise InvalidInput(
                "a gazetteer name must be 1-200 characters", field="name", hint="give the name"
            )
        if not (math.isfinite(self.lat) and -90 <= self.lat <= 90):
            raise InvalidInput(f"latitude {self.lat} is out of range", field="lat", hint="-90..90")
        if not (math.isfinite(self.lon) and -180 <= self.lon <= 180):
            raise InvalidInput(
                f"longitude {self.lon} is out of range", field="lon", hint="-180..180"
            )
        if not (math.isfinite(self.accuracy_m) and 0 <= self.accuracy_m <= 100_000):
            raise InvalidInput(
                f"accuracy {self.accuracy_m} m is out of range",
                field="accuracy_m",
                hint="a radius in metres, 0-100,000",
            )

    @property
    def key(self) -> str:
        """What the entry is found by: the canonical postcode, or the name in lower case."""
        if self.kind is EntryKind.POSTCODE:
            return postcode_key(self.name) or search_key(self.name)
        return search_key(self.name)


class TypedOutcome(StrEnum):
    """What became of a location a handler typed."""

    LOCATED = "located"
    UNLOCATED = "unlocated"


@dataclass(frozen=True, slots=True)
class TypedLocation:
    """A typed location as read: its format, the fix when it could be placed, and a note for
    the handler (what was read and how sure it is, or plainly why it has no position)."""

    text: str
    format: str
    fix: LocationFix | None
    note: str

    @property
    def outcome(self) -> TypedOutcome:
        """Located when there is a fix."""
        return TypedOutcome.LOCATED if self.fix is not None else TypedOutcome.UNLOCATED
