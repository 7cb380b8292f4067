"""Contact use cases on the in-memory unit of work: access first, one audit row per action,
triage recorded, refusals change nothing; and the demo data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from controlroom.domain.access import AccessDenied, Principal
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import (
    ActionApplied,
    ActionKind,
    AddLocation,
    AddNote,
    AdviceKind,
    Advise,
    Answer,
    ApproveTermination,
    Assess,
    Caller,
    LogIncident,
    RecordConsiderations,
    Role,
    State,
    Terminate,
    Transfer,
    TransferDestination,
    UpdateNarrative,
    Warn,
)
from controlroom.domain.errors import InvalidInput, NotFound, PolicyViolation
from controlroom.domain.location import LocationFix, LocationSource
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.contacts import ContactFilters
from controlroom.services.demo import DEMO_USERS, seed_demo
from controlroom.services.location_matching import evidence_for_fix
from tests.fakes.uow import FakeHasher, FakeUnitOfWork

T0 = datetime(2026, 1, 23, 21, 0, tzinfo=UTC)
HANDLER = Principal("alice", Role.CALL_HANDLER)
SUPERVISOR = Principal("sam", Role.SUPERVISOR)
AUDITOR = Principal("audrey", Role.AUDITOR)
ADMIN = Principal("root", Role.ADMIN)
NOISE = "My neighbour's music is too loud and I can't sleep"
BURGLARY = "Someone is breaking into my house right now, he has a knife"


class Desk:
    """The use cases on one fake database, with a clock moved on by each call."""

    def __init__(self, policy: Policy) -> None:
        self.uow, self.policy, self.now = FakeUnitOfWork(), policy, T0

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def tick(self) -> datetime:
        self.now += timedelta(seconds=10)
        return self.now

    def offer(self, channel: Channel = Channel.NINE_NINE_NINE, narrative: str = "") -> str:
        details = service.offer_contact(
            self.factory,
            HANDLER,
            channel=channel,
            caller=Caller(number="+447700900001"),
            narrative=narrative,
            now=self.tick(),
            policy=self.policy,
        )
        return details.contact.id

    def act(self, contact_id: str, *actions: Any, who: Principal = HANDLER) -> Any:
        details = None
        for action in actions:
            details = service.do_action(
                self.factory, who, contact_id, action, self.tick(), self.policy
            )
        return details

    def rows(self, contact_id: str) -> list[Any]:
        return [e for e in self.uow.store.audit if e.subject == f"contact:{contact_id}"]


@pytest.fixture
def desk(policy: Policy) -> Desk:
    return Desk(policy)


def considerations(*flags: VulnerabilityFlag) -> RecordConsiderations:
    return RecordConsiderations(
        seriousness="noise complaint, nothing in progress",
        condition="caller calm",
        age_vulnerability="adult, nothing apparent",
        serious=False,
        condition_concern=VulnerabilityFlag.MENTAL_HEALTH in flags,
        vulnerable=VulnerabilityFlag.CHILD in flags,
        flags=flags,
    )


def test_each_action_writes_one_audit_row_and_publishes_after_commit(desk: Desk) -> None:
    contact_id = desk.offer()
    details = desk.act(contact_id, Answer())
    assert details.contact.state is State.ANSWERED
    rows = desk.rows(contact_id)
    assert [row.tag for row in rows] == [AuditTag.CONTACT_OFFER, AuditTag.CONTACT_ANSWER]
    details_seen = dict(rows[1].details)
    sealed = details_seen.pop("record_hash")  # the stored record's digest (audit verify)
    assert details_seen == {"seq": 2, "from": "emergency/offered", "to": "emergency/answered"}
    assert sealed == desk.uow.contacts.seal(details.contact) != rows[0].details["record_hash"]
    assert (rows[1].actor, rows[1].role) == ("alice", "call_handler")
    applied = [e for e in desk.uow.published if isinstance(e, ActionApplied)]
    assert [e.action for e in applied] == [ActionKind.OFFER, ActionKind.ANSWER]
    assert desk.uow.audit.verify().ok


def test_a_narrative_is_triaged_and_the_decision_recorded(desk: Desk) -> None:
    contact_id = desk.offer()
    desk.act(contact_id, Answer(), UpdateNarrative(BURGLARY))
    row = desk.rows(contact_id)[-1]
    assert row.tag == AuditTag.CONTACT_UPDATE_NARRATIVE
    assert row.details["triage_route"] == "emergency"
    assert row.details["triage_grade"] == "immediate"
    details = service.get_contact(desk.factory, HANDLER, contact_id, desk.now, desk.policy)
    assert details.suggestion is not None and details.suggestion.route.value == "emergency"


def test_an_initial_narrative_is_triaged_in_the_offer_row(desk: Desk) -> None:
    contact_id = desk.offer(Channel.ONLINE_REPORT, "My bike was stolen from my shed last week")
    assert desk.rows(contact_id)[0].details["triage_route"] == "police_non_emergency"


def test_assess_carries_triages_suggestion_and_a_differing_grade_needs_a_reason(
    desk: Desk,
) -> None:
    contact_id = desk.offer()
    desk.act(contact_id, Answer(), UpdateNarrative(BURGLARY))
    before = len(desk.uow.store.audit)
    with pytest.raises(InvalidInput, match="differs from triage") as raised:
        desk.act(contact_id, Assess(grade="scheduled"))
    assert raised.value.field == "reason"
    assert len(desk.uow.store.audit) == before
    details = desk.act(contact_id, Assess(grade="priority", reason="offender has left"))
    (assessment,) = details.contact.record.triage
    assert assessment.suggestion is not None and assessment.suggestion.grade == "immediate"
    assert desk.rows(contact_id)[-1].details["suggested_grade"] == "immediate"


def test_the_inappropriate_999_flow_ends_terminated(desk: Desk) -> None:
    contact_id = desk.offer()
    desk.act(contact_id, Answer(), UpdateNarrative(NOISE))
    desk.act(contact_id, Assess(grade="resolution_without_deployment", reason="noise only"))
    desk.act(contact_id, considerations())
    details = desk.act(contact_id, Advise(AdviceKind.CALL_101))
    assert [p.script_id for p in details.prompts] == ["advise"]
    desk.act(contact_id, Warn())
    details = desk.act(contact_id, Terminate())
    assert details.contact.state is State.TERMINATED
    tags = [row.tag for row in desk.rows(contact_id)][-3:]
    assert tags == [AuditTag.CONTACT_ADVISE, AuditTag.CONTACT_WARN, AuditTag.CONTACT_TERMINATE]


def test_a_refused_move_names_the_paragraph_and_changes_nothing(desk: Desk) -> None:
    contact_id = desk.offer()
    desk.act(contact_id, Answer())
    before = (dict(desk.uow.store.contacts), len(desk.uow.store.audit), len(desk.uow.published))
    with pytest.raises(PolicyViolation) as raised:
        desk.act(contact_id, Transfer(TransferDestination.POLICE_101))
    assert raised.value.paragraph == "4.12.4"
    after = (dict(desk.uow.store.contacts), len(desk.uow.store.audit), len(desk.uow.published))
    assert after == before


def test_termination_with_a_flag_needs_a_supervisors_approval(desk: Desk) -> None:
    contact_id = desk.offer()
    desk.act(contact_id, Answer(), Assess(grade="scheduled"))
    desk.act(contact_id, considerations(VulnerabilityFlag.MENTAL_HEALTH))
    desk.act(contact_id, Advise(AdviceKind.CALL_101), Warn())
    with pytest.raises(PolicyViolation) as raised:
        desk.act(contact_id, Terminate())
    assert raised.value.paragraph == "4.12.3(b)"
    with pytest.raises(AccessDenied, match="contact:supervise"):
        desk.act(contact_id, ApproveTermination("spoke to her carer"))
    desk.act(contact_id, ApproveTermination("spoke to her carer"), who=SUPERVISOR)
    assert desk.act(contact_id, Terminate()).contact.state is State.TERMINATED


@pytest.mark.parametrize("who", [AUDITOR, ADMIN, Principal("pbx", Role.INTEGRATION)])
def test_only_handlers_act(desk: Desk, who: Principal) -> None:
    contact_id = desk.offer()
    with pytest.raises(AccessDenied):
        desk.act(contact_id, Answer(), who=who)


def test_reading_needs_contact_read(desk: Desk) -> None:
    contact_id = desk.offer()
    details = service.get_contact(desk.factory, AUDITOR, contact_id, desk.now, desk.policy)
    assert details.allowed == ()  # an auditor changes nothing
    assert ActionKind.ANSWER in details.blocked
    handler = service.get_contact(desk.factory, HANDLER, contact_id, desk.now, desk.policy)
    assert ActionKind.ANSWER in handler.allowed
    with pytest.raises(AccessDenied):
        service.get_contact(desk.factory, ADMIN, contact_id, desk.now, desk.policy)
    with pytest.raises(NotFound):
        service.get_contact(desk.factory, HANDLER, "C-nope", desk.now, desk.policy)
    with pytest.raises(NotFound):
        desk.act("C-nope", Answer())


def test_lists_filter_and_page(desk: Desk) -> None:
    ids = [desk.offer() for _ in range(5)]
    online = desk.offer(Channel.ONLINE_REPORT, "a stolen bike")
    desk.act(ids[0], Answer())
    page = service.list_contacts(desk.factory, AUDITOR, ContactFilters(), limit=2, offset=0)
    assert page.total == 6 and [c.id for c in page.items] == [online, ids[4]]
    page = service.list_contacts(desk.factory, HANDLER, ContactFilters(), limit=2, offset=4)
    assert [c.id for c in page.items] == [ids[1], ids[0]]
    only = ContactFilters(channel=Channel.ONLINE_REPORT)
    assert [c.id for c in service.list_contacts(desk.factory, HANDLER, only).items] == [online]
    answered = ContactFilters(state=State.ANSWERED)
    assert service.list_contacts(desk.factory, HANDLER, answered).total == 1
    window = ContactFilters(
        offered_from=T0 + timedelta(seconds=20), offered_to=T0 + timedelta(seconds=40)
    )
    assert service.list_contacts(desk.factory, HANDLER, window).total == 2
    with pytest.raises(InvalidInput):
        service.list_contacts(desk.factory, HANDLER, ContactFilters(), limit=201)
    with pytest.raises(InvalidInput):
        service.list_contacts(desk.factory, HANDLER, ContactFilters(caller_number="07700"))
    with pytest.raises(AccessDenied):
        service.list_contacts(desk.factory, ADMIN, ContactFilters())


def test_location_evidence_added_by_hand_is_mapped(desk: Desk) -> None:
    contact_id = desk.offer()
    fix = LocationFix(source=LocationSource.COORDINATES, lat=50.1, lon=-4.1, accuracy_m=20)
    desk.act(contact_id, AddLocation(evidence_for_fix(fix, desk.now)), AddNote("at the bus stop"))
    collection = service.location_geojson(desk.factory, HANDLER, contact_id, desk.now)
    assert collection["type"] == "FeatureCollection"
    point = collection["features"][0]
    assert point["geometry"] == {"type": "Point", "coordinates": [-4.1, 50.1]}
    assert point["properties"]["chosen"] is True


def test_the_audit_log_is_read_by_auditors_and_admins(desk: Desk) -> None:
    contact_id = desk.offer()
    desk.act(contact_id, Answer())
    for who in (AUDITOR, ADMIN):
        entries = service.read_audit(desk.factory, who, subject=f"contact:{contact_id}")
        assert [e.tag for e in entries] == [AuditTag.CONTACT_OFFER, AuditTag.CONTACT_ANSWER]
    with pytest.raises(AccessDenied):
        service.read_audit(desk.factory, HANDLER, subject=None)
    with pytest.raises(InvalidInput):
        service.read_audit(desk.factory, AUDITOR, subject=None, limit=0)


def test_log_incident_from_the_emergency_path(desk: Desk) -> None:
    contact_id = desk.offer()
    desk.act(contact_id, Answer(), UpdateNarrative(BURGLARY), Assess(grade="immediate"))
    details = desk.act(contact_id, LogIncident(grade="immediate"))
    assert details.contact.state is State.INCIDENT_LOGGED
    assert details.contact.incident is not None and details.contact.incident.grade == "immediate"


# --- demo data ----------------------------------------------------------------------------------


def test_demo_data_is_seeded_once_through_the_services(desk: Desk) -> None:
    seed = seed_demo(desk.factory, desk.policy, FakeHasher(), now=T0)
    assert seed is not None
    assert [name for name, _, _ in seed.users] == [name for name, _, _ in DEMO_USERS]
    assert set(seed.tokens) == {"handler", "supervisor", "auditor", "admin", "telephony"}
    assert len(seed.contacts) >= 12
    states = {state_of(desk, contact_id) for contact_id in seed.contacts}
    assert {"terminated", "incident_logged", "closed", "abandoned", "offered"} <= states
    assert "password" in seed.banner() and seed.tokens["handler"] in seed.banner()
    audit = desk.uow.store.audit
    assert desk.uow.audit.verify().ok
    assert all(row.at <= T0 for row in audit)
    assert seed_demo(desk.factory, desk.policy, FakeHasher(), now=T0) is None
    assert len(desk.uow.store.audit) == len(audit)


def test_demo_data_is_not_seeded_into_a_database_in_use(desk: Desk) -> None:
    desk.offer()
    assert seed_demo(desk.factory, desk.policy, FakeHasher(), now=T0) is None
    assert desk.uow.store.users == {}


def state_of(desk: Desk, contact_id: str) -> str:
    return desk.uow.store.contacts[contact_id][1].state.value
