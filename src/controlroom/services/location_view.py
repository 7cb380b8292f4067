"""The contact's location evidence as the console lists it: what each piece is, in words a
handler reads (a landline's street address as an address, not as coordinates), its accuracy,
and the note or the plain reason it has no position."""

from __future__ import annotations

import json
from dataclasses import dataclass

from controlroom.domain.contacts import LocationEvidence
from controlroom.domain.location.best import BestChoice

LABELS = {
    "aml_sms_v1": "AML (handset)",
    "aml_sms_v2": "AML (handset)",
    "aml_https": "AML (handset)",
    "what3words": "what3words",
    "plus_code": "Plus code",
    "os_grid": "OS grid reference",
    "coordinates": "Coordinates",
    "postcode": "Postcode",
    "place": "Place",
    "landline_address": "Landline address",
}


@dataclass(frozen=True)
class EvidenceRow:
    """One line of the evidence list."""

    source: str
    label: str
    text: str
    accuracy: str
    note: str
    located: bool


def _extra(payload: dict[str, str]) -> dict[str, str]:
    try:
        found = json.loads(payload.get("extra", "{}"))
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def _accuracy(value: str | None) -> str:
    try:
        metres = float(value) if value else None
    except ValueError:
        return ""
    return "" if metres is None else f"± {metres:,.0f} m" if metres >= 1 else "± 1 m"


def evidence_row(evidence: LocationEvidence) -> EvidenceRow:
    """How one piece of evidence is shown."""
    payload = dict(evidence.payload)
    label = LABELS.get(evidence.source, evidence.source.replace("_", " "))
    if payload.get("kind") == "unlocated":
        text = payload.get("text", "")
        return EvidenceRow(evidence.source, label, text, "", payload.get("reason", ""), False)
    extra = _extra(payload)
    place = f"{payload.get('lat', '')}, {payload.get('lon', '')}"
    if extra.get("address"):
        text = extra["address"]
    elif evidence.source == "what3words" and extra.get("words"):
        near = f" (near {extra['nearest_place']})" if extra.get("nearest_place") else ""
        text = f"///{extra['words']}{near}"
    elif extra.get("gazetteer"):
        text = extra["gazetteer"]
    elif payload.get("raw") and not payload["raw"].startswith('A"ML') and "&" not in payload["raw"]:
        text = f"{payload['raw']} → {place}"
    else:
        text = place
    note = payload.get("note", "")
    return EvidenceRow(
        evidence.source, label, text, _accuracy(payload.get("accuracy_m")), note, True
    )


@dataclass(frozen=True)
class LocationPanel:
    """The rows, newest first, and the best fix in words (None when nothing is placed)."""

    rows: tuple[EvidenceRow, ...]
    best: str | None
    latest: EvidenceRow | None


def location_panel(
    evidence: tuple[LocationEvidence, ...] | list[LocationEvidence], best: BestChoice | None
) -> LocationPanel:
    """The evidence list and the best fix in words: a landline's address by its address."""
    rows = tuple(evidence_row(item) for item in reversed(list(evidence)))
    summary = None
    if best is not None and best.fix is not None:
        fix = best.fix
        address = fix.extra.get("address") if fix.extra else None
        where = str(address) if address else f"{fix.lat:.5f}, {fix.lon:.5f}"
        accuracy = f" ± {fix.accuracy_m:,.0f} m" if fix.accuracy_m else ""
        summary = f"{where}{accuracy} — {best.explanation}"
    return LocationPanel(rows, summary, rows[0] if rows else None)
