"""emergencySMS conversations: the caller's messages arriving, and the thread a contact shows.

An SMS that is not AML is part of a conversation: the first from a number starts a contact on
``emergency_sms`` with the text as its narrative; the next ones, while that contact is open,
are recorded on it. Every message, the first included, is an audit row
(``contact:telephony:sms_received``) holding its text and time; a handler's replies and their
delivery reports are rows too (``services.sms_replies``), so the thread is read from the
contact's audit rows, in the same transaction that wrote them. A further message is triaged
(``services.sms_triage``): when it raises triage, the vulnerability flags it names are set on
the contact, which protects the caller from termination at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.audit import AuditEntry, AuditTag
from controlroom.domain.contacts import Caller, Contact, ContactRecord, FlagVulnerability
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.domain.location import looks_like_aml
from controlroom.domain.policy import Policy
from controlroom.domain.retention_scrub import MARKER
from controlroom.domain.sms import (
    DeliveryStatus,
    Direction,
    Message,
    SmsMessageReceived,
    Thread,
    next_status,
)
from controlroom.domain.triage import Channel
from controlroom.services import location_matching as aml
from controlroom.services import sms_triage
from controlroom.services.contacts import (
    MAX_AUDIT_ENTRIES,
    UowFactory,
    new_contact_id,
    record_action,
    record_fact,
    record_offer,
)
from controlroom.services.location_matching import MatchWindows, Outcome
from controlroom.services.ports import UnitOfWork

SMS_TAG = AuditTag.TELEPHONY_SMS_RECEIVED
REPLY_TAG = AuditTag.TELEPHONY_SMS_REPLY
STATUS_TAG = AuditTag.TELEPHONY_SMS_STATUS
#: Conversations from one number looked at for the open one.
CANDIDATES = 20


def receive(
    uow: UnitOfWork,
    principal: Principal,
    event_id: str,
    number: str,
    text: str,
    channel: Channel | None,
    *,
    at: datetime,
    now: datetime,
    policy: Policy,
    windows: MatchWindows,
) -> Outcome:
    """An SMS received at ``at``: AML location, or a message of an emergencySMS conversation."""
    if looks_like_aml(text):
        return aml.receive_aml(
            uow, principal, event_id, number, text, at=at, now=now, policy=policy, windows=windows
        )
    if channel not in (None, Channel.EMERGENCY_SMS):
        raise InvalidInput(
            "an SMS that is not AML must be an emergencySMS message",
            field="channel",
            hint="use channel emergency_sms, or send an AML message",
        )
    contacts = uow.contacts.list(channel=Channel.EMERGENCY_SMS, caller_number=number, limit=20)
    # a conversation whose stored record cannot be read is passed over: the message starts a
    # new one rather than being refused
    live = next((c for c in contacts if not c.is_final and not isinstance(c, DamagedContact)), None)
    details = {"event_id": event_id, "text": text, "occurred_at": at.isoformat()}
    if live is not None:
        raised = _raise_triage(uow, principal, live, text, now=now, policy=policy)
        record_fact(uow, live, SMS_TAG, actor=principal.actor, now=now, details=details | raised)
        uow.collect([SmsMessageReceived(live.id, event_id, at, str(raised.get("raised", "")))])
        message = "message added to the emergencySMS conversation"
        if raised:
            message += f"; triage raised to {raised['raised']}"
        return Outcome(200, "recorded", live, message)
    contact, events = Contact.offer(
        contact_id=new_contact_id(at),
        channel=Channel.EMERGENCY_SMS,
        caller=Caller(number=number),
        actor=principal.actor,
        now=at,
        policy=policy,
        narrative=text,
    )
    created = {"event_id": event_id, "created_from": "sms.received"}
    record_offer(uow, contact, events, principal.actor, now, policy, telephony=True, **created)
    first = details | {"first": True}
    record_fact(uow, contact, SMS_TAG, actor=principal.actor, now=now, details=first)
    aml.attach_pending(uow, principal, contact, now, policy, windows)
    return Outcome(201, "created", contact, "emergencySMS conversation started")


def _raise_triage(
    uow: UnitOfWork,
    principal: Principal,
    contact: Contact,
    text: str,
    *,
    now: datetime,
    policy: Policy,
) -> dict[str, str]:
    """Triage a further message; when it raises triage, flag what it names on the contact and
    answer the audit details of the raise (empty otherwise)."""
    entries = uow.audit.tail(MAX_AUDIT_ENTRIES, subject=f"contact:{contact.id}")
    decision, details = sms_triage.retriage(contact.record, entries, text, policy)
    if decision is None:
        return {}
    note = f"raised by a further emergencySMS message: {decision.summary}"
    for flag in decision.vulnerability:
        if flag not in contact.record.vulnerability:
            action = FlagVulnerability(flag, note[:500])
            record_action(
                uow, contact, action, actor=principal.actor, now=now, policy=policy, telephony=True
            )
    return details


# -- the thread -----------------------------------------------------------------------------


def thread_of(record: ContactRecord, entries: Sequence[AuditEntry]) -> Thread:
    """The conversation as the contact's audit rows tell it, oldest first."""
    messages: list[Message] = []
    statuses: dict[str, int] = {}
    for item in sms_triage.inbound(record, entries):
        if isinstance(item, str):
            if item:
                at = record.timestamps.offered
                messages.append(Message("first", Direction.INBOUND, item, at, _number(record)))
            continue
        details = item.details
        at = _time(details.get("occurred_at"), item.at)
        text, raised = sms_triage.message_text(item), str(details.get("raised", ""))
        event_id = str(details.get("event_id", item.seq))
        messages.append(
            Message(event_id, Direction.INBOUND, text, at, _number(record), raised=raised)
        )
    for entry in entries:
        details = entry.details
        command = str(details.get("command_id", ""))
        if entry.tag == REPLY_TAG.value and entry.redacted:  # removed under the retention policy
            messages.append(
                Message(str(entry.seq), Direction.OUTBOUND, MARKER, entry.at, entry.actor)
            )
        elif entry.tag == REPLY_TAG.value and command:
            reply = Message(
                command,
                Direction.OUTBOUND,
                str(details.get("text", "")),
                entry.at,
                str(details.get("sender", entry.actor)),
                DeliveryStatus.QUEUED,
                entry.at,
            )
            statuses[command] = len(messages)
            messages.append(reply)
        elif entry.tag == STATUS_TAG.value and command in statuses:
            index = statuses[command]
            messages[index] = _reported(messages[index], details, entry.at)
    messages.sort(key=lambda m: m.at)
    return Thread(record.id, record.caller.number, tuple(messages))


def _reported(message: Message, details: Mapping[str, Any], at: datetime) -> Message:
    """``message`` after a delivery report, when the report moves it forward."""
    if message.status is None:
        return message
    try:
        moved = next_status(message.status, DeliveryStatus(str(details.get("status"))))
    except ValueError:
        return message
    if moved is None:
        return message
    when = _time(details.get("occurred_at"), at)
    return replace(
        message, status=moved, status_at=when, status_reason=str(details.get("reason", ""))
    )


def _number(record: ContactRecord) -> str:
    return record.caller.number or "caller"


def _time(value: object, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(value)) if value else default
    except ValueError:
        return default


def get_thread(uow_factory: UowFactory, principal: Principal, contact_id: str) -> Thread:
    """A contact's conversation; :class:`NotFound` when there is no such contact."""
    access_check(principal, Permission.CONTACT_READ)
    with uow_factory(read_only=True) as uow:
        contact = uow.contacts.get(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id!r}", field="contact_id")
        if isinstance(contact, DamagedContact):
            raise contact.refusal()
        entries = uow.audit.tail(MAX_AUDIT_ENTRIES, subject=f"contact:{contact_id}")
    return thread_of(contact.record, entries)
