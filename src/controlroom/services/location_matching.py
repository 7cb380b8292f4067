"""Location evidence on contacts, and matching AML SMS messages to calls.

An SMS is either an AML location message (:func:`receive_aml`) or a message of an
emergencySMS conversation (``services.sms``).

A contact keeps each piece of location evidence as an opaque
:class:`~controlroom.domain.contacts.LocationEvidence` (a source, a time and text fields);
:func:`evidence_for_fix` and :func:`evidence_for_address` write them and
:func:`controlroom.services.contact_evidence.read_evidence` reads them back.

An AML SMS is matched to a contact by the sender's E.164 number and time only — never to a
contact from another number (see docs/telephony.md, "AML matching"):

1. **during the call**: a contact from that number, offered no later than ``pending`` after the
   message, not ended before the message (and offered within ``longest_call`` of it);
2. **after the call**: otherwise a contact from that number that ended no more than ``late``
   before the message;
3. **pending**: otherwise the message waits, for a contact from that number offered within
   ``pending`` of it (:func:`store_pending`, :func:`pending_for`), and is attached when that
   contact is created (:func:`attach_pending`).

Every attachment is an ``add_location`` action audited as ``contact:telephony:location_added``.
A message that is not valid AML is refused whole: it never replaces or hides a good fix.
Pending messages are kept as marker rows beside the processed telephony events (keys with a
``#``, which event ids cannot contain), bucketed by minute so a new call finds them directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from controlroom.domain.access import Principal
from controlroom.domain.audit import AuditTag, canonical_json
from controlroom.domain.contacts import AddLocation, Contact, LocationEvidence
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.location import LocationFix, LocationSource, parse_aml
from controlroom.domain.policy import Policy
from controlroom.services.contacts import record_action
from controlroom.services.ports import UnitOfWork

#: Markers in the processed-events store: a pending AML message, and one already attached.
PENDING_PREFIX = "aml#"
ATTACHED_PREFIX = "aml-attached#"
#: At most this many pending messages from one number in one minute.
MAX_PENDING_PER_MINUTE = 50
#: Contacts looked at when matching one message.
CANDIDATES = 20
SMS_TAG = AuditTag.TELEPHONY_SMS_RECEIVED


@dataclass(frozen=True)
class MatchWindows:
    """How AML messages are matched in time (defaults: 60 s pending, 60 min late)."""

    pending: timedelta = timedelta(seconds=60)
    late: timedelta = timedelta(minutes=60)
    longest_call: timedelta = timedelta(hours=4)


class Match(StrEnum):
    """How an AML message found its contact."""

    DURING_CALL = "during_call"
    AFTER_CALL = "after_call"
    PENDING = "pending"


@dataclass(frozen=True)
class PendingAml:
    """An AML message waiting for its call: the event it came in, the number, time and text."""

    key: str
    event_id: str
    number: str
    occurred_at: datetime
    text: str


@dataclass(frozen=True)
class Outcome:
    """What handling a telephony event did: status, result word, the contact, a message."""

    status: int
    result: str
    contact: Contact | None
    message: str


# -- evidence on a contact ------------------------------------------------------------------


def evidence_for_fix(fix: LocationFix, received_at: datetime) -> LocationEvidence:
    """``fix`` as a contact's location evidence (every field kept as text)."""
    payload: dict[str, str] = {"kind": "fix"}
    for key, value in fix.as_dict().items():
        if key == "source" or value is None or value in ([], {}):
            continue
        if isinstance(value, list):
            payload[key] = ",".join(value)
        elif isinstance(value, dict):
            payload[key] = canonical_json(value)
        else:
            payload[key] = str(value)
    return LocationEvidence(source=fix.source.value, received_at=received_at, payload=payload)


def evidence_for_address(
    text: str, received_at: datetime, lat: float | None = None, lon: float | None = None
) -> LocationEvidence:
    """A landline's registered address: a fix when it has coordinates, else unlocated text."""
    if lat is not None and lon is not None:
        fix = LocationFix(
            source=LocationSource.LANDLINE_ADDRESS, lat=lat, lon=lon, extra={"address": text}
        )
        return evidence_for_fix(fix, received_at)
    reason = "the landline's registered address, not geocoded"
    return evidence_for_unlocated(LocationSource.LANDLINE_ADDRESS, text, reason, received_at)


