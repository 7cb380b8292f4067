"""Escalated written contacts as an alarm: which are open, when supervisors are alerted again
(from the stored time of the mark), and where they stand in the Waiting list."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.access import AccessDenied, Principal
from controlroom.domain.contacts import (
    Answer,
    Caller,
    Escalate,
    EscalationSource,
    HangUp,
    Role,
)
from controlroom.domain.errors import PolicyViolation
from controlroom.domain.policy import DigitalEscalation, Policy
from controlroom.domain.triage import Channel
from controlroom.services import console, escalations
from controlroom.services import contacts as service
from tests.fakes.uow import FakeUnitOfWork

T0 = datetime(2026, 1, 23, 21, 0, tzinfo=UTC)
HANDLER = Principal("alice", Role.CALL_HANDLER)
MARK = Escalate(EscalationSource.PERSON, "says he has a knife")


class Room:
    def __init__(self, policy: Policy) -> None:
        self.uow, self.now = FakeUnitOfWork(), T0
        self.policy = replace(policy, digital_escalation=DigitalEscalation(30))

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def tick(self, seconds: float = 10) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def offer(self, channel: Channel) -> str:
        details = service.offer_contact(
            self.factory,
            HANDLER,
            channel=channel,
            caller=Caller(name="Sam"),
            narrative="",
            now=self.tick(),
            policy=self.policy,
        )
        return details.contact.id

    def act(self, contact_id: str, action: object) -> None:
        service.do_action(self.factory, HANDLER, contact_id, action, self.tick(), self.policy)  # type: ignore[arg-type]

    def alarms(self) -> list[escalations.Alarm]:
        return escalations.open_alarms(self.factory, HANDLER, self.policy)


@pytest.fixture
def room(policy: Policy) -> Room:
    return Room(policy)


def test_a_marked_contact_is_an_alarm_until_someone_takes_it(room: Room) -> None:
    report = room.offer(Channel.ONLINE_REPORT)
    room.offer(Channel.ONLINE_REPORT)  # an ordinary report raises no alarm
    assert room.alarms() == []
    room.act(report, MARK)
    marked_at = room.now
    [alarm] = room.alarms()
    assert (alarm.contact_id, alarm.channel, alarm.caller) == (report, Channel.ONLINE_REPORT, "Sam")
    assert (alarm.source, alarm.reason) == (EscalationSource.PERSON, "says he has a knife")
    assert alarm.escalated_at == marked_at
    assert alarm.realert_at == marked_at + timedelta(seconds=30)
    assert alarm.age(marked_at + timedelta(seconds=12)) == timedelta(seconds=12)
    room.act(report, Answer())
    assert room.alarms() == []


def test_supervisors_are_alerted_again_from_the_stored_time(room: Room) -> None:
    chat = room.offer(Channel.LIVE_CHAT)
    room.act(chat, MARK)
    marked_at = room.now
    [alarm] = room.alarms()
    assert not alarm.overdue(marked_at + timedelta(seconds=29.9))
    assert alarm.overdue(marked_at + timedelta(seconds=30))
    # Another instance, or this one after a restart, reads the same from the store.
    shorter = replace(room.policy, digital_escalation=DigitalEscalation(5))
    [again] = escalations.open_alarms(room.factory, HANDLER, shorter)
    assert again.realert_at == marked_at + timedelta(seconds=5)


def test_an_alarm_ends_when_the_person_leaves(room: Room) -> None:
    chat = room.offer(Channel.LIVE_CHAT)
    room.act(chat, MARK)
    room.act(chat, HangUp())
    assert room.alarms() == []


def test_only_people_who_may_read_contacts_see_alarms(room: Room) -> None:
    with pytest.raises(AccessDenied):
        escalations.open_alarms(room.factory, Principal("audrey", Role.ADMIN), room.policy)


def test_the_waiting_list_is_urgency_then_wait(room: Room) -> None:
    old_report = room.offer(Channel.ONLINE_REPORT)
    chat = room.offer(Channel.LIVE_CHAT)
    call_999 = room.offer(Channel.NINE_NINE_NINE)
    call_101 = room.offer(Channel.ONE_ZERO_ONE)
    marked = room.offer(Channel.ONLINE_REPORT)
    before = console.room_queue(room.factory, HANDLER).waiting
    assert [item.id for item in before] == [call_999, call_101, chat, old_report, marked]
    room.act(marked, MARK)
    waiting = console.room_queue(room.factory, HANDLER).waiting
    assert [item.id for item in waiting] == [marked, call_999, call_101, chat, old_report]
    assert waiting[0].emergency and waiting[0].priority == 0
    assert not any(item.emergency for item in waiting[1:])
    keys = [item.sort_key for item in waiting]
    assert keys == sorted(keys)  # the live feed places rows by this text


def test_a_voice_call_is_not_marked(room: Room) -> None:
    call = room.offer(Channel.ONE_ZERO_ONE)
    with pytest.raises(PolicyViolation, match="only an online report or a live chat"):
        room.act(call, MARK)
    assert room.alarms() == []


def test_triage_marks_a_waiting_report_once_and_says_when_it_cannot(
    room: Room, caplog: pytest.LogCaptureFixture
) -> None:
    decision = service.suggest(
        "A man with a knife is attacking my brother right now", Channel.ONLINE_REPORT, room.policy
    )
    assert decision is not None
    report = room.offer(Channel.ONLINE_REPORT)
    system = Principal("public-site", Role.INTEGRATION)
    with room.factory() as uow:
        contact = uow.contacts.get_for_update(report)
        assert contact is not None
        auditor = Principal("audrey", Role.AUDITOR)
        args = {"now": room.tick(), "policy": room.policy}
        assert not escalations.escalate_by_triage(uow, contact, decision, principal=auditor, **args)
        assert "no alarm raised" in caplog.text
        assert escalations.escalate_by_triage(uow, contact, decision, principal=system, **args)
        assert not escalations.escalate_by_triage(uow, contact, decision, principal=system, **args)
        uow.commit()
    [alarm] = room.alarms()
    assert alarm.source is EscalationSource.TRIAGE and alarm.reason == decision.summary
