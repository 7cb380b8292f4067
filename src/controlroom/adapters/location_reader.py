"""What a handler types in the location box, read into a position when it can be placed.

The one-box recogniser (``location_text``) reads the notation; what3words goes through the
what3words API client when a key is configured; a postcode, or a place name no notation
claims, is looked up in the force's gazetteer. What cannot be placed is still kept, with a
plain note saying why, so nothing the caller said is lost.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from controlroom.adapters.location_text import (
    LocationFormat,
    UnrecognisedLocation,
    recognise_location,
)
from controlroom.adapters.what3words_client import (
    What3WordsService,
    What3WordsUnavailable,
    What3WordsUnknown,
)
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location import LocationFix, LocationSource
from controlroom.domain.location.gazetteer import (
    EntryKind,
    GazetteerEntry,
    TypedLocation,
    search_key,
)

Near = tuple[float, float]


class GazetteerLookup(Protocol):
    """The gazetteer look-ups the reader needs (``adapters.db.gazetteer.SqlGazetteer``)."""

    def postcode(self, text: str) -> GazetteerEntry | None: ...

    def search(self, text: str, *, limit: int = 10) -> list[GazetteerEntry]: ...


def entry_fix(entry: GazetteerEntry, raw: str, stated_at: datetime) -> LocationFix:
    """A gazetteer entry as a fix: its centre, with the radius it covers."""
    source = LocationSource.POSTCODE if entry.kind is EntryKind.POSTCODE else LocationSource.PLACE
    return LocationFix(
        source=source,
        lat=entry.lat,
        lon=entry.lon,
        accuracy_m=entry.accuracy_m,
        positioned_at=stated_at,
        extra={"gazetteer": entry.name},
        raw=raw,
    )


class TypedLocationReader:
    """Reads typed locations with the force's what3words service and gazetteer."""

    def __init__(self, what3words: What3WordsService, gazetteer: GazetteerLookup) -> None:
        self.what3words = what3words
        self.gazetteer = gazetteer

    def read(self, text: str, *, stated_at: datetime, near: Near | None = None) -> TypedLocation:
        """``text`` read and, where possible, placed. :class:`InvalidInput` for text in a
        known notation but wrong in it, or in none and not in the gazetteer."""
        raw = text.strip()
        try:
            found = recognise_location(raw, near=near)
        except UnrecognisedLocation as exc:
            return self._place(raw, stated_at, exc)
        fmt = found.format.value
        if found.format is LocationFormat.WHAT3WORDS:
            return self._what3words(raw, found.normalised or raw, stated_at, near)
        if found.format is LocationFormat.POSTCODE:
            return self._postcode(raw, found.normalised or raw, stated_at)
        if found.fix is None:
            return TypedLocation(raw, fmt, None, found.note)
        fix = found.fix if found.fix.positioned_at else _stated(found.fix, stated_at)
        return TypedLocation(raw, fmt, fix, found.note)

    def _what3words(
        self, raw: str, words: str, stated_at: datetime, near: Near | None
    ) -> TypedLocation:
        fmt = LocationFormat.WHAT3WORDS.value
        try:
            result = self.what3words.convert(raw, focus=near, stated_at=stated_at)
        except What3WordsUnknown as exc:
            hint = f" — {exc.hint}" if exc.hint else ""
            note = f"///{words} could not be converted: what3words does not know it{hint}"
            return TypedLocation(raw, fmt, None, note)
        except What3WordsUnavailable as exc:
            note = f"///{words} could not be converted: {exc.message}"
            return TypedLocation(raw, fmt, None, note)
        place = f" near {result.nearest_place}" if result.nearest_place else ""
        note = f"what3words ///{result.words}{place}: read the place back to the caller"
        return TypedLocation(raw, fmt, result.fix, note)

    def _postcode(self, raw: str, postcode: str, stated_at: datetime) -> TypedLocation:
        fmt = LocationFormat.POSTCODE.value
        entry = self.gazetteer.postcode(postcode)
        if entry is None:
            note = (
                f"postcode {postcode} is not in the force's gazetteer: it cannot be placed "
                "on the map; ask for a street, a landmark or three words"
            )
            return TypedLocation(raw, fmt, None, note)
        note = f"postcode {postcode} from the gazetteer: its centre, ±{entry.accuracy_m:.0f} m"
        return TypedLocation(raw, fmt, entry_fix(entry, raw, stated_at), note)

    def _place(self, raw: str, stated_at: datetime, error: InvalidInput) -> TypedLocation:
        matches = self.gazetteer.search(raw, limit=6)
        exact = [entry for entry in matches if entry.key == search_key(raw)]
        if len(exact) == 1 or len(matches) == 1:
            entry = exact[0] if exact else matches[0]
            note = f"{entry.name} from the gazetteer: its centre, ±{entry.accuracy_m:.0f} m"
            return TypedLocation(raw, EntryKind.PLACE.value, entry_fix(entry, raw, stated_at), note)
        if matches:
            names = "; ".join(entry.name for entry in matches[:5])
            raise InvalidInput(
                f"{raw!r} matches {len(matches)} gazetteer entries",
                field="text",
                hint=f"choose one: {names}",
            )
        raise InvalidInput(
            error.message + ", and no postcode or place in the gazetteer matches it",
            field="text",
            hint=error.hint,
        )


def _stated(fix: LocationFix, stated_at: datetime) -> LocationFix:
    """``fix`` timed when the caller gave it, so it ages like other evidence."""
    return replace(fix, positioned_at=stated_at)
