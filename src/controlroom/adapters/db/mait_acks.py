"""Partners' acknowledgements of MAIT messages (the ``mait_acknowledgements`` table)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.engine import Row

from controlroom.adapters.db.tables import mait_acknowledgements
from controlroom.domain.mait import AckStatus
from controlroom.domain.mait.delivery import PartnerAck

_C = mait_acknowledgements.c


def _ack(row: Row[Any]) -> PartnerAck:
    return PartnerAck(
        ack_id=str(row.ack_id),
        message_id=str(row.message_id),
        contact_id=None if row.contact_id is None else str(row.contact_id),
        agency=str(row.agency),
        status=AckStatus(row.status),
        recipient_reference=row.recipient_reference,
        reason=str(row.reason),
        sent_at=row.sent_at,
        received_at=row.received_at,
    )


class SqlMaitAcks:
    """Acknowledgements on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, ack: PartnerAck) -> bool:
        """Store ``ack``; False (nothing written) when its ``ack_id`` is stored already."""
        if self.get(ack.ack_id) is not None:
            return False
        self._connection.execute(
            insert(mait_acknowledgements),
            {
                "ack_id": ack.ack_id,
                "message_id": ack.message_id,
                "contact_id": ack.contact_id,
                "agency": ack.agency,
                "status": ack.status.value,
                "recipient_reference": ack.recipient_reference,
                "reason": ack.reason,
                "sent_at": ack.sent_at,
                "received_at": ack.received_at,
            },
        )
        return True

    def get(self, ack_id: str) -> PartnerAck | None:
        """The acknowledgement with ``ack_id``, or None."""
        query = select(mait_acknowledgements).where(_C.ack_id == ack_id)
        row = self._connection.execute(query).first()
        return None if row is None else _ack(row)

    def for_contact(self, contact_id: str) -> list[PartnerAck]:
        """A contact's acknowledgements in the order received."""
        query = select(mait_acknowledgements).where(_C.contact_id == contact_id).order_by(_C.id)
        return [_ack(row) for row in self._connection.execute(query)]
