"""Reading ahead a batch's recent contacts by number: later look-ups by number and time are
answered from what the transaction holds, without a query, and the same as the query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event

from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.domain.contacts import ActionKind, Contact, State
from controlroom.domain.triage.decision import Channel
from tests.adapters.db.conftest import MakeUow
from tests.adapters.db.test_repositories import POLICY, offered
from tests.domain.contacts.helpers import NUMBER, OTHER_NUMBER, Clock, drive

WINDOW = timedelta(seconds=45)


@contextmanager
def counting(uow: SqlUnitOfWork) -> Iterator[list[str]]:
    """The statements ``uow`` sends while the block runs."""
    sent: list[str] = []

    def count(*args: Any) -> None:
        sent.append(args[2])

    event.listen(uow.connection, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(uow.connection, "before_cursor_execute", count)


def _hung_up(contact: Contact, clock: Clock) -> Contact:
    drive(contact, (ActionKind.ANSWER, ActionKind.HANG_UP), POLICY, clock)
    return contact


def _store(make_uow: MakeUow, clock: Clock) -> dict[str, datetime]:
    """Landline contacts from NUMBER: one long call, one hung up, one still open; one from
    OTHER_NUMBER hung up. Their ids and the times that matter."""
    with make_uow() as uow:
        uow.contacts.add(offered("C-long", Channel.NINE_NINE_NINE, clock))
        clock.tick(600)
        uow.contacts.add(_hung_up(offered("C-hung", Channel.NINE_NINE_NINE, clock), clock))
        hung = clock.now
        other = _hung_up(offered("C-other", Channel.NINE_NINE_NINE, clock, OTHER_NUMBER), clock)
        uow.contacts.add(other)
        other_hung = clock.now
        uow.contacts.add(offered("C-open", Channel.LANDLINE_OPEN_LINE, clock))
        uow.commit()
    return {"hung": hung, "other_hung": other_hung, "now": clock.now}


def _lookups(uow: SqlUnitOfWork, at: datetime) -> tuple[Any, ...]:
    rejoin = uow.contacts.find_reconnectable(NUMBER, at)
    listed = uow.contacts.list(caller_number=NUMBER, offered_from=at - timedelta(hours=1), limit=2)
    window = uow.contacts.list(
        caller_number=NUMBER, offered_from=at - WINDOW, offered_to=at, limit=10, offset=0
    )
    return (
        None if rejoin is None else rejoin.id,
        [c.id for c in listed],
        [c.id for c in window],
    )


def test_lookups_after_the_read_ahead_need_no_query_and_agree(make_uow: MakeUow) -> None:
    clock = Clock()
    times = _store(make_uow, clock)
    for at in (times["hung"] + timedelta(seconds=s) for s in (0, 30, 45, 46, 300)):
        with make_uow() as uow:
            queried = _lookups(uow, at)
        with make_uow() as uow:
            uow.contacts.lock([], numbers=[NUMBER, OTHER_NUMBER], since=at - timedelta(hours=1))
            with counting(uow) as sent:
                held = _lookups(uow, at)
        assert held == queried
        assert sent == []
    assert queried[1] == ["C-open", "C-hung"]  # newest offered first, at most two


def test_a_contact_changed_or_added_after_the_read_ahead_is_seen(make_uow: MakeUow) -> None:
    clock = Clock()
    times = _store(make_uow, clock)
    later = times["now"] + timedelta(seconds=5)
    with make_uow() as uow:
        # the long call was offered before the read-ahead's reach and had not ended then
        uow.contacts.lock(["C-long"], numbers=[NUMBER], since=later - WINDOW)
        long_call = uow.contacts.get_for_update("C-long")
        assert long_call is not None
        clock.now = later
        uow.contacts.save(_hung_up(long_call, clock))
        with counting(uow) as sent:
            rejoin = uow.contacts.find_reconnectable(NUMBER, clock.now)
            uow.contacts.add(offered("C-new", Channel.NINE_NINE_NINE, clock))
            window = uow.contacts.list(caller_number=NUMBER, offered_from=later - WINDOW)
        assert sent == []
        assert rejoin is not None and rejoin.id == "C-long" and rejoin.state is State.HUNG_UP
        assert [c.id for c in window] == ["C-new", "C-open"]
        uow.commit()


def test_a_look_up_reaching_further_back_than_the_read_ahead_queries(make_uow: MakeUow) -> None:
    clock = Clock()
    times = _store(make_uow, clock)
    with make_uow() as uow:
        uow.contacts.lock([], numbers=[NUMBER], since=times["now"])
        with counting(uow) as sent:
            older = uow.contacts.list(caller_number=NUMBER, offered_from=times["hung"] - WINDOW)
            other = uow.contacts.find_reconnectable(OTHER_NUMBER, times["other_hung"])
            kind = uow.contacts.list(caller_number=NUMBER, channel=Channel.NINE_NINE_NINE)
        assert len(sent) == 3
        assert [c.id for c in older] == ["C-open", "C-hung"]
        assert other is not None and other.id == "C-other"
        assert [c.id for c in kind] == ["C-hung", "C-long"]
