"""Delivery rounds on the in-memory unit of work: a message whose lease ran out while earlier
ones were sent is left for the next round (never sent by two workers at once on purpose); a
transport that breaks unexpectedly counts as a failed attempt and the round goes on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from controlroom.domain.outbox import DeliveryFailed, MessageState, OutboxMessage, RetryPolicy
from controlroom.services.outbox import deliver_due, enqueue
from tests.fakes.uow import FakeUnitOfWork
from tests.outbox_support import Clock

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
RETRY = RetryPolicy(max_attempts=5, base_seconds=1, max_seconds=10)


class SlowTransport:
    """Takes every message, each taking ``seconds`` of the clock."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock, self.seconds, self.sent = clock, seconds, []

    def send(self, message: OutboxMessage) -> None:
        self.sent.append(message.idempotency_key)
        self.clock.advance(self.seconds)


class BrokenTransport:
    """Fails the first message with a bug, refuses the second, takes the rest."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, message: OutboxMessage) -> None:
        self.calls += 1
        if self.calls == 1:
            raise ValueError("a bug in the transport")
        if self.calls == 2:
            raise DeliveryFailed("the receiver answered HTTP 500")


def fill(uow: FakeUnitOfWork, count: int) -> None:
    with uow:
        for n in range(count):
            enqueue(
                uow,
                destination="cc",
                kind="incident.logged",
                idempotency_key=f"k{n}",
                body="{}",
                now=T0,
                contact_id=f"C-{n}",
            )
        uow.commit()


def test_a_message_whose_lease_ran_out_waits_for_the_next_round() -> None:
    uow, clock = FakeUnitOfWork(outbox_destinations=frozenset({"cc"})), Clock(T0)
    fill(uow, 3)
    transport = SlowTransport(clock, seconds=25)
    done = deliver_due(
        lambda **_: uow, {"cc": transport}, RETRY, clock, lease=timedelta(seconds=40)
    )
    assert done.delivered == 2 and transport.sent == ["k0", "k1"]
    states = [m.state for m in uow.store.outbox.values()]
    assert states == [MessageState.DELIVERED, MessageState.DELIVERED, MessageState.DELIVERING]
    again = deliver_due(lambda **_: uow, {"cc": transport}, RETRY, clock)
    assert again.delivered == 1 and transport.sent == ["k0", "k1", "k2"]
    assert uow.store.outbox[3].attempts == 2


def test_a_broken_transport_is_a_failed_attempt_and_the_round_goes_on() -> None:
    uow, clock = FakeUnitOfWork(outbox_destinations=frozenset({"cc"})), Clock(T0)
    fill(uow, 3)
    done = deliver_due(lambda **_: uow, {"cc": BrokenTransport()}, RETRY, clock)
    assert (done.delivered, done.failed, done.parked) == (1, 2, 0)
    errors = [m.last_error for m in uow.store.outbox.values()]
    assert errors == ["could not send: ValueError", "the receiver answered HTTP 500", None]
