"""Telephony (CTI) events: calls offered, answered, keyed, ended and reconnected, and SMS.

:func:`ingest_event` handles one event in one unit of work and answers ``(status, body)``:

- **Idempotent.** The answer to every event applied is stored under its id with a digest of
  the event; the same id again with the same event gets the stored answer and changes nothing;
  with a different event, :class:`Conflict`. Refused events (4xx) are not stored, so a sender
  may correct and resend them, or resend one that came too early.
- **Out of order.** A ``call.answered`` or ``call.ended`` for a call not yet offered creates the
  contact from what the event carries (every call event names the channel and the caller);
  the late ``call.offered`` then changes nothing. An event that would move a contact back (a
  hang-up for a contact already ended) is acknowledged as ``unchanged`` with the reason.
- **Committed first.** A 2xx answer is given only once the change and its answer are committed.

Which contact a telephony call id belongs to is kept as a marker (``call#<call id>``) beside
the stored answers; a landline call that rejoins a contact maps its new call id to it.
See docs/telephony.md for the event formats.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import (
    Action,
    Actor,
    AddLocation,
    Answer,
    Caller,
    Contact,
    HangUp,
    Reconnect,
    Role,
    State,
)
from controlroom.domain.contacts.values import require_text, require_utc
from controlroom.domain.errors import ConcurrentWrite, Conflict, InvalidInput, NotFound
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import location_matching as aml
from controlroom.services import sms, sms_replies
from controlroom.services.contacts import (
    UowFactory,
    new_contact_id,
    record_action,
    record_fact,
    record_offer,
)
from controlroom.services.location_matching import Outcome
from controlroom.services.ports import UnitOfWork
from controlroom.services.telephony_events import Address as Address
from controlroom.services.telephony_events import CallerInfo as CallerInfo
from controlroom.services.telephony_events import EventType as EventType
from controlroom.services.telephony_events import TelephonyEvent as TelephonyEvent

CALL_PREFIX = "call#"
#: An event's time may be at most this far ahead of the server's clock.
CLOCK_TOLERANCE = timedelta(minutes=5)
#: Tags of what telephony reports about a contact without changing it.
DTMF_TAG = AuditTag.TELEPHONY_DTMF
_EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")
_CALL_ID = re.compile(r"[\x21-\x7e]{1,128}")
_ATTEMPTS = 3


class RetryEvent(Exception):
    """Another writer got there first: roll back and handle the event again."""


@dataclass(frozen=True)
class _Context:
    """What handling one event works with."""

    uow: UnitOfWork
    principal: Principal
    now: datetime
    policy: Policy
    windows: aml.MatchWindows


def ingest_event(
    uow_factory: UowFactory,
    principal: Principal,
    event: TelephonyEvent,
    now: datetime,
    policy: Policy,
    *,
    windows: aml.MatchWindows | None = None,
) -> tuple[int, dict[str, Any]]:
    """Handle one telephony event; ``(status, body)`` once committed (see the module doc)."""
    now = checked(principal, event, now)
    windows = windows or aml.MatchWindows()
    for _ in range(_ATTEMPTS):
        with uow_factory() as uow:
            try:
                status, body, replayed = apply_in(uow, principal, event, now, policy, windows)
                if not replayed:
                    uow.commit()
            except (RetryEvent, ConcurrentWrite):
                continue
            return status, body
    raise Conflict(f"event {event.id!r} clashed with other changes; send it again", field="id")


def checked(principal: Principal, event: TelephonyEvent, now: datetime) -> datetime:
    """Check, before any database work, that ``principal`` may send events and that ``event``
    is well formed; ``now`` as UTC."""
    access_check(principal, Permission.TELEPHONY_INGEST)
    now = require_utc(now)
    _check(event, now)
    return now


def apply_in(
    uow: UnitOfWork,
    principal: Principal,
    event: TelephonyEvent,
    now: datetime,
    policy: Policy,
    windows: aml.MatchWindows,
) -> tuple[int, dict[str, Any], bool]:
    """Handle a :func:`checked` event inside ``uow``'s transaction, which the caller commits;
    ``(status, body, replayed)``, ``replayed`` when the event was answered before and nothing
    was changed now. Raises :class:`RetryEvent` when another writer got there first (roll
    back and apply it again), or a domain error (roll back)."""
    digest = event.digest()
    if event.call_id is not None:  # the event's own answer and its call's contact, together
        uow.processed_events.prefetch([event.id, CALL_PREFIX + event.call_id])
    stored = uow.processed_events.get(event.id)
    if stored is not None:
        return (*_replay(event, digest, stored), True)
    outcome = _handle(_Context(uow, principal, now, policy, windows), event)
    body = _answer(event, digest, outcome)
    if not uow.processed_events.add(
        event.id,
        event_type=event.type.value,
        received_at=now,
        status_code=outcome.status,
        response=body,
    ):
        raise RetryEvent  # delivered twice at once: answer as the first delivery did
    return outcome.status, body, False


def _check(event: TelephonyEvent, now: datetime) -> None:
    if not _EVENT_ID.fullmatch(event.id):
        raise InvalidInput(
            f"event id {event.id!r} is not valid",
            field="id",
            hint="1-128 letters, digits and . _ : @ / + = -, starting with a letter or digit",
        )
    occurred = require_utc(event.occurred_at, "occurred_at")
    if occurred > now + CLOCK_TOLERANCE:
        raise InvalidInput(
            f"occurred_at {occurred.isoformat()} is in the future",
            field="occurred_at",
            hint="check the sending system's clock",
        )
    if event.type is EventType.SMS_RECEIVED:
        if event.sender is None or event.text is None:
            raise InvalidInput("sms.received needs from and text", field="from")
        require_text(event.text, "text")
    elif event.type is EventType.SMS_STATUS:
        if not event.command_id or not event.status:
            raise InvalidInput("sms.status needs command_id and status", field="command_id")
    elif event.call_id is None or not _CALL_ID.fullmatch(event.call_id):
        raise InvalidInput(
            "call_id is missing or not valid",
            field="call_id",
            hint="1-128 printable ASCII characters without spaces",
        )


def _replay(
    event: TelephonyEvent, digest: str, stored: tuple[int, dict[str, Any]]
) -> tuple[int, dict[str, Any]]:
    status, body = stored
    if body.get("digest") != digest:
        raise Conflict(
            f"event id {event.id!r} was already used for a different event",
            field="id",
            hint="give every event its own id; resend an event unchanged to get its answer again",
        )
    return status, body


def _answer(event: TelephonyEvent, digest: str, outcome: Outcome) -> dict[str, Any]:
    contact = outcome.contact
    return {
        "event_id": event.id,
        "type": event.type.value,
        "result": outcome.result,
        "message": outcome.message,
        "contact_id": None if contact is None else contact.id,
        "state": None if contact is None else contact.state.value,
        "procedure": None if contact is None else contact.procedure.value,
        "digest": digest,
    }


def _handle(ctx: _Context, event: TelephonyEvent) -> Outcome:
    uow, principal, at = ctx.uow, ctx.principal, event.occurred_at
    if event.type is EventType.SMS_RECEIVED:
        sender, text, policy, windows = str(event.sender), str(event.text), ctx.policy, ctx.windows
        return sms.receive(
            uow, principal, event.id, sender, text, event.channel,
            at=at, now=ctx.now, policy=policy, windows=windows,
        )  # fmt: skip
    if event.type is EventType.SMS_STATUS:
        command, status = str(event.command_id), str(event.status)
        return sms_replies.delivery_report(
            uow, principal, event.id, command, status, at=at, now=ctx.now, reason=event.reason
        )
    contact = _contact_for_call(ctx.uow, event)
    if event.type is EventType.CALL_OFFERED:
        if contact is not None:
            return Outcome(200, "unchanged", contact, "the call is already known")
        return _offered(ctx, event)
    if event.type in (EventType.CALL_DTMF, EventType.CALL_RECONNECTED) and contact is None:
        raise NotFound(
            f"no contact for call {event.call_id!r}",
            field="call_id",
            hint="send call.offered first; this event can then be sent again with the same id",
        )
    if contact is None:
        contact = _create(ctx, event)
        _call_event(ctx, event, contact)
        return Outcome(201, "created", contact, f"contact created from {event.type.value}")
    return _call_event(ctx, event, contact)


def _contact_for_call(uow: UnitOfWork, event: TelephonyEvent) -> Contact | None:
    stored = uow.processed_events.get(CALL_PREFIX + str(event.call_id))
    if stored is None:
        return None
    contact = uow.contacts.get_for_update(str(stored[1]["contact_id"]))
    if contact is not None and event.channel is not None and event.channel is not contact.channel:
        raise Conflict(
            f"call {event.call_id!r} is a {contact.channel.value} call, not {event.channel.value}",
            field="channel",
        )
    return contact


def _map_call(ctx: _Context, event: TelephonyEvent, contact: Contact) -> None:
    if not ctx.uow.processed_events.add(
        CALL_PREFIX + str(event.call_id),
        event_type="marker:call",
        received_at=ctx.now,
        status_code=200,
        response={"contact_id": contact.id, "event_id": event.id},
    ):
        raise RetryEvent


def _apply(
    ctx: _Context, event: TelephonyEvent, contact: Contact, action: Action, **details: Any
) -> None:
    """Apply ``action`` reported by telephony at the event's time, audited with its ids."""
    system = ctx.principal.actor
    actor = details.pop("actor", system)
    details |= {"event_id": event.id, "call_id": event.call_id}
    record_action(
        ctx.uow,
        contact,
        action,
        actor=actor,
        audit_actor=system,
        now=ctx.now,
        at=event.occurred_at,
        policy=ctx.policy,
        telephony=True,
        details=details,
    )


