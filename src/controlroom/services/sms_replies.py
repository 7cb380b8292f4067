"""A handler's SMS reply: an outbound telephony command, sent once, audited, with its delivery.

:func:`send_reply` checks the reply (``domain.sms.check_reply``) and, in one transaction,
writes the command as the audit row ``contact:telephony:sms_reply`` (the row *is* the
command: the telephony gateway reads them in order with :func:`pending_commands`), keeps the
idempotency key (``sms-reply#<contact>#<key>``) and where the command belongs
(``sms-command#<id>``) beside the processed telephony events, and publishes
:class:`~controlroom.domain.sms.SmsReplyQueued` after the commit. The same key again answers
the first reply and sends nothing. The gateway reports delivery as ``sms.status`` events
(:func:`delivery_report`), audited as ``contact:telephony:sms_status``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import Contact
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import ConcurrentWrite, Conflict, InvalidInput, NotFound
from controlroom.domain.policy import Policy
from controlroom.domain.sms import (
    DeliveryStatus,
    Direction,
    Message,
    SmsDeliveryReported,
    SmsReplyQueued,
    check_reply,
    next_status,
)
from controlroom.services.contacts import MAX_AUDIT_ENTRIES, UowFactory, record_fact
from controlroom.services.location_matching import Outcome
from controlroom.services.ports import UnitOfWork
from controlroom.services.sms import REPLY_TAG, STATUS_TAG, thread_of

REPLY_PREFIX = "sms-reply#"
COMMAND_PREFIX = "sms-command#"
#: The command type the gateway sees.
SEND_SMS = "sms.send"
MAX_COMMANDS = 500
#: The largest cursor (audit sequence numbers are 32-bit in the database).
MAX_CURSOR = 2**31 - 1
_ATTEMPTS = 3


@dataclass(frozen=True)
class Sent:
    """A reply and whether this request queued it (False: the same key was seen before)."""

    message: Message
    created: bool


def send_reply(
    uow_factory: UowFactory,
    principal: Principal,
    contact_id: str,
    text: str,
    key: str,
    now: datetime,
    policy: Policy,
) -> Sent:
    """Queue ``text`` as an SMS to the contact's caller, once per ``key``."""
    access_check(principal, Permission.CONTACT_ACT)
    now = require_utc(now)
    for _ in range(_ATTEMPTS):
        with uow_factory() as uow:
            contact = _contact(uow, contact_id)
            marker = f"{REPLY_PREFIX}{contact.id}#{key}"
            stored = uow.processed_events.get(marker) if key and len(key) <= 128 else None
            if stored is not None:
                return Sent(_replayed(uow, contact, stored[1], text), created=False)
            checked = check_reply(contact, text, key, policy)
            command_id = f"SMS-{now:%Y%m%d}-{secrets.token_hex(6)}"
            body = {"command_id": command_id, "text": checked, "at": now.isoformat()}
            added = uow.processed_events.add(
                marker,
                event_type="marker:sms_reply",
                received_at=now,
                status_code=201,
                response=body,
            )
            if not added:  # the same key at the same moment: answer as the first did
                continue
            where = {"contact_id": contact.id, "idempotency_key": key}
            uow.processed_events.add(
                COMMAND_PREFIX + command_id,
                event_type="marker:sms_command",
                received_at=now,
                status_code=201,
                response=where,
            )
            to = str(contact.caller.number)
            details = {"command_id": command_id, "type": SEND_SMS, "to": to, "text": checked}
            details |= {"idempotency_key": key, "sender": principal.name}
            record_fact(uow, contact, REPLY_TAG, actor=principal.actor, now=now, details=details)
            uow.collect([SmsReplyQueued(contact.id, command_id, to, checked, principal.name, now)])
            try:
                uow.commit()
            except ConcurrentWrite:
                continue
            reply = Message(command_id, Direction.OUTBOUND, checked, now, principal.name)
            return Sent(replace(reply, status=DeliveryStatus.QUEUED, status_at=now), created=True)
    raise Conflict("the reply clashed with another; send it again with the same key", field="key")


