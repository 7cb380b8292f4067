"""A location typed by a handler (or read out by the caller), recognised and recorded.

The reader (``adapters.location_reader.TypedLocationReader`` in production) turns the text
into a position when it can: any notation the one-box recogniser knows, what3words through
its API, a postcode or place from the force's gazetteer. What it cannot place is recorded
all the same, as unlocated evidence with the reason, so the handler sees plainly why and
nothing the caller said is lost. The change is the ordinary ``add_location`` action: one
transaction with its audit row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from controlroom.domain.access import Principal
from controlroom.domain.contacts import AddLocation, LocationEvidence
from controlroom.domain.location import LocationSource
from controlroom.domain.location.gazetteer import GazetteerEntry, TypedLocation
from controlroom.domain.policy import Policy
from controlroom.services.contacts import ContactDetails, UowFactory, do_action, get_contact
from controlroom.services.location_matching import evidence_for_fix, evidence_for_unlocated

#: The source recorded for text in a notation that has no position yet.
_UNLOCATED_SOURCE = {
    "what3words": LocationSource.WHAT3WORDS,
    "postcode": LocationSource.POSTCODE,
    "plus_code": LocationSource.PLUS_CODE,
    "plus_code_short": LocationSource.PLUS_CODE,
    "place": LocationSource.PLACE,
}


class LocationReader(Protocol):
    """Reads typed text into a position when it can (see module docstring)."""

    def read(
        self, text: str, *, stated_at: datetime, near: tuple[float, float] | None = None
    ) -> TypedLocation:
        """The text read; ``InvalidInput`` for text that is no location at all."""


class GazetteerSearch(Protocol):
    """Searching the force's gazetteer."""

    def search(self, text: str, *, limit: int = 10) -> list[GazetteerEntry]:
        """Entries whose postcode or name starts with ``text``."""


def typed_evidence(typed: TypedLocation, now: datetime) -> LocationEvidence:
    """What was typed as a contact's evidence: the fix with its note, or the text unlocated
    with the note as the reason."""
    if typed.fix is not None:
        evidence = evidence_for_fix(typed.fix, now)
        payload = {**evidence.payload, "note": typed.note}
        return LocationEvidence(evidence.source, evidence.received_at, payload)
    source = _UNLOCATED_SOURCE.get(typed.format, LocationSource.COORDINATES)
    return evidence_for_unlocated(source, typed.text, typed.note, now)


def add_typed_location(
    uow_factory: UowFactory,
    principal: Principal,
    contact_id: str,
    text: str,
    *,
    now: datetime,
    policy: Policy,
    reader: LocationReader,
) -> tuple[ContactDetails, TypedLocation]:
    """Read ``text`` (near the contact's best fix, for short Plus codes) and add it to the
    contact; the contact afterwards and what the text was read as."""
    current = get_contact(uow_factory, principal, contact_id, now, policy)
    best = current.location.fix if current.location is not None else None
    near = (best.lat, best.lon) if best is not None else None
    typed = reader.read(text, stated_at=now, near=near)
    action = AddLocation(typed_evidence(typed, now))
    details = do_action(uow_factory, principal, contact_id, action, now, policy)
    return details, typed
