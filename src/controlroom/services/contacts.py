"""Contact use cases: read, list and move contacts, each access-checked first.

A change is one unit of work: the contact saved, one audit row per applied action (with the
digest of the record as stored: ``record_hash``, checked by ``audit verify``), the domain
events collected and published after the commit. Triage runs on the contact's narrative and
the handler's answers to the §4.11.1 questions: its decision is recorded in the audit row of
the change that gave either, shown with the contact, and passed as the suggestion of every
``assess`` (so a handler grading differently must say why). Logging an incident issues its
reference (``incident_references.py``) in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.audit import AuditEntry, AuditTag, contact_tag
from controlroom.domain.audit_contacts import RECORD_HASH
from controlroom.domain.contacts import (
    Action,
    ActionKind,
    Actor,
    ApproveTermination,
    Assess,
    Caller,
    Contact,
    ContactEvent,
    DeclineTermination,
    LogIncident,
    ProcedureName,
    RecordAnswers,
    ScriptPrompted,
    State,
    UpdateNarrative,
)
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.values import require_e164, require_utc
from controlroom.domain.errors import InvalidInput, NotFound, PolicyViolation
from controlroom.domain.location.best import BestChoice, choose_best
from controlroom.domain.location.geojson import evidence_geojson
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, Decision
from controlroom.services.cc_handoff import handoff
from controlroom.services.contact_evidence import contact_evidence
from controlroom.services.incident_references import next_reference
from controlroom.services.ports import UnitOfWork
from controlroom.services.sms_triage import REPLY_TAGS as SMS_REPLY_TAGS
from controlroom.services.suggestion import suggest as suggest  # used from here by others
from controlroom.services.suggestion import suggest_for

#: The largest page of contacts, and of audit entries, one request may ask for.
MAX_PAGE = 200
MAX_AUDIT_ENTRIES = 1000
#: Audit tags of what telephony reported without changing the contact (shown with it).
TELEPHONY_FACTS = tuple(
    tag.value for tag in (AuditTag.TELEPHONY_DTMF, AuditTag.TELEPHONY_SMS_RECEIVED, *SMS_REPLY_TAGS)
)


class UowFactory(Protocol):
    """Makes a new unit of work; ``read_only=True`` for one that only reads, and with it
    ``snapshot=False`` when each read may see the latest data on its own (a look-up of one
    thing: cheaper on a database server than a transaction)."""

    def __call__(self, *, read_only: bool = False, snapshot: bool = True) -> UnitOfWork: ...


@dataclass(frozen=True)
class ContactDetails:
    """A contact as one reader sees it: what they may do now, triage, location, telephony."""

    contact: Contact
    allowed: tuple[ActionKind, ...]
    blocked: Mapping[ActionKind, PolicyViolation]
    suggestion: Decision | None
    location: BestChoice | None
    telephony: tuple[AuditEntry, ...] = ()
    prompts: tuple[ScriptPrompted, ...] = ()


@dataclass(frozen=True)
class ContactFilters:
    """What a list of contacts is narrowed to; ``offered_to`` is exclusive."""

    channel: Channel | None = None
    state: State | None = None
    procedure: ProcedureName | None = None
    caller_number: str | None = None
    offered_from: datetime | None = None
    offered_to: datetime | None = None

    def as_kwargs(self) -> dict[str, Any]:
        """The filters as repository keyword arguments."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class ContactPage:
    """One page of contacts, newest offered first, and how many match in all."""

    items: list[Contact]
    total: int
    limit: int
    offset: int
    filters: ContactFilters = field(default_factory=ContactFilters)


# -- recording changes (shared with the telephony use cases) --------------------------------


def new_contact_id(now: datetime) -> str:
    """A new contact id: ``C-<yyyymmdd>-<10 hex digits>``."""
    return f"C-{now:%Y%m%d}-{secrets.token_hex(5)}"


def triage_details(decision: Decision | None) -> dict[str, str]:
    """A triage decision as audit details (empty without one)."""
    if decision is None:
        return {}
    return {
        "triage_route": decision.route.value,
        "triage_grade": decision.grade,
        "triage_flags": ",".join(flag.value for flag in decision.vulnerability),
        "triage_summary": decision.summary,
    }


