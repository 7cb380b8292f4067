"""MAIT messages on their way to partners: what a partner said back, and the events a handoff
publishes after its commit (docs/interop.md#partner-agencies-by-mait)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from controlroom.domain.mait.message import AckStatus

#: The outbox destination of a partner agency is ``partner:<agency id>``.
PARTNER_PREFIX = "partner:"
#: The outbox kinds of MAIT messages, by message type.
KIND_CREATE, KIND_UPDATE, KIND_CLOSE = "mait.create", "mait.update", "mait.close"
#: Idempotency keys of MAIT messages: ``mait:<message id>``.
KEY_PREFIX = "mait:"
#: Audit tags: a message put in the outbox (subject ``contact:<id>``), an acknowledgement.
TAG_SENT = "mait:message:send"
TAG_ACKNOWLEDGED = "mait:message:acknowledge"


def destination_for(agency: str) -> str:
    """The outbox destination of the partner that is policy agency ``agency``."""
    return f"{PARTNER_PREFIX}{agency}"


def agency_of(destination: str) -> str | None:
    """The agency a ``partner:`` destination names (None for any other destination)."""
    if not destination.startswith(PARTNER_PREFIX):
        return None
    return destination[len(PARTNER_PREFIX) :] or None


def message_id_of(idempotency_key: str) -> str | None:
    """The MAIT message id in an outbox key ``mait:<id>`` (None for another key)."""
    if not idempotency_key.startswith(KEY_PREFIX):
        return None
    return idempotency_key[len(KEY_PREFIX) :] or None


@dataclass(frozen=True)
class PartnerAck:
    """A partner's acknowledgement, as recorded: ``ack_id`` is its own message id and
    ``message_id`` the id of the message of ours it answers."""

    ack_id: str
    message_id: str
    contact_id: str | None
    agency: str
    status: AckStatus
    recipient_reference: str | None
    reason: str
    sent_at: datetime
    received_at: datetime


@dataclass(frozen=True)
class PartnerMessageQueued:
    """A MAIT message to a partner was committed to the outbox."""

    contact_id: str
    agency: str
    message_id: str
    message_type: str
    actor: str
    at: datetime


@dataclass(frozen=True)
class PartnerAcknowledged:
    """A partner's acknowledgement of one of our MAIT messages was recorded."""

    contact_id: str | None
    agency: str
    message_id: str
    status: str
    at: datetime
