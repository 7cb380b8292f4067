"""The console's use cases: the queue, the contact page's parts, the live feed's reads, and
password sessions (their limits: test_login_limits.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.access import Principal, Unauthenticated
from controlroom.domain.contacts import (
    Actor,
    AdviceKind,
    Advise,
    Answer,
    Assess,
    Caller,
    HangUp,
    Role,
    UpdateNarrative,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import accounts, console, sessions
from controlroom.services import contacts as service
from controlroom.services.sessions import LoginRules
from tests.fakes.uow import FakeHasher, FakeUnitOfWork
from tests.services.attempts_fake import MemoryAttempts

T0 = datetime(2026, 1, 23, 21, 0, tzinfo=UTC)
HANDLER = Principal("alice", Role.CALL_HANDLER)


class Room:
    def __init__(self, policy: Policy) -> None:
        self.uow, self.policy, self.now = FakeUnitOfWork(), policy, T0

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def tick(self, seconds: float = 10) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def offer(self, channel: Channel = Channel.NINE_NINE_NINE, landline: bool = False) -> str:
        details = service.offer_contact(
            self.factory,
            HANDLER,
            channel=channel,
            caller=Caller(number="+447700900001"),
            narrative="",
            now=self.tick(),
            policy=self.policy,
        )
        return details.contact.id

    def act(self, contact_id: str, *actions: object) -> service.ContactDetails:
        details = None
        for action in actions:
            details = service.do_action(
                self.factory,
                HANDLER,
                contact_id,
                action,
                self.tick(),
                self.policy,  # type: ignore[arg-type]
            )
        assert details is not None
        return details


@pytest.fixture
def room(policy: Policy) -> Room:
    return Room(policy)


def test_every_route_into_999_comes_before_101_chat_and_online() -> None:
    assert {console.priority(c) for c in Channel if c.is_emergency_line} == {0}
    assert console.priority(Channel.ONE_ZERO_ONE) == 1
    assert console.priority(Channel.LIVE_CHAT) == 2
    assert console.priority(Channel.ONLINE_REPORT) == 3


def test_the_queue_is_priority_then_wait_and_lists_the_work_in_hand(room: Room) -> None:
    old_101 = room.offer(Channel.ONE_ZERO_ONE)
    first_999 = room.offer()
    second_999 = room.offer(Channel.BSL_999)
    worked = room.offer()
    room.act(worked, Answer())
    queue = console.room_queue(room.factory, HANDLER)
    assert [item.id for item in queue.waiting] == [first_999, second_999, old_101]
    assert [item.id for item in queue.working] == [worked]
    keys = [item.sort_key for item in queue.waiting]
    assert keys == sorted(keys)


def test_the_feed_reads_only_what_changed(room: Room) -> None:
    room.offer()
    head, nothing = console.changes_since(room.factory, None)  # a feed starting now
    assert nothing == []
    contact = room.offer()
    new_head, changed = console.changes_since(room.factory, head)
    assert changed == [contact] and new_head > head
    assert console.changes_since(room.factory, new_head) == (new_head, [])
    row = console.feed_rows(room.factory, [contact])[contact]
    assert row is not None and row.waiting
    room.act(contact, HangUp())
    assert console.feed_rows(room.factory, [contact])[contact] is None  # abandoned: it left


def test_highlight_marks_the_evidence_and_keeps_every_character(policy: Policy) -> None:
    text = "Someone is breaking into my house right now"
    decision = service.suggest(text, Channel.NINE_NINE_NINE, policy)
    segments = console.highlight(text, decision)
    assert "".join(s.text for s in segments) == text
    marked = {s.text for s in segments if s.reasons}
    assert {"breaking into", "right now"} <= marked
    assert all("(" in why for s in segments for why in s.reasons)  # each names its paragraph
    assert console.highlight("hello", None) == [console.Segment("hello")]


def test_scripts_follow_what_may_be_done_now(room: Room) -> None:
    contact = room.offer()
    words = "My neighbour's music is too loud"
    details = room.act(contact, Answer(), UpdateNarrative(words))
    details = room.act(contact, Assess(grade="resolution_without_deployment"))
    assert "advise" in [kind for kind, _ in console.scripts_for(details, room.policy)]
    details = room.act(contact, Advise(AdviceKind.CALL_101))
    kinds = [kind for kind, _ in console.scripts_for(details, room.policy)]
    assert "warn" in kinds and "terminate" not in kinds


def test_relay_timers_allow_for_the_relay(room: Room) -> None:
    contact = room.offer(Channel.RELAY_UK_18000)
    details = room.act(contact, Answer())
    timers = console.timers_for(details.contact.record)
    assert timers.reply_wait == timedelta(seconds=90)
    assert timers.reply_due == details.contact.history[-1].at + timedelta(seconds=90)
    assert timers.answer_due == timers.offered_at + timedelta(seconds=10)
    assert (
        console.timers_for(
            service.get_contact(
                room.factory, HANDLER, room.offer(), room.now, room.policy
            ).contact.record
        ).reply_wait
        is None
    )


# -- sessions -------------------------------------------------------------------------------

RULES = LoginRules()


@pytest.fixture
def accounts_room(room: Room) -> Room:
    admin = Actor("cli:test", Role.ADMIN)
    accounts.add_user(
        room.factory(), admin, "hana", "call_handler", "a-long-password", hasher=FakeHasher()
    )
    return room


def log_in(room: Room, password: str, at: datetime) -> sessions.Session:
    return sessions.log_in(
        room.factory,
        FakeHasher(),
        "hana",
        password,
        now=at,
        rules=RULES,
        attempts=MemoryAttempts(),
        client="test",
    )


def test_a_session_lasts_until_signed_out(accounts_room: Room) -> None:
    session = log_in(accounts_room, "a-long-password", T0)
    resumed = sessions.resume(
        accounts_room.factory,
        session_id=session.session_id,
        user_id=session.principal.user_id or "",
        started_at=T0,
        now=T0 + timedelta(hours=1),
        lifetime=timedelta(hours=12),
    )
    assert resumed.principal.name == "hana"
    sessions.log_out(accounts_room.factory, session, now=T0 + timedelta(hours=2))
    with pytest.raises(Unauthenticated):
        sessions.resume(
            accounts_room.factory,
            session_id=session.session_id,
            user_id=session.principal.user_id or "",
            started_at=T0,
            now=T0 + timedelta(hours=3),
            lifetime=timedelta(hours=12),
        )


def test_a_session_ends_after_its_lifetime(accounts_room: Room) -> None:
    session = log_in(accounts_room, "a-long-password", T0)
    with pytest.raises(Unauthenticated):
        sessions.resume(
            accounts_room.factory,
            session_id=session.session_id,
            user_id=session.principal.user_id or "",
            started_at=T0,
            now=T0 + timedelta(hours=12),
            lifetime=timedelta(hours=12),
        )


def test_a_repeat_caller_shows_in_the_queue_before_anyone_answers(room: Room) -> None:
    first = room.offer()
    room.act(first, HangUp())
    second = room.offer()
    third = room.offer(Channel.ONE_ZERO_ONE)
    waiting = {item.id: item for item in console.room_queue(room.factory, HANDLER).waiting}
    assert waiting[second].earlier_calls == 1
    assert waiting[third].earlier_calls == 2
    assert console.feed_rows(room.factory, [third])[third].earlier_calls == 2  # type: ignore[union-attr]