def record_offer(
    uow: UnitOfWork,
    contact: Contact,
    events: list[ContactEvent],
    audit_actor: Actor,
    now: datetime,
    policy: Policy,
    *,
    telephony: bool = False,
    **details: Any,
) -> None:
    """Store a contact just offered, with its audit row (and triage of any narrative)."""
    uow.contacts.add(contact)
    record = contact.record
    entry = record.history[-1]
    row = {"seq": entry.seq, "to": f"{entry.to_procedure.value}/{entry.to_state.value}"}
    row |= dict(entry.details) | {"caller": record.caller.number or ""} | details
    row |= triage_details(suggest(record.narrative, record.channel, policy))
    row[RECORD_HASH] = uow.contacts.seal(contact)
    tag = contact_tag(ActionKind.OFFER, telephony=telephony)
    uow.audit.append(audit_actor, tag, f"contact:{contact.id}", row, now)
    uow.collect(events)


def record_action(
    uow: UnitOfWork,
    contact: Contact,
    action: Action,
    *,
    actor: Actor,
    now: datetime,
    policy: Policy,
    at: datetime | None = None,
    audit_actor: Actor | None = None,
    telephony: bool = False,
    details: Mapping[str, Any] | None = None,
) -> list[ContactEvent]:
    """Apply ``action`` (as ``actor``, at ``at`` or ``now``), save, audit and collect events.

    The audit row is written at ``now`` by ``audit_actor`` (``actor`` unless given).
    """
    if isinstance(action, LogIncident) and action.reference is None:
        action = replace(action, reference=next_reference(uow, policy, at or now))
    events = contact.apply(action, actor=actor, now=at or now, policy=policy)
    if isinstance(action, LogIncident) and action.reference is not None:
        uow.references.link(action.reference, contact.id, now)
    uow.contacts.save(contact)
    entry = contact.history[-1]
    row: dict[str, Any] = {"seq": entry.seq}
    if entry.from_procedure is not None and entry.from_state is not None:
        row["from"] = f"{entry.from_procedure.value}/{entry.from_state.value}"
    row["to"] = f"{entry.to_procedure.value}/{entry.to_state.value}"
    row |= dict(entry.details)
    if audit_actor is not None and audit_actor != actor:
        row["on_behalf_of"] = actor.id
    if isinstance(action, UpdateNarrative | RecordAnswers):
        row |= triage_details(suggest_for(contact.record, policy))
    row |= dict(details or {})
    row[RECORD_HASH] = uow.contacts.seal(contact)
    tag = contact_tag(action.kind, telephony=telephony)
    uow.audit.append(audit_actor or actor, tag, f"contact:{contact.id}", row, now)
    handoff(uow, contact, now, policy)  # the C&C message, in this transaction
    uow.collect(events)
    return events


def record_fact(
    uow: UnitOfWork,
    contact: Contact,
    tag: AuditTag | str,
    *,
    actor: Actor,
    now: datetime,
    details: Mapping[str, Any],
) -> None:
    """Audit something reported about a contact that does not change it (DTMF, an SMS)."""
    uow.audit.append(actor, tag, f"contact:{contact.id}", details, now)


def details_for(
    uow: UnitOfWork,
    contact: Contact,
    principal: Principal,
    now: datetime,
    policy: Policy,
    prompts: tuple[ScriptPrompted, ...] = (),
) -> ContactDetails:
    """What ``principal`` sees of ``contact`` at ``now``, read inside ``uow``."""
    actor = principal.actor
    evidence = contact_evidence(contact)
    entries = uow.audit.tail(MAX_AUDIT_ENTRIES, subject=f"contact:{contact.id}")
    return ContactDetails(
        contact=contact,
        allowed=tuple(contact.allowed_actions(policy, actor=actor, now=now)),
        blocked=contact.blocked_actions(policy, actor=actor, now=now),
        suggestion=suggest_for(contact.record, policy, entries),
        location=choose_best(evidence, now) if evidence else None,
        telephony=tuple(entry for entry in entries if entry.tag in TELEPHONY_FACTS),
        prompts=prompts,
    )


# -- use cases ------------------------------------------------------------------------------


def get_contact(
    uow_factory: UowFactory, principal: Principal, contact_id: str, now: datetime, policy: Policy
) -> ContactDetails:
    """One contact with its full history; :class:`NotFound` when there is none."""
    access_check(principal, Permission.CONTACT_READ)
    now = require_utc(now)
    with uow_factory(read_only=True) as uow:
        contact = _existing(uow, contact_id, lock=False)
        return details_for(uow, contact, principal, now, policy)


