"""Group commit: events that arrive together are committed together, answered after the
commit, and one event's refusal never changes another's answer."""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

import pytest

from controlroom.domain.contacts import Actor, Role
from controlroom.domain.errors import NotFound
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.services.telephony import EventType, TelephonyEvent
from controlroom.services.telephony_batch import EventBatcher
from tests.fakes.uow import FakeUnitOfWork
from tests.services.test_telephony import SYSTEM, T0, Line

Answer = tuple[int, dict[str, Any]]


@pytest.fixture
def line(policy: Policy) -> Line:
    """A telephony line with one handler, on the in-memory unit of work."""
    uow = FakeUnitOfWork()
    admin = Actor("cli:test", Role.ADMIN)
    accounts.add_user(uow, admin, "handler", Role.CALL_HANDLER, now=T0 - timedelta(days=1))
    return Line(uow, policy)


class Gate:
    """A unit-of-work factory whose first transaction waits until the gate opens, so that
    the events sent meanwhile queue up behind it."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow
        self.opened = threading.Event()
        self.first = True

    def __call__(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        if self.first:
            self.first = False
            self.opened.wait(5)
        return self.uow


def answers(futures: list[Future[Answer]]) -> list[Answer | BaseException]:
    out: list[Answer | BaseException] = []
    for future in futures:
        try:
            out.append(future.result(timeout=10))
        except Exception as exc:
            out.append(exc)
    return out


def test_events_that_queue_up_are_committed_together(line: Line, policy: Policy) -> None:
    gate = Gate(line.uow)
    batcher = EventBatcher(gate, policy)
    first = batcher.submit(SYSTEM, line.offered("PBX-0", 0), line.at(1))
    time.sleep(0.05)  # the writer has taken the first event and waits at the gate
    rest = [
        batcher.submit(SYSTEM, line.offered(f"PBX-{n}", n), line.at(n + 1)) for n in range(1, 21)
    ]
    commits = line.uow.commits
    gate.opened.set()
    got = answers([first, *rest])
    assert [status for status, _ in got] == [201] * 21  # type: ignore[misc]
    assert line.uow.commits - commits == 2  # the first alone, then the twenty together
    assert batcher.batches == 1
    assert len({body["contact_id"] for _, body in got}) == 21  # type: ignore[misc]


def test_a_refused_event_in_a_batch_leaves_the_others_as_if_sent_alone(
    line: Line, policy: Policy
) -> None:
    gate = Gate(line.uow)
    batcher = EventBatcher(gate, policy)
    first = batcher.submit(SYSTEM, line.offered("PBX-0", 0), line.at(1))
    time.sleep(0.05)
    offer = line.offered("PBX-1", 1)
    stray = line.call_event(EventType.CALL_DTMF, "PBX-unknown", 2, digits="55")
    answered = line.call_event(EventType.CALL_ANSWERED, "PBX-1", 3, agent="handler")
    futures = [batcher.submit(SYSTEM, e, line.at(4)) for e in (offer, stray, offer, answered)]
    gate.opened.set()
    got = answers([first, *futures])
    assert isinstance(got[2], NotFound)  # the dtmf for a call never offered
    assert got[1] == got[3]  # the offer sent twice gets the same answer
    assert got[1][0] == 201 and got[4][1]["state"] == "answered"  # type: ignore[index]
    contact = line.contact(got[1][1]["contact_id"])  # type: ignore[index]
    assert contact.state.value == "answered"


def test_answers_are_the_same_as_one_at_a_time(line: Line, policy: Policy) -> None:
    events: list[TelephonyEvent] = []
    for n in range(5):
        events.append(line.offered(f"PBX-{n}", n))
        events.append(line.call_event(EventType.CALL_ANSWERED, f"PBX-{n}", n + 1, agent="handler"))
    gate = Gate(line.uow)
    batcher = EventBatcher(gate, policy)
    futures = [batcher.submit(SYSTEM, e, line.at(10)) for e in events]
    gate.opened.set()
    got = answers(futures)
    assert [(status, body["result"]) for status, body in got] == [  # type: ignore[misc]
        (201, "created"),
        (200, "applied"),
    ] * 5


def test_bad_input_is_refused_before_it_is_queued(line: Line, policy: Policy) -> None:
    batcher = EventBatcher(line.factory, policy)
    with pytest.raises(Exception, match="call_id"):
        batcher.submit(
            SYSTEM, TelephonyEvent("ev-x", EventType.CALL_OFFERED, line.at(0)), line.at(1)
        )


def test_the_writer_stops_when_idle_and_starts_again(line: Line, policy: Policy) -> None:
    batcher = EventBatcher(line.factory, policy, idle_seconds=0.05)
    assert batcher.submit(SYSTEM, line.offered("PBX-1", 0), line.at(1)).result(5)[0] == 201
    deadline = time.monotonic() + 5
    while batcher._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert batcher._thread is None
    assert batcher.submit(SYSTEM, line.offered("PBX-2", 1), line.at(2)).result(5)[0] == 201
