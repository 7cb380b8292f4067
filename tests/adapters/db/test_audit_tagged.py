"""Reading the audit log by tag after a cursor (the outbound SMS commands), on each database."""

from __future__ import annotations

from datetime import timedelta

from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import Actor, Role
from tests.adapters.db.conftest import MakeUow
from tests.domain.contacts.helpers import START

HANDLER = Actor("handler-1", Role.CALL_HANDLER)
REPLY, NOTE = AuditTag.TELEPHONY_SMS_REPLY, AuditTag.CONTACT_ADD_NOTE


def test_entries_of_one_tag_come_in_order_after_the_cursor_and_up_to_the_limit(
    make_uow: MakeUow,
) -> None:
    with make_uow() as uow:
        for n, tag in enumerate((REPLY, NOTE, REPLY, NOTE, REPLY)):
            at = START + timedelta(seconds=n)
            uow.audit.append(HANDLER, tag, "contact:C-1", {"command_id": f"SMS-{n}"}, at)
        # written in this unit of work and not yet committed: read all the same
        assert [e.details["command_id"] for e in uow.audit.tagged(REPLY)] == [
            "SMS-0",
            "SMS-2",
            "SMS-4",
        ]
        uow.commit()
    with make_uow(read_only=True) as uow:
        first = uow.audit.tagged(REPLY, limit=2)
        assert [e.details["command_id"] for e in first] == ["SMS-0", "SMS-2"]
        rest = uow.audit.tagged(REPLY, after_seq=first[-1].seq)
        assert [e.details["command_id"] for e in rest] == ["SMS-4"]
        assert uow.audit.tagged(REPLY, after_seq=rest[-1].seq) == []
        assert uow.audit.tagged(REPLY, limit=0) == []
