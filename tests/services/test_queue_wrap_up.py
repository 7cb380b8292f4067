"""The queue's owner and wrap-up (issue #17 item 3): whose a contact being worked is, and an
ended contact staying in its handler's list for the policy's wrap-up seconds, then leaving."""

from __future__ import annotations

from datetime import timedelta

import pytest

from controlroom.domain.access import Principal
from controlroom.domain.contacts import (
    AddNote,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Close,
    ContactRecord,
    HangUp,
    LogIncident,
    Role,
    UpdateNarrative,
)
from controlroom.domain.policy import Policy
from controlroom.services import console
from controlroom.services import contacts as service
from controlroom.services.queue_owner import finished_at, handler_of, wrap_up_until
from tests.services.test_console_service import HANDLER, Room

WINDOW = timedelta(seconds=60)
COLLEAGUE = Principal("bob", Role.CALL_HANDLER)


@pytest.fixture
def room(policy: Policy) -> Room:
    return Room(policy)


def closed_call(room: Room) -> str:
    contact = room.offer()
    room.act(
        contact,
        Answer(),
        UpdateNarrative("Someone is breaking into my house right now"),
        Assess(grade="immediate"),
        LogIncident(grade="immediate"),
        Close(),
    )
    return contact


def record(room: Room, contact: str) -> ContactRecord:
    found = room.uow.contacts.get(contact)
    assert found is not None
    return found.record


def test_the_handler_is_whoever_answered_and_nobody_before(room: Room) -> None:
    waiting = room.offer()
    assert handler_of(record(room, waiting)) == ""
    taken = room.offer()
    service.do_action(room.factory, COLLEAGUE, taken, Answer(), room.tick(), room.policy)
    assert handler_of(record(room, taken)) == "bob"
    row = console.room_queue(room.factory, HANDLER).working
    assert [(item.id, item.handler) for item in row] == [(taken, "bob")]


@pytest.mark.parametrize(
    ("after", "in_wrap_up"),
    [(0, True), (30, True), (59, True), (60, False), (600, False)],
)
def test_an_ended_contact_is_in_wrap_up_for_the_window_after_it_ended(
    room: Room, after: int, in_wrap_up: bool
) -> None:
    contact = closed_call(room)
    ended = finished_at(record(room, contact))
    assert ended == room.now
    now = room.tick(after)
    queue = console.room_queue(room.factory, HANDLER, now=now, wrap_up=WINDOW)
    rows = {item.id: item for item in queue.working}
    assert (contact in rows) is in_wrap_up
    if in_wrap_up:
        assert rows[contact].wrap_up_until == ended + WINDOW
        assert rows[contact].handler == "alice"
        assert not rows[contact].waiting
    feed = console.feed_rows(room.factory, [contact], now=now, wrap_up=WINDOW)[contact]
    assert (feed is not None) is in_wrap_up


def test_a_note_after_the_end_does_not_restart_the_wrap_up(room: Room) -> None:
    contact = closed_call(room)
    ended = room.now
    room.act(contact, AddNote("caller's neighbour rang back; nothing new"))
    assert finished_at(record(room, contact)) == ended
    assert wrap_up_until(record(room, contact), WINDOW, room.now) == ended + WINDOW


def test_no_wrap_up_without_a_window_or_for_a_call_nobody_answered(room: Room) -> None:
    contact = closed_call(room)
    assert console.room_queue(room.factory, HANDLER).working == []  # the supervisor's figures
    assert wrap_up_until(record(room, contact), timedelta(0), room.now) is None
    assert console.feed_rows(room.factory, [contact])[contact] is None


def test_a_hung_up_call_stays_being_worked_until_it_is_closed(room: Room) -> None:
    contact = room.offer()
    room.act(contact, Answer(), Assess(grade="scheduled"), Advise(AdviceKind.CALL_101), HangUp())
    later = room.tick(3600)
    queue = console.room_queue(room.factory, HANDLER, now=later, wrap_up=WINDOW)
    [item] = queue.working
    assert (item.id, item.handler, item.wrap_up_until) == (contact, "alice", None)
