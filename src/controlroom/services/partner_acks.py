"""A partner's acknowledgement of a MAIT message we sent: matched, recorded and audited
(docs/interop.md#acknowledgements).

The acknowledgement names the message it answers in ``RelatesTo``; that message is found in
the outbox by its key (``mait:<id>``) and read back, and ``acknowledgement_of`` checks that the
acknowledgement comes from the organisation the message went to. One transaction records it
(``mait_acknowledgements``) with its audit row ``mait:message:acknowledge``, and
:class:`PartnerAcknowledged` is published after the commit. The same acknowledgement sent again
(the same id, the same content) is answered as before and recorded once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from controlroom.domain.access import Permission, Principal, access_check
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import Conflict, NotFound
from controlroom.domain.mait import MaitInvalid, acknowledgement_of
from controlroom.domain.mait.delivery import (
    KEY_PREFIX,
    TAG_ACKNOWLEDGED,
    PartnerAck,
    PartnerAcknowledged,
    agency_of,
)
from controlroom.domain.policy import Policy
from controlroom.services.contacts import UowFactory
from controlroom.services.partner_handoff import NOT_CONFIGURED, PartnersUnavailable, partner_setup


class AckMismatch(Conflict):
    """An acknowledgement that does not answer the message it names as sent (another sender,
    another recipient), or an acknowledgement id used again for different content."""

    code = "mait_ack_mismatch"


@dataclass(frozen=True)
class AckRecorded:
    """The acknowledgement as recorded, and whether this request recorded it (False: the same
    acknowledgement was recorded before)."""

    ack: PartnerAck
    created: bool


def record_acknowledgement(
    uow_factory: UowFactory,
    principal: Principal,
    document: bytes,
    now: datetime,
    policy: Policy,
) -> AckRecorded:
    """Record ``document``, a partner's ``ACK`` as XML.

    :class:`MaitInvalid` for a document that is not an ACK or breaks the schema,
    :class:`NotFound` when it answers no MAIT message of ours, :class:`AckMismatch` when it
    comes from another organisation than the one the message went to."""
    access_check(principal, Permission.PARTNER_ACKNOWLEDGE)
    now = require_utc(now)
    setup = partner_setup(policy)
    if setup is None:
        raise PartnersUnavailable(NOT_CONFIGURED, hint="add a [mait] table (docs/mait.md)")
    reply = setup.read_acknowledgement(document)
    answered = reply.header.relates_to or ""
    if reply.acknowledgement is None:
        raise MaitInvalid("expected an ACK message", field="header.message_type")
    with uow_factory() as uow:
        sent = uow.outbox.by_key(f"{KEY_PREFIX}{answered}") if answered else None
        agency = None if sent is None else agency_of(sent.destination)
        if sent is None or agency is None:
            raise NotFound(
                f"no MAIT message {answered!r} was sent",
                field="header.relates_to",
                hint="RelatesTo must be the MessageID of the message acknowledged",
            )
        try:
            ack = acknowledgement_of(reply, setup.decode(sent.body.encode("utf-8")).header)
        except MaitInvalid as exc:
            raise AckMismatch(exc.message, field=exc.field, hint=exc.hint) from None
        record = PartnerAck(
            ack_id=reply.header.message_id,
            message_id=answered,
            contact_id=sent.contact_id,
            agency=agency,
            status=ack.status,
            recipient_reference=ack.recipient_reference,
            reason=ack.reason,
            sent_at=reply.header.sent_at,
            received_at=now,
        )
        known = uow.mait_acks.get(record.ack_id)
        if known is not None:
            same = (known.message_id, known.status, known.recipient_reference, known.reason)
            if same != (record.message_id, record.status, record.recipient_reference, ack.reason):
                raise AckMismatch(
                    f"acknowledgement {record.ack_id!r} was received before with other content",
                    field="header.message_id",
                    hint="give each acknowledgement its own MessageID",
                )
            return AckRecorded(known, created=False)
        uow.mait_acks.add(record)
        details = {
            "agency": agency,
            "message_id": answered,
            "ack_id": record.ack_id,
            "status": record.status.value,
            "recipient_reference": record.recipient_reference or "",
            "reason": record.reason,
            "outbox_id": sent.id,
        }
        subject = f"contact:{sent.contact_id}" if sent.contact_id else f"outbox:{sent.id}"
        uow.audit.append(principal.actor, TAG_ACKNOWLEDGED, subject, details, now)
        event = PartnerAcknowledged(sent.contact_id, agency, answered, record.status.value, now)
        uow.collect([event])
        uow.commit()
    return AckRecorded(record, created=True)