def _offered(ctx: _Context, event: TelephonyEvent) -> Outcome:
    channel, caller = _needs(event)
    if (caller.landline or channel is Channel.LANDLINE_OPEN_LINE) and caller.number is not None:
        previous = ctx.uow.contacts.find_reconnectable(caller.number, event.occurred_at)
        if previous is not None:
            _apply(ctx, event, previous, Reconnect(caller.number))
            _map_call(ctx, event, previous)
            return Outcome(200, "reconnected", previous, "the landline rejoined its contact")
    contact = _create(ctx, event)
    return Outcome(201, "created", contact, "contact offered")


def _needs(event: TelephonyEvent) -> tuple[Channel, CallerInfo]:
    if event.channel is None or event.caller is None:
        raise InvalidInput(f"{event.type.value} needs channel and caller", field="channel")
    return event.channel, event.caller


def _create(ctx: _Context, event: TelephonyEvent) -> Contact:
    """A new contact for the event's call, its landline address, and any AML waiting for it."""
    channel, info = _needs(event)
    system = ctx.principal.actor
    contact, events = Contact.offer(
        contact_id=new_contact_id(event.occurred_at),
        channel=channel,
        caller=Caller(number=info.number, name=info.name),
        actor=system,
        now=event.occurred_at,
        policy=ctx.policy,
        landline=info.landline,
    )
    details = {"event_id": event.id, "call_id": event.call_id, "created_from": event.type.value}
    record_offer(ctx.uow, contact, events, system, ctx.now, ctx.policy, telephony=True, **details)
    _map_call(ctx, event, contact)
    if info.address is not None:
        place = info.address
        evidence = aml.evidence_for_address(place.text, event.occurred_at, place.lat, place.lon)
        _apply(ctx, event, contact, AddLocation(evidence), match="landline_address")
    aml.attach_pending(ctx.uow, ctx.principal, contact, ctx.now, ctx.policy, ctx.windows)
    return contact