def evidence_for_unlocated(
    source: LocationSource, text: str, reason: str, received_at: datetime
) -> LocationEvidence:
    """Evidence without coordinates: what was given, and why it has no position."""
    payload = {"kind": "unlocated", "text": text, "reason": reason}
    payload["stated_at"] = received_at.astimezone(UTC).isoformat()
    return LocationEvidence(source=source.value, received_at=received_at, payload=payload)


# -- matching an AML message to a contact ---------------------------------------------------


def earliest_offer(at: datetime, windows: MatchWindows) -> datetime:
    """The earliest a call can have been offered for an AML message at ``at`` to match it."""
    return at - windows.longest_call - windows.late


def find_contact(
    uow: UnitOfWork, number: str, at: datetime, windows: MatchWindows
) -> tuple[Contact, Match] | None:
    """The contact an AML message from ``number`` at ``at`` belongs to, and how it matched.
    Only contacts offered late enough to match are read: a call lasts at most
    ``longest_call``, and a message may come ``late`` after it ended."""
    candidates = uow.contacts.list(
        caller_number=number,
        offered_from=earliest_offer(at, windows),
        offered_to=at + windows.pending,
        limit=CANDIDATES,
    )
    # a contact whose stored record cannot be read cannot take the fix: left out
    candidates = [c for c in candidates if not isinstance(c, DamagedContact)]
    for contact in candidates:  # newest offered first
        offered, ended = contact.timestamps.offered, contact.timestamps.ended
        if offered < at - windows.longest_call:
            continue
        if ended is None or at <= ended:
            return contact, Match.DURING_CALL
    for contact in candidates:
        ended = contact.timestamps.ended
        if ended is not None and ended < at <= ended + windows.late:
            return contact, Match.AFTER_CALL
    return None


