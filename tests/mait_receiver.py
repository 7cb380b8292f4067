"""A MAIT hub for tests: the C&C test receiver (signatures, timestamps, idempotency keys) that
takes MAIT XML instead of JSON and checks each document against the schema before taking it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from controlroom.adapters.mait.xml_codec import from_xml, to_xml
from controlroom.domain.mait import (
    Acknowledgement,
    AckStatus,
    Header,
    MaitInvalid,
    MaitMessage,
    MessageType,
    Organisation,
)
from controlroom.services.mait import build_mait_message
from controlroom.services.partner_handoff import partner_setup
from tests.cc_receiver import Receiver

SECRET = "test-mait-secret-0123456789abcdef01234567"


class MaitHub(Receiver):
    """Keeps each message it took, read back and validated, by idempotency key."""

    def __init__(self, secret: str = SECRET) -> None:
        super().__init__(secret)
        self.messages: dict[str, MaitMessage] = {}

    content_type = "application/xml"

    def take(self, key: str, body: bytes) -> int:
        """Read the document back and validate it; the key must name its MessageID."""
        try:
            message = from_xml(body)
        except MaitInvalid as exc:
            self.refused.append(f"invalid MAIT: {exc.message}")
            return 400
        if key != f"mait:{message.header.message_id}":
            self.refused.append("the key does not match the MessageID")
            return 400
        self.messages[key] = message
        return 200


def written_create(uow_factory: Any, policy: Any, contact_id: str, agency: str) -> str:
    """Write a MAIT CREATE for the contact straight to the outbox (whatever is configured), as
    the partner handoff does; its message id."""
    setup = partner_setup(policy)
    assert setup is not None, "the policy has its MAIT partners attached"
    message_id = str(uuid.uuid4())
    with uow_factory() as uow:
        contact = uow.contacts.get(contact_id)
        message = build_mait_message(
            contact,
            agency,
            policy=policy,
            directory=setup.directory,
            now=datetime.now(UTC),
            message_id=message_id,
        )
        uow.outbox.add(
            destination=f"partner:{agency}",
            kind="mait.create",
            idempotency_key=f"mait:{message_id}",
            contact_id=contact_id,
            content_type="application/xml",
            body=to_xml(message).decode(),
            now=datetime.now(UTC),
        )
        uow.commit()
    return message_id


def ack_document(relates_to: str, status: str, *, sender: str = "SWASFT", **more: str) -> bytes:
    """A partner's ACK of message ``relates_to``, as the hub passes it on."""
    header = Header(
        message_id=f"ACK-{relates_to[:8]}-{status}-{sender}",
        message_type=MessageType.ACK,
        sent_at=datetime.now(UTC).replace(microsecond=0),
        sender=Organisation(sender, "Partner"),
        recipient=Organisation("DCP", "Devon & Cornwall Police"),
        relates_to=relates_to,
    )
    return to_xml(
        MaitMessage(header=header, acknowledgement=Acknowledgement(AckStatus(status), **more))
    )
