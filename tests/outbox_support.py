"""Helpers for tests of the outbox: a parked message, a stepping clock."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from controlroom.domain.outbox import MessageState

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