def list_contacts(
    uow_factory: UowFactory,
    principal: Principal,
    filters: ContactFilters,
    *,
    limit: int = 50,
    offset: int = 0,
) -> ContactPage:
    """A page of contacts matching ``filters``, newest offered first."""
    access_check(principal, Permission.CONTACT_READ)
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be 1-{MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must be 0 or more", field="offset")
    if filters.caller_number is not None:
        require_e164(filters.caller_number, "caller")
    for name in ("offered_from", "offered_to"):
        value = getattr(filters, name)
        if value is not None:
            require_utc(value, name)
    with uow_factory(read_only=True) as uow:
        items = uow.contacts.list(**filters.as_kwargs(), limit=limit, offset=offset)
        total = uow.contacts.count(**filters.as_kwargs())
    return ContactPage(items, total, limit, offset, filters)


def offer_contact(
    uow_factory: UowFactory,
    principal: Principal,
    *,
    channel: Channel,
    caller: Caller,
    narrative: str,
    now: datetime,
    policy: Policy,
) -> ContactDetails:
    """A contact created by hand (an online report, a live chat, a call logged by a handler)."""
    access_check(principal, Permission.CONTACT_ACT)
    now = require_utc(now)
    contact, events = Contact.offer(
        contact_id=new_contact_id(now),
        channel=channel,
        caller=caller,
        actor=principal.actor,
        now=now,
        policy=policy,
        narrative=narrative,
    )
    with uow_factory() as uow:
        record_offer(uow, contact, events, principal.actor, now, policy)
        details = details_for(uow, contact, principal, now, policy)
        uow.commit()
    return details


def do_action(
    uow_factory: UowFactory,
    principal: Principal,
    contact_id: str,
    action: Action,
    now: datetime,
    policy: Policy,
) -> ContactDetails:
    """Apply a procedure action for ``principal``; the contact as it is afterwards.

    ``assess`` gets triage's decision on the narrative as its suggestion. Raises
    :class:`PolicyViolation` (naming the paragraph) for a move the procedure refuses.
    """
    access_check(principal, Permission.CONTACT_ACT)
    if isinstance(action, ApproveTermination | DeclineTermination):
        access_check(principal, Permission.CONTACT_SUPERVISE)
    now = require_utc(now)
    with uow_factory() as uow:
        contact = _existing(uow, contact_id, lock=True)
        if isinstance(action, Assess) and action.suggestion is None:
            entries = uow.audit.tail(MAX_AUDIT_ENTRIES, subject=f"contact:{contact.id}")
            decision = suggest_for(contact.record, policy, entries)
            action = Assess(grade=action.grade, suggestion=decision, reason=action.reason)
        events = record_action(uow, contact, action, actor=principal.actor, now=now, policy=policy)
        prompts = tuple(event for event in events if isinstance(event, ScriptPrompted))
        details = details_for(uow, contact, principal, now, policy, prompts)
        uow.commit()
    return details


def location_geojson(
    uow_factory: UowFactory, principal: Principal, contact_id: str, now: datetime
) -> dict[str, Any]:
    """The contact's location evidence as a GeoJSON FeatureCollection, best fix marked."""
    access_check(principal, Permission.CONTACT_READ)
    now = require_utc(now)
    with uow_factory(read_only=True) as uow:
        contact = _existing(uow, contact_id, lock=False)
    evidence = contact_evidence(contact)
    best = choose_best(evidence, now) if evidence else None
    return evidence_geojson(evidence, best, contact_id=contact.id)


def read_audit(
    uow_factory: UowFactory, principal: Principal, *, subject: str | None, limit: int = 100
) -> list[AuditEntry]:
    """The latest audit entries (about ``subject`` only, when given), oldest first."""
    access_check(principal, Permission.AUDIT_READ)
    if not 1 <= limit <= MAX_AUDIT_ENTRIES:
        raise InvalidInput(f"limit must be 1-{MAX_AUDIT_ENTRIES}", field="limit")
    with uow_factory(read_only=True) as uow:
        return uow.audit.tail(limit, subject=subject or None)


def _existing(uow: UnitOfWork, contact_id: str, *, lock: bool) -> Contact:
    contact = uow.contacts.get_for_update(contact_id) if lock else uow.contacts.get(contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id!r}", field="contact_id")
    if isinstance(contact, DamagedContact):
        raise contact.refusal()
    return contact
