"""Helpers for tests of the outbox: a parked message, a stepping clock, a logged incident."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from controlroom.domain.contacts import Answer, Assess, Caller, LogIncident, UpdateNarrative
from controlroom.domain.outbox import MessageState
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service

#: A destination no configuration uses: the helpers' messages never reach a real transport.
TEST_DESTINATION = "test"


def parked_message(uow_factory: Any, now: datetime, *, destination: str = TEST_DESTINATION) -> int:
    """Write one message and park it as if its attempts were used up; its id."""
    with uow_factory() as uow:
        message_id = uow.outbox.add(
            destination=destination,
            kind="incident.logged",
            idempotency_key=f"test:{uuid.uuid4().hex}",
            contact_id=None,
            content_type="application/json",
            body="{}",
            now=now,
        )
        claimed = uow.outbox.claim(now, now + timedelta(seconds=60), 1000, [destination])
        (message,) = [item for item in claimed if item.id == message_id]
        uow.outbox.mark(
            message,
            state=MessageState.PARKED,
            attempts=message.attempts,
            next_attempt_at=None,
            last_error="the receiver answered HTTP 503",
        )
        uow.commit()
    assert message_id is not None
    return int(message_id)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move on ``seconds``."""
        self.now += timedelta(seconds=seconds)


def logged_incident(uow_factory: Any, policy: Any, handler: Any, number: str) -> str:
    """A 999 call from ``number`` answered by ``handler``, told as a burglary in progress and
    logged as an immediate incident (so C&C is sent its document): the contact's id."""
    now = datetime.now(UTC)
    details = service.offer_contact(
        uow_factory,
        handler,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(number=number),
        narrative="",
        now=now,
        policy=policy,
    )
    cid = details.contact.id
    for action in (
        Answer(),
        UpdateNarrative("Someone is breaking into my house right now"),
        Assess("immediate", reason="in progress"),
        LogIncident(grade="immediate"),
    ):
        service.do_action(uow_factory, handler, cid, action, now, policy)
    return cid