def _bucket(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%d%H%M")


def _buckets(start: datetime, end: datetime) -> Iterator[str]:
    moment = start.astimezone(UTC).replace(second=0, microsecond=0)
    while moment <= end:
        yield _bucket(moment)
        moment += timedelta(minutes=1)


def store_pending(
    uow: UnitOfWork, event_id: str, number: str, occurred_at: datetime, text: str, now: datetime
) -> bool:
    """Keep an AML message until its call arrives; False when the minute's slots are full."""
    body = {
        "event_id": event_id,
        "number": number,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(),
        "text": text,
    }
    stem = f"{PENDING_PREFIX}{number}#{_bucket(occurred_at)}#"
    for slot in range(MAX_PENDING_PER_MINUTE):
        if uow.processed_events.add(
            f"{stem}{slot}",
            event_type="marker:aml_pending",
            received_at=now,
            status_code=202,
            response=body,
        ):
            return True
    return False


def pending_keys(number: str, offered_at: datetime, windows: MatchWindows) -> list[str]:
    """Where the first AML message of each minute that a call from ``number`` offered at
    ``offered_at`` would take is kept (to read ahead for many calls at once)."""
    return [f"{stem}0" for stem in _stems(number, offered_at, windows)]


def _stems(number: str, offered_at: datetime, windows: MatchWindows) -> list[str]:
    start, end = offered_at - windows.pending, offered_at + windows.pending
    return [f"{PENDING_PREFIX}{number}#{bucket}#" for bucket in _buckets(start, end)]


def pending_for(
    uow: UnitOfWork, number: str, offered_at: datetime, windows: MatchWindows
) -> list[PendingAml]:
    """The AML messages from ``number`` still waiting within ``pending`` of ``offered_at``."""
    waiting: list[PendingAml] = []
    start, end = offered_at - windows.pending, offered_at + windows.pending
    stems = _stems(number, offered_at, windows)
    uow.processed_events.prefetch([f"{stem}0" for stem in stems])  # usually all there is
    for stem in stems:
        for slot in range(MAX_PENDING_PER_MINUTE):
            key = f"{stem}{slot}"
            stored = uow.processed_events.get(key)
            if stored is None:
                break
            item = _pending(key, stored[1])
            if item is not None and start <= item.occurred_at <= end:
                waiting.append(item)
    if waiting:
        uow.processed_events.prefetch([ATTACHED_PREFIX + item.event_id for item in waiting])
    found = [i for i in waiting if uow.processed_events.get(ATTACHED_PREFIX + i.event_id) is None]
    return sorted(found, key=lambda item: item.occurred_at)


def _pending(key: str, body: Mapping[str, Any]) -> PendingAml | None:
    try:
        return PendingAml(
            key=key,
            event_id=str(body["event_id"]),
            number=str(body["number"]),
            occurred_at=datetime.fromisoformat(str(body["occurred_at"])),
            text=str(body["text"]),
        )
    except (KeyError, ValueError):
        return None


def mark_attached(uow: UnitOfWork, pending: PendingAml, contact_id: str, now: datetime) -> None:
    """Record that a pending message has been attached, so it is never attached twice."""
    uow.processed_events.add(
        ATTACHED_PREFIX + pending.event_id,
        event_type="marker:aml_attached",
        received_at=now,
        status_code=200,
        response={"contact_id": contact_id, "pending_key": pending.key},
    )


# -- attaching ------------------------------------------------------------------------------


def attach_fix(
    uow: UnitOfWork,
    principal: Principal,
    contact: Contact,
    fix: LocationFix,
    *,
    at: datetime,
    now: datetime,
    policy: Policy,
    event_id: str,
    match: Match,
) -> None:
    """Add ``fix`` (received at ``at``) to ``contact`` as the telephony system, audited.

    Its history entry is dated ``at``, or the contact's latest entry when that is later (a
    message that waited for its call).
    """
    details: dict[str, Any] = {"event_id": event_id, "match": match.value}
    details |= {"lat": fix.lat, "lon": fix.lon, "accuracy_m": fix.accuracy_m}
    record_action(
        uow,
        contact,
        AddLocation(evidence_for_fix(fix, at)),
        actor=principal.actor,
        now=now,
        at=max(at, contact.history[-1].at),
        policy=policy,
        telephony=True,
        details=details,
    )


def receive_aml(
    uow: UnitOfWork,
    principal: Principal,
    event_id: str,
    number: str,
    text: str,
    *,
    at: datetime,
    now: datetime,
    policy: Policy,
    windows: MatchWindows,
) -> Outcome:
    """An AML SMS from ``number``: attached to its contact, or kept pending for its call.

    Raises :class:`~controlroom.domain.location.AmlError` (nothing stored) when it is not valid.
    """
    fix = parse_aml(text)
    found = find_contact(uow, number, at, windows)
    if found is not None:
        contact, match = found
        attach_fix(
            uow,
            principal,
            contact,
            fix,
            at=at,
            now=now,
            policy=policy,
            event_id=event_id,
            match=match,
        )
        return Outcome(200, "attached", contact, f"location attached ({match.value})")
    if not store_pending(uow, event_id, number, at, text, now):
        return Outcome(200, "unmatched", None, "too many AML messages from this number")
    wait = windows.pending.total_seconds()
    return Outcome(202, "pending", None, f"no call from {number} yet; kept for {wait:g} s")


def attach_pending(
    uow: UnitOfWork,
    principal: Principal,
    contact: Contact,
    now: datetime,
    policy: Policy,
    windows: MatchWindows,
) -> None:
    """Attach the AML messages from the contact's number that were waiting for its call."""
    number = contact.caller.number
    if number is None:
        return
    for pending in pending_for(uow, number, contact.timestamps.offered, windows):
        fix = parse_aml(pending.text)
        attach_fix(
            uow,
            principal,
            contact,
            fix,
            at=pending.occurred_at,
            now=now,
            policy=policy,
            event_id=pending.event_id,
            match=Match.PENDING,
        )
        mark_attached(uow, pending, contact.id, now)