def _call_event(ctx: _Context, event: TelephonyEvent, contact: Contact) -> Outcome:
    uow, principal, policy = ctx.uow, ctx.principal, ctx.policy
    state = contact.state
    if event.type is EventType.CALL_ANSWERED:
        if state is not State.OFFERED:
            return Outcome(200, "unchanged", contact, f"the contact is already {state.value}")
        agent = _agent(uow, event.agent)
        _apply(ctx, event, contact, Answer(), actor=agent)
        return Outcome(200, "applied", contact, f"answered by {agent.id}")
    if event.type is EventType.CALL_ENDED:
        if contact.is_final or state is State.HUNG_UP:
            return Outcome(200, "unchanged", contact, f"the contact is already {state.value}")
        blocked = contact.blocked_actions(policy, actor=principal.actor, now=event.occurred_at)
        allowed = contact.allowed_actions(policy, actor=principal.actor, now=event.occurred_at)
        if HangUp.kind not in allowed:
            why = blocked.get(HangUp.kind)
            reason = why.message if why else f"a hang-up is not recorded in {state.value}"
            return Outcome(200, "unchanged", contact, reason)
        _apply(ctx, event, contact, HangUp(), reason=event.reason)
        return Outcome(200, "applied", contact, f"the caller hung up: {contact.state.value}")
    if event.type is EventType.CALL_RECONNECTED:
        if state is not State.HUNG_UP:
            return Outcome(200, "unchanged", contact, f"the contact is {state.value}")
        number = (event.caller.number if event.caller else None) or contact.caller.number
        if number is None:
            raise InvalidInput("the caller's number is needed to reconnect", field="caller")
        _apply(ctx, event, contact, Reconnect(number))
        return Outcome(200, "reconnected", contact, "the landline rejoined its contact")
    digits = event.digits or ""
    silent = contact.channel is Channel.SILENT_SOLUTION_55 and "55" in digits
    details: dict[str, Any] = {"event_id": event.id, "call_id": event.call_id, "digits": digits}
    details |= {"silent_solution_55": silent, "occurred_at": event.occurred_at.isoformat()}
    record_fact(uow, contact, DTMF_TAG, actor=principal.actor, now=ctx.now, details=details)
    heard = "the caller pressed 55 (Silent Solution)" if silent else f"keys {digits} recorded"
    return Outcome(200, "recorded", contact, heard)


def _agent(uow: UnitOfWork, name: str | None) -> Actor:
    """The handler who answered, as a controlroom user with a handler's role."""
    if not name:
        raise InvalidInput(
            "call.answered needs the agent who answered", field="agent", hint="their user name"
        )
    user = uow.users.get_by_name(name)
    if user is None or not user.active or user.role not in (Role.CALL_HANDLER, Role.SUPERVISOR):
        raise InvalidInput(
            f"agent {name!r} is not an active call handler or supervisor",
            field="agent",
            hint="use the controlroom user name of the handler who answered",
        )
    return Actor(user.name, user.role)
