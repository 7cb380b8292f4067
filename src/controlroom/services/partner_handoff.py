"""Sending a contact on to a partner agency as MAIT messages, through the outbox
(docs/interop.md#partner-agencies-by-mait).

:func:`send_to_partner` is the handler's use case: one transaction writes the MAIT ``CREATE``
(or, once it is sent, an ``UPDATE``) to the outbox with its audit row, and publishes
:class:`PartnerMessageQueued` after the commit. :func:`close_partners` is called from the C&C
hook (``cc_handoff.handoff``) after every applied action: when the contact has just reached a
final state, a ``CLOSE`` goes to every partner that was sent a ``CREATE`` (and no ``CLOSE``
yet), in the same transaction as the change.

A message's id is a UUID, its outbox key ``mait:<id>``, its destination ``partner:<agency>``
and its kind ``mait.create``, ``mait.update`` or ``mait.close``: the ``CREATE``'s id is read
back from the outbox, so every later message names it in ``RelatesTo``. The MAIT directory and
the XML codec are attached to the policy by the composition root (:func:`attach_partners`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts import Contact
from controlroom.domain.contacts.damaged import DamagedContact
from controlroom.domain.contacts.states import FINAL_STATES
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import Conflict, NotFound, ServiceUnavailable
from controlroom.domain.mait import MaitDirectory, MaitInvalid, MaitMessage, MessageType, Partner
from controlroom.domain.mait.delivery import (
    KEY_PREFIX,
    KIND_CLOSE,
    KIND_CREATE,
    KIND_UPDATE,
    PARTNER_PREFIX,
    TAG_SENT,
    PartnerMessageQueued,
    agency_of,
    destination_for,
    message_id_of,
)
from controlroom.domain.outbox import OutboxMessage
from controlroom.domain.policy import Policy
from controlroom.services.contacts import UowFactory
from controlroom.services.mait import build_mait_message
from controlroom.services.outbox import enqueue
from controlroom.services.ports import UnitOfWork

log = logging.getLogger(__name__)

KINDS = {
    MessageType.CREATE: KIND_CREATE,
    MessageType.UPDATE: KIND_UPDATE,
    MessageType.CLOSE: KIND_CLOSE,
}
TYPES = {kind: message_type for message_type, kind in KINDS.items()}
XML = "application/xml"
NOT_CONFIGURED = "No partner agencies are configured: the policy file has no [mait] partners"
NO_ENDPOINT = "MAIT delivery is not configured: CONTROLROOM_MAIT_URL is not set"


class PartnersUnavailable(ServiceUnavailable):
    """Nothing can be sent by MAIT: no partners in the policy, or no MAIT hub configured."""

    code = "mait_not_configured"


@dataclass(frozen=True)
class PartnerSetup:
    """The force's MAIT directory and the codec that writes its messages, reads them back and
    reads a partner's acknowledgement (each checked against the schema)."""

    directory: MaitDirectory
    encode: Callable[[MaitMessage], bytes]
    decode: Callable[[bytes], MaitMessage]
    read_acknowledgement: Callable[[bytes], MaitMessage]


_attached: dict[int, tuple[Policy, PartnerSetup]] = {}
_lock = threading.Lock()


def attach_partners(policy: Policy, setup: PartnerSetup | None) -> None:
    """Give ``policy`` its MAIT setup (None: the policy file has no ``[mait]`` table)."""
    with _lock:
        if setup is None:
            _attached.pop(id(policy), None)
        else:
            _attached[id(policy)] = (policy, setup)


def partner_setup(policy: Policy) -> PartnerSetup | None:
    """The MAIT setup attached to ``policy``, or None."""
    found = _attached.get(id(policy))
    return None if found is None or found[0] is not policy else found[1]


def unavailable_reason(uow: UnitOfWork, policy: Policy) -> str | None:
    """Why nothing can be sent by MAIT now, or None when something can."""
    setup = partner_setup(policy)
    if setup is None or not setup.directory.partners:
        return NOT_CONFIGURED
    partners = setup.directory.partners
    if not any(uow.outbox.accepts(destination_for(p.agency)) for p in partners):
        return NO_ENDPOINT
    return None


@dataclass(frozen=True)
class SentMessage:
    """A MAIT message written to the outbox."""

    outbox_id: int
    message_id: str
    agency: str
    message_type: MessageType


def partner_messages(uow: UnitOfWork, contact_id: str) -> dict[str, list[OutboxMessage]]:
    """The contact's MAIT messages in the outbox, by agency, oldest first."""
    found: dict[str, list[OutboxMessage]] = {}
    for message in uow.outbox.for_contact(contact_id, PARTNER_PREFIX):
        agency = agency_of(message.destination)
        if agency is not None and message.kind in TYPES:
            found.setdefault(agency, []).append(message)
    return found


def _of_kind(messages: list[OutboxMessage], kind: str) -> OutboxMessage | None:
    return next((message for message in messages if message.kind == kind), None)


def _partner_reference(uow: UnitOfWork, contact_id: str, agency: str) -> str | None:
    """The partner's own reference for the incident, from its latest acknowledgement."""
    acks = [a for a in uow.mait_acks.for_contact(contact_id) if a.agency == agency]
    return next((a.recipient_reference for a in reversed(acks) if a.recipient_reference), None)


