"""Telephony events on the in-memory unit of work: idempotency, ordering, reconnects, AML."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from controlroom.domain.access import AccessDenied, Principal
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import Actor, Contact, Role, State
from controlroom.domain.errors import (
    ConcurrentWrite,
    Conflict,
    InvalidInput,
    NotFound,
    PolicyViolation,
)
from controlroom.domain.location import (
    AmlError,
    LocationFix,
    LocationSource,
    PositioningMethod,
    format_aml_v1,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import accounts
from controlroom.services.contact_evidence import contact_evidence
from controlroom.services.contacts import do_action, get_contact
from controlroom.services.location_matching import MatchWindows
from controlroom.services.telephony import (
    Address,
    CallerInfo,
    EventType,
    TelephonyEvent,
    ingest_event,
)
from tests.fakes.uow import FakeUnitOfWork

T0 = datetime(2026, 1, 23, 21, 0, tzinfo=UTC)
SYSTEM = Principal("telephony", Role.INTEGRATION)
HANDLER = Principal("handler", Role.CALL_HANDLER)
MOBILE_A = "+447700900001"
MOBILE_B = "+447700900002"
MOBILE_C = "+447700900003"
LANDLINE = "+441632960001"


def aml(lat: float, lon: float, at: datetime, accuracy: float = 10) -> str:
    """A valid AML v1 SMS for a position measured at ``at``."""
    fix = LocationFix(
        source=LocationSource.AML_SMS_V1,
        lat=lat,
        lon=lon,
        accuracy_m=accuracy,
        confidence_pct=68,
        positioned_at=at,
        method=PositioningMethod.GNSS,
    )
    return format_aml_v1(fix)


class Line:
    """A telephony system sending events to the service, with a hand-moved clock."""

    def __init__(self, uow: FakeUnitOfWork, policy: Policy) -> None:
        self.uow, self.policy, self.count = uow, policy, 0
        self.now = T0

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def at(self, seconds: float) -> datetime:
        return T0 + timedelta(seconds=seconds)

    def send(self, event: TelephonyEvent, who: Principal = SYSTEM) -> tuple[int, dict[str, Any]]:
        self.now = max(self.now, event.occurred_at) + timedelta(milliseconds=1)
        return ingest_event(self.factory, who, event, self.now, self.policy)

    def event(self, kind: EventType, seconds: float, **fields: Any) -> TelephonyEvent:
        self.count += 1
        return TelephonyEvent(f"ev-{self.count}", kind, self.at(seconds), **fields)

    def offered(
        self,
        call_id: str,
        seconds: float,
        number: str | None = MOBILE_A,
        channel: Channel = Channel.NINE_NINE_NINE,
        **caller: Any,
    ) -> TelephonyEvent:
        info = CallerInfo(number=number, **caller)
        return self.event(
            EventType.CALL_OFFERED, seconds, call_id=call_id, channel=channel, caller=info
        )

    def call_event(
        self, kind: EventType, call_id: str, seconds: float, number: str = MOBILE_A, **fields: Any
    ) -> TelephonyEvent:
        channel = fields.pop("channel", Channel.NINE_NINE_NINE)
        info = CallerInfo(number=number, landline=fields.pop("landline", False))
        return self.event(kind, seconds, call_id=call_id, channel=channel, caller=info, **fields)

    def sms(self, number: str, text: str, seconds: float) -> TelephonyEvent:
        return self.event(EventType.SMS_RECEIVED, seconds, sender=number, text=text)

    def contact(self, contact_id: str) -> Contact:
        contact = self.uow.store.contacts[contact_id][1]
        return Contact(contact)

    def snapshot(self) -> tuple[Any, ...]:
        store = self.uow.store
        return (dict(store.contacts), len(store.audit), dict(store.processed))


@pytest.fixture
def line(policy: Policy) -> Line:
    uow = FakeUnitOfWork()
    admin = Actor("cli:test", Role.ADMIN)
    accounts.add_user(uow, admin, "handler", Role.CALL_HANDLER, now=T0 - timedelta(days=1))
    return Line(uow, policy)


# --- offers, idempotency ------------------------------------------------------------------------


def test_an_offer_creates_a_contact_with_one_audit_row(line: Line) -> None:
    status, body = line.send(line.offered("PBX-1", 0))
    assert status == 201
    assert body["result"] == "created" and body["state"] == "offered"
    contact = line.contact(body["contact_id"])
    assert contact.channel is Channel.NINE_NINE_NINE and contact.caller.number == MOBILE_A
    assert contact.timestamps.offered == T0
    (row,) = [e for e in line.uow.store.audit if e.subject == f"contact:{contact.id}"]
    assert row.tag == AuditTag.TELEPHONY_OFFERED
    assert row.details["event_id"] == "ev-1" and row.details["call_id"] == "PBX-1"
    assert (row.actor, row.role) == ("telephony", "integration")


def test_an_event_overtaken_at_the_commit_is_applied_again(
    line: Line, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit, tries = line.uow.commit, []

    def overtaken_once() -> None:
        tries.append(1)
        if len(tries) == 1:  # another writer stored the same thing first
            raise ConcurrentWrite("an event was answered by another writer at the same time")
        commit()

    monkeypatch.setattr(line.uow, "commit", overtaken_once)
    status, body = line.send(line.offered("PBX-1", 0))
    assert (status, body["result"], len(tries)) == (201, "created", 2)
    assert len(line.uow.store.contacts) == 1  # the first try left nothing behind


def test_a_replayed_event_changes_nothing_and_answers_the_same(line: Line) -> None:
    event = line.offered("PBX-1", 0)
    first = line.send(event)
    before, commits, published = line.snapshot(), line.uow.commits, len(line.uow.published)
    for _ in range(3):
        assert line.send(event) == first
    assert line.snapshot() == before
    assert (line.uow.commits, len(line.uow.published)) == (commits, published)


def test_the_same_id_for_a_different_event_is_a_conflict(line: Line) -> None:
    event = line.offered("PBX-1", 0)
    line.send(event)
    before = line.snapshot()
    with pytest.raises(Conflict, match="ev-1") as raised:
        line.send(replace(event, call_id="PBX-2"))
    assert raised.value.field == "id"
    assert line.snapshot() == before


def test_a_second_offer_for_a_known_call_is_unchanged(line: Line) -> None:
    _, first = line.send(line.offered("PBX-1", 0))
    status, body = line.send(line.offered("PBX-1", 1))
    assert (status, body["result"], body["contact_id"]) == (200, "unchanged", first["contact_id"])


def test_only_integrations_send_events(line: Line) -> None:
    with pytest.raises(AccessDenied):
        line.send(line.offered("PBX-1", 0), who=HANDLER)
    assert line.uow.store.contacts == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "#bad"}, "id"),
        ({"call_id": "has space"}, "call_id"),
        ({"call_id": None}, "call_id"),
        ({"occurred_at": T0 + timedelta(hours=1)}, "occurred_at"),
        ({"channel": None}, "channel"),
    ],
)
def test_bad_events_are_refused_and_nothing_is_written(
    line: Line, change: dict[str, Any], field: str
) -> None:
    event = replace(line.offered("PBX-1", 0), **change)
    before = line.snapshot()
    with pytest.raises(InvalidInput) as raised:
        ingest_event(line.factory, SYSTEM, event, T0, line.policy)
    assert raised.value.field == field
    assert line.snapshot() == before


def test_a_landline_flag_on_a_mobile_only_channel_is_refused(line: Line) -> None:
    event = line.offered("PBX-1", 0, channel=Channel.EMERGENCY_SMS, landline=True)
    with pytest.raises(InvalidInput, match="not a landline"):
        line.send(event)
    assert line.uow.store.contacts == {}


# --- out of order -------------------------------------------------------------------------------


def test_answered_before_offered_creates_the_contact_and_the_late_offer_changes_nothing(
    line: Line,
) -> None:
    status, body = line.send(line.call_event(EventType.CALL_ANSWERED, "PBX-1", 5, agent="handler"))
    assert (status, body["result"], body["state"]) == (201, "created", "answered")
    contact = line.contact(body["contact_id"])
    assert [entry.action.value for entry in contact.history] == ["offer", "answer"]
    assert contact.history[1].actor == Actor("handler", Role.CALL_HANDLER)
    answer_row = line.uow.store.audit[-1]
    assert (answer_row.actor, answer_row.details["on_behalf_of"]) == ("telephony", "handler")
    status, late = line.send(line.offered("PBX-1", 0))
    assert (status, late["result"], late["contact_id"]) == (200, "unchanged", body["contact_id"])


def test_ended_before_offered_keeps_the_call_as_abandoned(line: Line) -> None:
    status, body = line.send(line.call_event(EventType.CALL_ENDED, "PBX-1", 3))
    assert (status, body["state"]) == (201, "abandoned")
    status, late = line.send(line.call_event(EventType.CALL_ANSWERED, "PBX-1", 2, agent="handler"))
    assert (status, late["result"]) == (200, "unchanged")
    assert "abandoned" in late["message"]


def test_keys_for_an_unknown_call_are_404_and_can_be_sent_again_later(line: Line) -> None:
    dtmf = line.call_event(
        EventType.CALL_DTMF, "PBX-1", 2, digits="55", channel=Channel.SILENT_SOLUTION_55
    )
    before = line.snapshot()
    with pytest.raises(NotFound, match="PBX-1"):
        line.send(dtmf)
    assert line.snapshot() == before
    line.send(line.offered("PBX-1", 0, channel=Channel.SILENT_SOLUTION_55))
    status, body = line.send(dtmf)
    assert (status, body["result"]) == (200, "recorded")
    assert "55" in body["message"]
    row = line.uow.store.audit[-1]
    assert row.tag == "contact:telephony:dtmf"
    assert row.details["silent_solution_55"] is True and row.details["digits"] == "55"


def test_an_answer_needs_a_known_handler(line: Line) -> None:
    line.send(line.offered("PBX-1", 0))
    before = line.snapshot()
    for agent in (None, "nobody"):
        with pytest.raises(InvalidInput) as raised:
            line.send(line.call_event(EventType.CALL_ANSWERED, "PBX-1", 2, agent=agent))
        assert raised.value.field == "agent"
    assert line.snapshot() == before


def test_events_for_a_call_must_agree_on_its_channel(line: Line) -> None:
    line.send(line.offered("PBX-1", 0))
    with pytest.raises(Conflict, match="999"):
        line.send(line.call_event(EventType.CALL_ENDED, "PBX-1", 9, channel=Channel.ONE_ZERO_ONE))


def test_an_end_the_procedure_has_no_move_for_is_acknowledged_unchanged(line: Line) -> None:
    _, body = line.send(line.offered("PBX-1", 0, channel=Channel.ONE_ZERO_ONE))
    from controlroom.domain.contacts import Answer, Assess, LogIncident

    for action in (Answer(), Assess(grade="scheduled", reason="r"), LogIncident(grade="scheduled")):
        do_action(line.factory, HANDLER, body["contact_id"], action, line.at(10), line.policy)
    status, ended = line.send(
        line.call_event(EventType.CALL_ENDED, "PBX-1", 30, channel=Channel.ONE_ZERO_ONE)
    )
    assert (status, ended["result"], ended["state"]) == (200, "unchanged", "incident_logged")


# --- landline reconnect -------------------------------------------------------------------------


def _hung_up_landline(line: Line) -> str:
    _, body = line.send(line.offered("PBX-1", 0, number=LANDLINE, landline=True))
    line.send(line.call_event(EventType.CALL_ANSWERED, "PBX-1", 2, LANDLINE, agent="handler"))
    _, ended = line.send(line.call_event(EventType.CALL_ENDED, "PBX-1", 60, LANDLINE))
    assert ended["state"] == "hung_up"
    return str(body["contact_id"])


@pytest.mark.parametrize("gap", [1, 30, 45])
def test_a_new_offer_from_the_landline_within_45_s_rejoins_the_contact(
    line: Line, gap: int
) -> None:
    contact_id = _hung_up_landline(line)
    status, body = line.send(line.offered("PBX-2", 60 + gap, number=LANDLINE, landline=True))
    assert (status, body["result"], body["contact_id"]) == (200, "reconnected", contact_id)
    assert body["state"] == "answered"
    assert line.uow.store.audit[-1].tag == AuditTag.TELEPHONY_RECONNECTED
    # later events on the new call id reach the same contact
    _, ended = line.send(line.call_event(EventType.CALL_ENDED, "PBX-2", 200, LANDLINE))
    assert (ended["contact_id"], ended["state"]) == (contact_id, "hung_up")


def test_a_new_offer_after_45_s_is_a_new_contact(line: Line) -> None:
    contact_id = _hung_up_landline(line)
    status, body = line.send(line.offered("PBX-2", 106, number=LANDLINE, landline=True))
    assert (status, body["result"]) == (201, "created")
    assert body["contact_id"] != contact_id
    assert line.contact(contact_id).state is State.HUNG_UP


def test_a_mobile_offer_from_another_number_never_rejoins(line: Line) -> None:
    contact_id = _hung_up_landline(line)
    _, body = line.send(line.offered("PBX-2", 70, number="+441632960002", landline=True))
    assert body["result"] == "created" and body["contact_id"] != contact_id


def test_call_reconnected_within_45_s_rejoins_and_after_is_refused(line: Line) -> None:
    contact_id = _hung_up_landline(line)
    status, body = line.send(line.call_event(EventType.CALL_RECONNECTED, "PBX-1", 100, LANDLINE))
    assert (status, body["result"], body["state"]) == (200, "reconnected", "answered")
    line.send(line.call_event(EventType.CALL_ENDED, "PBX-1", 120, LANDLINE))
    before = line.snapshot()
    with pytest.raises(PolicyViolation) as raised:
        line.send(line.call_event(EventType.CALL_RECONNECTED, "PBX-1", 166, LANDLINE))
    assert raised.value.paragraph == "PUB.8"
    assert line.snapshot() == before
    assert line.contact(contact_id).state is State.HUNG_UP


def test_a_landline_address_is_stored_as_location_evidence(line: Line) -> None:
    address = Address("1 High Street, Exeter EX1 1AA")
    _, body = line.send(line.offered("PBX-1", 0, number=LANDLINE, landline=True, address=address))
    (evidence,) = contact_evidence(line.contact(body["contact_id"]))
    assert evidence.source is LocationSource.LANDLINE_ADDRESS
    assert getattr(evidence, "text", None) == address.text
    located = Address("2 High Street, Exeter EX1 1AA", 50.7236, -3.5275)
    _, body = line.send(line.offered("PBX-2", 9, number=MOBILE_B, landline=True, address=located))
    (fix,) = contact_evidence(line.contact(body["contact_id"]))
    assert isinstance(fix, LocationFix) and (fix.lat, fix.lon) == (50.7236, -3.5275)


# --- AML ----------------------------------------------------------------------------------------


def _fixes(line: Line, contact_id: str) -> list[tuple[float, float]]:
    return [
        (item.lat, item.lon)
        for item in contact_evidence(line.contact(contact_id))
        if isinstance(item, LocationFix)
    ]


def test_an_aml_sms_during_the_call_attaches_to_it(line: Line) -> None:
    _, body = line.send(line.offered("PBX-1", 0))
    status, answer = line.send(line.sms(MOBILE_A, aml(50.1, -4.1, line.at(15)), 18))
    assert (status, answer["result"], answer["contact_id"]) == (200, "attached", body["contact_id"])
    assert _fixes(line, body["contact_id"]) == [(50.1, -4.1)]
    row = line.uow.store.audit[-1]
    assert row.tag == AuditTag.TELEPHONY_LOCATION
    assert row.details["match"] == "during_call" and row.details["event_id"] == answer["event_id"]


def test_an_aml_sms_before_its_call_waits_and_attaches_when_the_call_comes(line: Line) -> None:
    status, pending = line.send(line.sms(MOBILE_A, aml(50.2, -4.2, line.at(-5)), -2))
    assert (status, pending["result"], pending["contact_id"]) == (202, "pending", None)
    assert line.uow.store.contacts == {}
    _, body = line.send(line.offered("PBX-1", 0))
    assert _fixes(line, body["contact_id"]) == [(50.2, -4.2)]
    assert line.uow.store.audit[-1].details["match"] == "pending"
    # a later contact from the same number does not get it again
    line.send(line.call_event(EventType.CALL_ENDED, "PBX-1", 10))
    _, again = line.send(line.offered("PBX-2", 40))
    assert _fixes(line, again["contact_id"]) == []


def test_a_pending_aml_older_than_the_window_is_not_attached(line: Line) -> None:
    line.send(line.sms(MOBILE_A, aml(50.2, -4.2, line.at(-95)), -90))
    _, body = line.send(line.offered("PBX-1", 0))
    assert _fixes(line, body["contact_id"]) == []


def test_the_pending_window_is_configurable(line: Line) -> None:
    line.send(line.sms(MOBILE_A, aml(50.2, -4.2, line.at(-95)), -90))
    event = line.offered("PBX-1", 0)
    windows = MatchWindows(pending=timedelta(seconds=120))
    _, body = ingest_event(line.factory, SYSTEM, event, line.at(1), line.policy, windows=windows)
    assert _fixes(line, body["contact_id"]) == [(50.2, -4.2)]


def test_a_late_aml_attaches_to_the_contact_that_ended_within_the_hour(line: Line) -> None:
    _, body = line.send(line.offered("PBX-1", 0))
    line.send(line.call_event(EventType.CALL_ENDED, "PBX-1", 30))
    status, late = line.send(line.sms(MOBILE_A, aml(50.3, -4.3, line.at(1700)), 1800))
    assert (status, late["result"], late["state"]) == (200, "attached", "abandoned")
    assert line.uow.store.audit[-1].details["match"] == "after_call"
    status, too_late = line.send(line.sms(MOBILE_A, aml(50.4, -4.4, line.at(7000)), 7200))
    assert (status, too_late["result"]) == (202, "pending")
    assert _fixes(line, body["contact_id"]) == [(50.3, -4.3)]


def test_interleaved_aml_from_several_callers_never_crosses_callers(line: Line) -> None:
    at = line.at
    line.send(line.sms(MOBILE_B, aml(52.0, -1.0, at(-4)), -3))  # B early
    _, a = line.send(line.offered("PBX-A", 0, number=MOBILE_A))
    line.send(line.sms(MOBILE_A, aml(51.0, -2.0, at(10)), 11))  # A during
    _, b = line.send(line.offered("PBX-B", 2, number=MOBILE_B))
    line.send(line.sms(MOBILE_C, aml(53.0, -3.0, at(12)), 12))  # C: no call at all
    line.send(line.sms(MOBILE_B, aml(52.1, -1.1, at(20)), 21))  # B during
    line.send(line.sms(MOBILE_A, aml(51.1, -2.1, at(25)), 26))  # A during
    _, hidden = line.send(line.offered("PBX-W", 30, number=None))  # withheld number
    assert _fixes(line, a["contact_id"]) == [(51.0, -2.0), (51.1, -2.1)]
    assert _fixes(line, b["contact_id"]) == [(52.0, -1.0), (52.1, -1.1)]
    assert _fixes(line, hidden["contact_id"]) == []
    for contact_id, number in ((a["contact_id"], MOBILE_A), (b["contact_id"], MOBILE_B)):
        rows = [e for e in line.uow.store.audit if e.tag == AuditTag.TELEPHONY_LOCATION]
        mine = [e for e in rows if e.subject == f"contact:{contact_id}"]
        assert len(mine) == 2 and line.contact(contact_id).caller.number == number


def test_a_bad_aml_is_refused_and_never_replaces_a_good_fix(line: Line) -> None:
    _, body = line.send(line.offered("PBX-1", 0))
    line.send(line.sms(MOBILE_A, aml(50.1, -4.1, line.at(15)), 18))
    good = line.contact(body["contact_id"]).record
    before = line.snapshot()
    truncated = aml(55.0, -3.0, line.at(25))[:-10]
    for text in (truncated, 'A"ML=1;lt=+95.00000;lg=-4.26880;rd=10;ml=40'):
        with pytest.raises(AmlError):
            line.send(line.sms(MOBILE_A, text, 30))
    assert line.snapshot() == before
    assert line.contact(body["contact_id"]).record == good
    details = get_contact(line.factory, HANDLER, body["contact_id"], line.at(40), line.policy)
    assert details.location is not None and details.location.fix is not None
    assert (details.location.fix.lat, details.location.fix.lon) == (50.1, -4.1)


# --- emergencySMS -------------------------------------------------------------------------------


def test_an_emergency_sms_starts_a_conversation_and_later_messages_join_it(line: Line) -> None:
    text = "Help, my ex is outside my house and says he will hurt me"
    status, body = line.send(line.sms(MOBILE_B, text, 0))
    assert (status, body["result"]) == (201, "created")
    contact = line.contact(body["contact_id"])
    assert contact.channel is Channel.EMERGENCY_SMS and contact.record.narrative == text
    offer_row = next(e for e in line.uow.store.audit if e.tag == "contact:telephony:offered")
    assert offer_row.details["triage_route"] == "emergency"
    first_row = line.uow.store.audit[-1]  # the first message is a row of the thread too
    assert (first_row.tag, first_row.details["text"]) == ("contact:telephony:sms_received", text)
    status, second = line.send(line.sms(MOBILE_B, "He is banging on the door now", 60))
    assert (status, second["result"], second["contact_id"]) == (200, "recorded", contact.id)
    assert line.uow.store.audit[-1].tag == "contact:telephony:sms_received"
    details = get_contact(line.factory, HANDLER, contact.id, line.at(70), line.policy)
    assert [e.details["text"] for e in details.telephony] == [text, "He is banging on the door now"]


def test_an_sms_that_is_neither_aml_nor_emergency_sms_is_refused(line: Line) -> None:
    event = replace(line.sms(MOBILE_B, "hello", 0), channel=Channel.ONE_ZERO_ONE)
    with pytest.raises(InvalidInput, match="emergencySMS"):
        line.send(event)
    assert line.uow.store.contacts == {}