def _contact(uow: UnitOfWork, contact_id: str) -> Contact:
    contact = uow.contacts.get_for_update(contact_id)
    if contact is None:
        raise NotFound(f"no contact {contact_id!r}", field="contact_id")
    if isinstance(contact, DamagedContact):
        raise contact.refusal()
    return contact


def _entries(uow: UnitOfWork, contact: Contact) -> list[Any]:
    return uow.audit.tail(MAX_AUDIT_ENTRIES, subject=f"contact:{contact.id}")


def _replayed(uow: UnitOfWork, contact: Contact, body: dict[str, Any], text: str) -> Message:
    """The reply first sent with this key, as it stands now; a different text is a conflict."""
    if body.get("text") != text.strip():
        raise Conflict(
            "this idempotency key was already used for a different reply",
            field="idempotency_key",
            hint="give every new reply its own key; resend a reply unchanged to retry it",
        )
    command_id = str(body.get("command_id", ""))
    thread = thread_of(contact.record, _entries(uow, contact))
    found = next((m for m in thread.messages if m.id == command_id), None)
    if found is not None:
        return found
    # a reply older than the rows read (a very long conversation): as stored
    at = datetime.fromisoformat(str(body.get("at") or contact.timestamps.offered.isoformat()))
    text = str(body.get("text", ""))
    return Message(command_id, Direction.OUTBOUND, text, at, "", DeliveryStatus.QUEUED, at)


def delivery_report(
    uow: UnitOfWork,
    principal: Principal,
    event_id: str,
    command_id: str,
    status: str,
    *,
    at: datetime,
    now: datetime,
    reason: str = "",
) -> Outcome:
    """The gateway reports where a reply stands; recorded when it moves the reply forward."""
    try:
        reported = DeliveryStatus(status)
    except ValueError:
        raise InvalidInput(f"unknown delivery status {status!r}", field="status") from None
    stored = uow.processed_events.get(COMMAND_PREFIX + command_id)
    if stored is None:
        raise NotFound(
            f"no SMS command {command_id!r}",
            field="command_id",
            hint="use the id of a command read from GET /api/telephony/commands",
        )
    contact = _contact(uow, str(stored[1]["contact_id"]))
    thread = thread_of(contact.record, _entries(uow, contact))
    reply = next((m for m in thread.messages if m.id == command_id), None)
    current = reply.status if reply is not None and reply.status else DeliveryStatus.QUEUED
    moved = next_status(current, reported)
    if moved is None:
        return Outcome(200, "unchanged", contact, f"the reply is already {current.value}")
    details = {"event_id": event_id, "command_id": command_id, "status": moved.value}
    details |= {"occurred_at": at.isoformat(), "reason": reason}
    record_fact(uow, contact, STATUS_TAG, actor=principal.actor, now=now, details=details)
    uow.collect([SmsDeliveryReported(contact.id, command_id, moved, at)])
    return Outcome(200, "recorded", contact, f"the reply is {moved.value}")


def pending_commands(
    uow_factory: UowFactory, principal: Principal, *, after: int = 0, limit: int = 100
) -> tuple[list[dict[str, Any]], int]:
    """The outbound commands after cursor ``after``, oldest first, and the cursor to ask from
    next time."""
    access_check(principal, Permission.TELEPHONY_INGEST)
    if not 1 <= limit <= MAX_COMMANDS:
        raise InvalidInput(f"limit must be 1-{MAX_COMMANDS}", field="limit")
    if not 0 <= after <= MAX_CURSOR:
        raise InvalidInput(f"after must be 0-{MAX_CURSOR}", field="after")
    with uow_factory(read_only=True) as uow:
        rows = uow.audit.tagged(REPLY_TAG.value, after_seq=after, limit=limit)
    commands = [
        {
            "cursor": row.seq,
            "id": str(row.details.get("command_id", "")),
            "type": str(row.details.get("type", SEND_SMS)),
            "to": str(row.details.get("to", "")),
            "text": str(row.details.get("text", "")),
            "contact_id": row.subject.removeprefix("contact:"),
            "created_at": row.at.isoformat(),
        }
        for row in rows
    ]
    return commands, rows[-1].seq if rows else after
