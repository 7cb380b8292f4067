"""A contact's location evidence as stored on it (written by services.location_matching),
read back into fixes and unlocated statements."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from controlroom.domain.contacts import Contact, LocationEvidence
from controlroom.domain.errors import DomainError
from controlroom.domain.location import LocationFix, LocationSource, PositioningMethod
from controlroom.domain.location.best import Evidence, Unlocated

_FLOATS = ("lat", "lon", "accuracy_m", "altitude_m", "vertical_accuracy_m")
_TIMES = ("positioned_at", "call_started_at")
_LISTS = ("languages", "flags")
_TEXTS = ("floor", "imei", "imsi", "emergency_number", "caller_number", "raw", "network_mcc")
_TEXTS_MORE = ("network_mnc", "home_mcc", "home_mnc")


def _time(value: str | None) -> datetime | None:
    return None if not value else datetime.fromisoformat(value)


def read_evidence(evidence: LocationEvidence) -> Evidence | None:
    """The fix or unlocated evidence stored in ``evidence``; None for a shape it cannot read."""
    try:
        source = LocationSource(evidence.source)
    except ValueError:
        return None
    payload = evidence.payload
    try:
        if payload.get("kind") == "unlocated":
            return Unlocated(
                source=source,
                text=payload.get("text", ""),
                reason=payload.get("reason", ""),
                stated_at=_time(payload.get("stated_at")),
            )
        texts = _TEXTS + _TEXTS_MORE
        fields: dict[str, Any] = {name: payload[name] for name in texts if name in payload}
        fields.update({name: float(payload[name]) for name in _FLOATS if name in payload})
        if "confidence_pct" in payload:
            fields["confidence_pct"] = int(payload["confidence_pct"])
        fields.update({name: _time(payload[name]) for name in _TIMES if name in payload})
        fields.update({name: tuple(payload[name].split(",")) for name in _LISTS if name in payload})
        if "method" in payload:
            fields["method"] = PositioningMethod(payload["method"])
        if "extra" in payload:
            fields["extra"] = json.loads(payload["extra"])
        return LocationFix(source=source, **fields)
    except (KeyError, TypeError, ValueError, DomainError):
        return None


def contact_evidence(contact: Contact) -> list[Evidence]:
    """Every piece of the contact's location evidence that can be read, oldest first."""
    read = (read_evidence(item) for item in contact.record.location)
    return [item for item in read if item is not None]