def _write(
    uow: UnitOfWork,
    setup: PartnerSetup,
    contact: Contact,
    partner: Partner,
    message_type: MessageType,
    *,
    actor: Principal | None,
    now: datetime,
    policy: Policy,
    relates_to: str | None = None,
) -> SentMessage | None:
    """Build, encode and enqueue one message with its audit row and event; None when the
    partner's destination is not configured."""
    destination = destination_for(partner.agency)
    if not uow.outbox.accepts(destination):
        return None
    message_id = str(uuid.uuid4())
    entry = contact.history[-1]
    reason = ""
    if message_type is MessageType.CLOSE and contact.record.closure is None:
        state = entry.to_state.value.replace("_", " ")
        reason = f"Contact {state} by {setup.directory.sender.name}"
    message = build_mait_message(
        contact,
        partner.agency,
        policy=policy,
        directory=setup.directory,
        now=now,
        message_id=message_id,
        message_type=message_type,
        relates_to=relates_to,
        recipient_reference=_partner_reference(uow, contact.id, partner.agency),
        closure_reason=reason,
    )
    outbox_id = enqueue(
        uow,
        destination=destination,
        kind=KINDS[message_type],
        idempotency_key=f"{KEY_PREFIX}{message_id}",
        body=setup.encode(message).decode("utf-8"),
        now=now,
        contact_id=contact.id,
        content_type=XML,
    )
    if outbox_id is None:
        return None
    who = actor.actor if actor is not None else entry.actor
    details = {
        "agency": partner.agency,
        "partner": partner.organisation.id,
        "message_id": message_id,
        "message_type": message_type.value,
        "relates_to": relates_to or "",
        "outbox_id": outbox_id,
    }
    uow.audit.append(who, TAG_SENT, f"contact:{contact.id}", details, now)
    event = PartnerMessageQueued(
        contact.id, partner.agency, message_id, message_type.value, who.id, now
    )
    uow.collect([event])
    return SentMessage(outbox_id, message_id, partner.agency, message_type)


def send_to_partner(
    uow_factory: UowFactory,
    principal: Principal,
    contact_id: str,
    agency: str,
    now: datetime,
    policy: Policy,
    *,
    update: bool = False,
) -> SentMessage:
    """Send the contact to the partner that is ``agency``: a ``CREATE`` the first time, an
    ``UPDATE`` (``update=True``) once the ``CREATE`` is sent. One transaction: the outbox
    message and its audit row; :class:`PartnerMessageQueued` after the commit."""
    access_check(principal, Permission.CONTACT_ACT)
    now = require_utc(now)
    setup = partner_setup(policy)
    if setup is None or not setup.directory.partners:
        raise PartnersUnavailable(NOT_CONFIGURED, hint="add a [mait] table (docs/mait.md)")
    partner = setup.directory.partner_for(agency)
    with uow_factory() as uow:
        if not uow.outbox.accepts(destination_for(agency)):
            raise PartnersUnavailable(
                NO_ENDPOINT, hint="set CONTROLROOM_MAIT_URL and CONTROLROOM_MAIT_SECRET"
            )
        contact = uow.contacts.get_for_update(contact_id)
        if contact is None:
            raise NotFound(f"no contact {contact_id!r}", field="contact_id")
        if isinstance(contact, DamagedContact):
            raise contact.refusal()
        if contact.is_final:
            raise Conflict(
                f"contact {contact_id} is {contact.state.value}: nothing more is sent to partners",
                field="contact_id",
            )
        sent = partner_messages(uow, contact_id).get(agency, [])
        create = _of_kind(sent, KIND_CREATE)
        name = partner.organisation.name
        if not update and create is not None:
            raise Conflict(
                f"{name} has been sent this contact already (message "
                f"{message_id_of(create.idempotency_key)})",
                field="agency",
                hint="send an update instead",
            )
        if update and create is None:
            raise Conflict(
                f"{name} has not been sent this contact yet",
                field="agency",
                hint="send it first; an update follows a sent message",
            )
        relates_to = None if create is None else message_id_of(create.idempotency_key)
        message_type = MessageType.UPDATE if update else MessageType.CREATE
        written = _write(
            uow,
            setup,
            contact,
            partner,
            message_type,
            actor=principal,
            now=now,
            policy=policy,
            relates_to=relates_to,
        )
        if written is None:
            raise Conflict(f"the message to {name} could not be written", field="agency")
        uow.commit()
    return written


def close_partners(
    uow: UnitOfWork, contact: Contact, now: datetime, policy: Policy
) -> list[SentMessage]:
    """When ``contact``'s latest change made it final, a ``CLOSE`` to every partner sent a
    ``CREATE`` and no ``CLOSE`` yet, in ``uow``'s transaction. Never raises for a message
    that cannot be built (it is logged): closing the contact must not fail for a partner."""
    entry = contact.history[-1]
    if entry.to_state not in FINAL_STATES or entry.from_state in FINAL_STATES:
        return []
    setup = partner_setup(policy)
    if setup is None:
        return []
    written = []
    for agency, messages in partner_messages(uow, contact.id).items():
        create = _of_kind(messages, KIND_CREATE)
        if create is None or _of_kind(messages, KIND_CLOSE) is not None:
            continue
        try:
            partner = setup.directory.partner_for(agency)
            sent = _write(
                uow,
                setup,
                contact,
                partner,
                MessageType.CLOSE,
                actor=None,
                now=require_utc(now),
                policy=policy,
                relates_to=message_id_of(create.idempotency_key),
            )
        except MaitInvalid as exc:
            log.warning("contact %s: no MAIT CLOSE to %s: %s", contact.id, agency, exc.message)
            continue
        if sent is not None:
            written.append(sent)
    return written
