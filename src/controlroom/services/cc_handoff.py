"""The handoff to the force's command-and-control (C&C) system: each change to a contact with a
logged incident puts one ``controlroom.incident/1`` document in the outbox, in the change's own
transaction (docs/interop.md describes the document field by field).

:func:`handoff` is called by ``contacts.record_action`` after every applied action. Nothing is
enqueued for a contact without an incident, or when no C&C endpoint is configured (the
outbox does not accept the ``cc`` destination). It is also the hook of the partner handoff:
a contact that becomes final sends ``CLOSE`` to the partners it was sent to.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from controlroom.domain.contacts import Contact, State
from controlroom.domain.contacts.states import FINAL_STATES
from controlroom.domain.location import LocationFix
from controlroom.domain.location.best import choose_best
from controlroom.domain.policy import Policy
from controlroom.services.outbox import enqueue
from controlroom.services.ports import UnitOfWork
from controlroom.services.suggestion import suggest_for

SCHEMA = "controlroom.incident/1"
DESTINATION = "cc"
LOGGED, UPDATED, CLOSED = "incident.logged", "incident.updated", "incident.closed"
_TRIAGE_FIELDS = ("route", "grade", "agency", "summary", "policy", "confidence", "reasons")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def event_of(contact: Contact) -> str:
    """The kind of message the contact's latest change makes."""
    entry = contact.history[-1]
    if entry.to_state is State.INCIDENT_LOGGED and entry.from_state is not State.INCIDENT_LOGGED:
        return LOGGED
    if entry.to_state in FINAL_STATES:
        return CLOSED
    return UPDATED


def _location(contact: Contact, now: datetime) -> dict[str, Any] | None:
    from controlroom.services.contact_evidence import contact_evidence

    evidence = contact_evidence(contact)
    best = choose_best(evidence, now) if evidence else None
    if best is None or best.fix is None:
        return None
    fix: LocationFix = best.fix
    return {
        "lat": fix.lat,
        "lon": fix.lon,
        "accuracy_m": fix.accuracy_m,
        "confidence_pct": fix.confidence_pct,
        "source": fix.source.value,
        "method": fix.method.value,
        "positioned_at": _iso(fix.positioned_at),
        "floor": fix.floor,
        "stale": best.stale,
        "explanation": best.explanation,
        "evidence_count": len(evidence),
    }


def incident_document(
    contact: Contact, policy: Policy, now: datetime, message_id: str
) -> dict[str, Any]:
    """The ``controlroom.incident/1`` document of the contact as it is after its latest
    change (``message_id`` is the idempotency key)."""
    record = contact.record
    incident = record.incident
    entry = record.history[-1]
    decision = suggest_for(record, policy)
    triage = None
    if decision is not None:
        triage = {
            name: value for name, value in decision.to_dict().items() if name in _TRIAGE_FIELDS
        }
    grade = record.triage[-1].grade if record.triage else None
    return {
        "schema": SCHEMA,
        "message_id": message_id,
        "event": event_of(contact),
        "written_at": _iso(now),
        "change": {
            "seq": entry.seq,
            "action": entry.action.value,
            "at": _iso(entry.at),
            "by": {"id": entry.actor.id, "role": entry.actor.role.value},
        },
        "reference": None if incident is None else incident.reference,
        "contact_id": record.id,
        "channel": record.channel.value,
        "state": record.state.value,
        "grade": incident.grade if incident is not None else grade,
        "discretionary": incident is not None and incident.discretionary,
        "incident_reason": None if incident is None else incident.reason,
        "classification": None
        if decision is None
        else {"route": decision.route.value, "agency": decision.agency},
        "triage": triage,
        "narrative": record.narrative,
        "location": _location(contact, now),
        "caller": {
            "number": record.caller.number,
            "name": record.caller.name or None,
            "age_band": None if record.caller.age_band is None else record.caller.age_band.value,
        },
        "vulnerability": sorted(flag.value for flag in record.vulnerability),
        "answers": [
            {"question": item.question, "answer": item.answer.value, "at": _iso(item.at)}
            for item in record.answers
        ],
        "times": {
            "offered": _iso(record.timestamps.offered),
            "answered": _iso(record.timestamps.answered),
            "ended": _iso(record.timestamps.ended),
        },
        "closure": None
        if record.closure is None
        else {
            "outcome": record.closure.outcome.value,
            "reason": record.closure.reason,
            "at": _iso(record.closure.at),
        },
        "timeline": [
            {
                "seq": item.seq,
                "action": item.action.value,
                "at": _iso(item.at),
                "by": item.actor.id,
                "state": item.to_state.value,
            }
            for item in record.history
        ],
    }


def handoff(uow: UnitOfWork, contact: Contact, now: datetime, policy: Policy) -> int | None:
    """Enqueue the C&C message for the contact's latest change, when it has an incident and
    C&C is configured; the message's id, or None when nothing was enqueued. A contact that
    has just become final also closes its MAIT messages to partners (``partner_handoff``)."""
    from controlroom.services.partner_handoff import close_partners  # it imports contacts

    close_partners(uow, contact, now, policy)
    if contact.record.incident is None or not uow.outbox.accepts(DESTINATION):
        return None
    key = f"cc:{contact.id}:{contact.history[-1].seq}"
    document = incident_document(contact, policy, now, key)
    return enqueue(
        uow,
        destination=DESTINATION,
        kind=str(document["event"]),
        idempotency_key=key,
        body=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
        now=now,
        contact_id=contact.id,
    )
