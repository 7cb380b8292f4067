"""Caller history and nuisance cases on the in-memory unit of work: access first, every step
audited, the vulnerable-person safeguard, withheld and international numbers, number changes,
documents, the supervisor views, and a genuine repeat caller who is never flagged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from controlroom.domain.access import AccessDenied, Principal
from controlroom.domain.contacts import (
    ActionKind,
    Answer,
    Assess,
    Caller,
    Close,
    Contact,
    FlagVulnerability,
    LogIncident,
    ProcedureName,
    Role,
    State,
)
from controlroom.domain.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from controlroom.domain.nuisance import (
    Approve,
    CallerHistory,
    CaseRecord,
    CaseState,
    DocumentKind,
    Identifier,
    Ladder,
    LadderRules,
    LinkIdentifier,
    NuisanceConfig,
    NuisanceFlag,
    NuisanceKind,
    OverrideVulnerability,
    Propose,
    Record,
)
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.domain.triage import Channel
from controlroom.services import contacts as contacts_service
from controlroom.services import nuisance as service
from controlroom.services import nuisance_views as views
from tests.adapters.db.test_nuisance_repositories import EMERGENCY, TERMINATED, call
from tests.domain.nuisance.helpers import FOREIGN, IMEI, NEW_NUMBER, NOW, NUMBER
from tests.fakes.uow import FakeUnitOfWork

HANDLER = Principal("alice", Role.CALL_HANDLER)
SUPERVISOR = Principal("sam", Role.SUPERVISOR)
OTHER_SUPERVISOR = Principal("sue", Role.SUPERVISOR)
AUDITOR = Principal("audrey", Role.AUDITOR)
# The ladder's flag and new-evidence rules have their own tests (test_ladder_safeguards.py).
RELAXED = LadderRules(
    blocking_flags=frozenset(), min_calls_between_steps=0, min_hours_between_steps=0
)
CONFIG = NuisanceConfig(ladder=Ladder(NuisanceConfig().ladder.steps, RELAXED))
BURGLARY = "Someone is breaking into my house right now, he has a knife"


class FakeRenderer:
    """Remembers what it was asked to render."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def render(
        self,
        kind: DocumentKind,
        fmt: str,
        case: CaseRecord,
        history: CallerHistory,
        *,
        flags: Sequence[NuisanceFlag] = (),
        **rest: Any,
    ) -> bytes:
        self.calls.append({"kind": kind, "fmt": fmt, "case": case, "history": history} | rest)
        return f"{kind.value}.{fmt} for {case.number}".encode()


class Room:
    """The use cases on one fake database; the clock moves a minute per step."""

    def __init__(self, policy: Policy) -> None:
        self.uow, self.policy, self.now = FakeUnitOfWork(), policy, NOW

    def factory(self, *, read_only: bool = False, snapshot: bool = True) -> FakeUnitOfWork:
        return self.uow

    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    def store(self, *contacts: Contact) -> None:
        with self.uow:
            for contact in contacts:
                self.uow.contacts.add(contact)
            self.uow.commit()

    def open(self, number: str | None = NUMBER, imei: str | None = None) -> str:
        view = service.do_open_case(
            self.factory,
            HANDLER,
            number=number,
            imei=imei,
            reason="repeated calls",
            now=self.tick(),
            policy=self.policy,
            config=CONFIG,
        )
        return view.case.id

    def act(self, case_id: str, command: Any, who: Principal = HANDLER) -> service.CaseView:
        return service.do_case_action(
            self.factory, who, case_id, command, self.tick(), self.policy, CONFIG
        )

    def tags(self, case_id: str) -> list[str]:
        return [e.tag for e in self.uow.store.audit if e.subject == f"nuisance_case:{case_id}"]

    def rows(self, case_id: str) -> list[Any]:
        return [e for e in self.uow.store.audit if e.subject == f"nuisance_case:{case_id}"]


@pytest.fixture
def room(policy: Policy) -> Room:
    return Room(policy)


def marked(policy: Policy, cid: str, at: datetime, number: str = NUMBER) -> Contact:
    """A call, still open, on which the handler flagged a mental-health concern."""
    contact = call(policy, cid, at, EMERGENCY, number=number, kinds=(ActionKind.ANSWER,))
    flag = FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH, note="talks of self-harm")
    contact.apply(flag, actor=SUPERVISOR.actor, now=at + timedelta(minutes=1), policy=policy)
    return contact


def test_the_ladder_with_approvals_every_step_audited(room: Room, policy: Policy) -> None:
    room.store(*(call(policy, f"C-{n}", NOW - timedelta(hours=n), TERMINATED) for n in (1, 2, 3)))
    case_id = room.open()
    assert room.tags(case_id) == ["nuisance:case:open", "nuisance:case:assess"]
    assess = room.rows(case_id)[1]
    assert assess.actor == "detection" and "deliberate_misuse" in assess.details["kinds"]
    room.act(case_id, Record("advice", "advised on the call"))
    room.act(case_id, Propose("warning_letter", "three terminated calls this week"))
    with pytest.raises(AccessDenied):
        room.act(case_id, Approve("fine"))  # a call handler may not approve
    with pytest.raises(PolicyViolation, match="not allowed while the case is proposed"):
        room.act(case_id, Propose("warning_letter", "again"), SUPERVISOR)
    view = room.act(case_id, Approve("letter agreed"), SUPERVISOR)
    assert view.case.state is CaseState.APPROVED
    view = room.act(case_id, Record("warning_letter", "letter posted"))
    assert [s.step for s in view.case.steps] == ["advice", "warning_letter"]
    assert view.case.steps[-1].approved_by == SUPERVISOR.actor
    assert room.tags(case_id)[2:] == [
        "nuisance:case:record",
        "nuisance:case:propose",
        "nuisance:case:approve",
        "nuisance:case:record",
    ]
    approve = room.rows(case_id)[4]
    assert (approve.actor, approve.role) == ("sam", "supervisor")
    assert (
        approve.details["from_state"] == "proposed" and approve.details["step"] == "warning_letter"
    )
    assert room.uow.audit.verify().ok


def test_refused_moves_change_nothing(room: Room, policy: Policy) -> None:
    case_id = room.open()
    before = (len(room.uow.store.audit), room.uow.store.cases[case_id])
    with pytest.raises(PolicyViolation) as refused:
        room.act(case_id, Propose("pecs_request", "cut them off"))
    assert refused.value.paragraph == "4.12.6" and "comes after" in refused.value.message
    assert (len(room.uow.store.audit), room.uow.store.cases[case_id]) == before
    with pytest.raises(AccessDenied):
        room.act(case_id, Record("advice", "x"), AUDITOR)
    with pytest.raises(NotFound):
        room.act("N-nope", Record("advice", "x"))


def _to_pecs(room: Room, case_id: str) -> None:
    room.act(case_id, Record("advice", "advised"))
    room.act(case_id, Propose("warning_letter", "calls continue"))
    room.act(case_id, Approve("agreed"), SUPERVISOR)
    room.act(case_id, Record("warning_letter", "posted"))


def test_no_disconnection_of_a_vulnerable_caller_without_an_override(
    room: Room, policy: Policy
) -> None:
    room.store(marked(policy, "C-1", NOW - timedelta(days=2)))
    room.store(marked(policy, "C-2", NOW - timedelta(days=1)))
    case_id = room.open()
    assert NuisanceKind.VULNERABLE_PERSON in room.uow.store.cases[case_id][1].kinds
    _to_pecs(room, case_id)
    with pytest.raises(PolicyViolation, match="vulnerable person") as refused:
        room.act(case_id, Propose("pecs_request", "calls continue after the letter"))
    assert refused.value.paragraph == "4.12.6"
    assert "override_vulnerability" in (refused.value.hint or "")
    with pytest.raises(AccessDenied):
        room.act(case_id, OverrideVulnerability("I say so"))  # handlers may not override
    room.act(case_id, OverrideVulnerability("care team confirm she has support"), SUPERVISOR)
    room.act(case_id, Propose("pecs_request", "calls continue after the letter"), SUPERVISOR)
    # a new call marked vulnerable arrives before the approval: the safeguard blocks again
    room.store(marked(policy, "C-3", room.now))
    room.tick()
    with pytest.raises(PolicyViolation, match="vulnerable person"):
        room.act(case_id, Approve("agreed"), OTHER_SUPERVISOR)
    room.act(case_id, OverrideVulnerability("reviewed the new call with the care team"), SUPERVISOR)
    with pytest.raises(PolicyViolation, match="cannot also approve"):
        room.act(case_id, Approve("agreed"), SUPERVISOR)  # the proposer
    view = room.act(case_id, Approve("agreed"), OTHER_SUPERVISOR)
    assert view.case.state is CaseState.APPROVED
    approve = room.rows(case_id)[-1]
    assert approve.details["override"].startswith("sam: reviewed the new call")


def test_withheld_malformed_and_international_numbers(room: Room, policy: Policy) -> None:
    for text, hint in (
        ("withheld", "IMEI"),
        ("", "IMEI"),
        ("07700 900123", "+447700900123"),
        ("447700900123", "+447700900123"),
        ("0033612345678", "+33612345678"),
        ("call me", "E.164"),
    ):
        with pytest.raises(InvalidInput) as bad:
            service.parse_identifier(text)
        assert hint in (bad.value.hint or ""), text
    with pytest.raises(InvalidInput, match=r"not an E\.164"):
        service.parse_identifier("+44 7700 900 123 4567")
    assert service.parse_identifier("+44 7700 900-123") == Identifier.of_number(NUMBER)
    assert service.parse_identifier(IMEI) == Identifier.of_imei(IMEI)
    with pytest.raises(InvalidInput, match="withheld"):
        room.open(number=None)
    room.store(call(policy, "C-1", NOW - timedelta(hours=1), number=FOREIGN))
    found = service.caller_history(room.factory, HANDLER, FOREIGN, NOW, CONFIG)
    assert found.history.window("last_30_days").calls == 1
    assert any("not a UK (+44) number" in note for note in found.notes)
    case_id = room.open(number=FOREIGN)
    view = service.get_case(room.factory, AUDITOR, case_id, room.tick(), policy, CONFIG)
    assert view.allowed == ()  # an auditor reads, and may do nothing
    by_imei = room.open(number=None, imei=IMEI)
    assert room.uow.store.cases[by_imei][1].number is None


def test_a_withheld_contact_shows_what_it_can(room: Room, policy: Policy) -> None:
    withheld = call(policy, "C-1", NOW - timedelta(minutes=5), number=None)
    found = service.contact_history(room.factory, HANDLER, withheld.record, NOW, CONFIG)
    assert found.identifiers == () and found.history.calls == ()
    assert "withheld" in found.notes[0]
    room.store(call(policy, "C-0", NOW - timedelta(hours=2), number=None, imei=IMEI))
    handset = call(policy, "C-2", NOW - timedelta(minutes=5), number=None, imei=IMEI)
    room.store(handset)
    found = service.contact_history(room.factory, HANDLER, handset.record, NOW, CONFIG)
    assert [c.contact_id for c in found.history.calls] == ["C-0"]  # not the contact itself
    assert any("handset's (IMEI) only" in note for note in found.notes)


def test_a_genuine_emergency_repeat_caller_is_never_flagged(room: Room, policy: Policy) -> None:
    """A victim who rings six times in an evening, each time an incident: no flag."""
    ids = []
    for _ in range(6):
        details = contacts_service.offer_contact(
            room.factory,
            HANDLER,
            channel=Channel.NINE_NINE_NINE,
            caller=Caller(number=NUMBER),
            narrative=BURGLARY,
            now=room.tick(),
            policy=policy,
        )
        contact_id = details.contact.id
        for action in (
            Answer(),
            Assess(grade="immediate"),
            LogIncident(grade="immediate"),
            Close("officers on the way"),
        ):
            contacts_service.do_action(
                room.factory, HANDLER, contact_id, action, room.tick(), policy
            )
        ids.append(contact_id)
        room.now += timedelta(minutes=30)
    # and a silent call in between, cut off while help is on its way
    room.store(call(policy, "C-silent", room.now - timedelta(minutes=20)))
    found = service.caller_history(room.factory, HANDLER, NUMBER, room.tick(), CONFIG)
    assert found.history.today.emergency == 6
    assert found.flags == ()
    assert "6 genuine emergency" in found.history.summary
    contact = room.uow.contacts.get(ids[-1])
    assert contact is not None and contact.state is State.CLOSED
    assert contact.procedure is ProcedureName.EMERGENCY


def test_a_faulty_device_is_flagged_and_the_contact_shows_it(room: Room, policy: Policy) -> None:
    room.store(*(call(policy, f"C-{n}", NOW - timedelta(minutes=30 * n)) for n in range(1, 7)))
    current = call(policy, "C-now", NOW)
    room.store(current)
    found = service.contact_history(room.factory, HANDLER, current.record, NOW, CONFIG)
    assert found.history.window("last_hour").calls == 2  # 30 and 60 minutes before
    assert [flag.kind for flag in found.flags] == [NuisanceKind.FAULTY_DEVICE]
    assert found.flags[0].contact_ids[0] == "C-6"
    flags = service.flags_for(room.factory, AUDITOR, NUMBER, NOW, CONFIG)  # the call included
    assert [flag.kind for flag in flags] == [NuisanceKind.FAULTY_DEVICE]


def test_hoax_markers_are_audited_and_count(room: Room, policy: Policy) -> None:
    room.store(call(policy, "C-1", NOW - timedelta(hours=1), TERMINATED))
    assert service.flags_for(room.factory, HANDLER, NUMBER, NOW, CONFIG) == ()
    marked_call = service.do_mark_call(
        room.factory, HANDLER, "C-1", abusive=None, hoax=True, reason="no fire", now=NOW
    )
    assert marked_call.hoax
    [row] = [e for e in room.uow.store.audit if e.tag == "nuisance:call:mark"]
    assert row.subject == "contact:C-1" and row.details["hoax"] is True
    flags = service.flags_for(room.factory, HANDLER, NUMBER, NOW, CONFIG)
    assert [flag.kind for flag in flags] == [NuisanceKind.DELIBERATE_MISUSE]
    with pytest.raises(NotFound):
        service.do_mark_call(
            room.factory, HANDLER, "C-x", abusive=True, hoax=None, reason="r", now=NOW
        )
    with pytest.raises(InvalidInput):
        service.do_mark_call(
            room.factory, HANDLER, "C-1", abusive=None, hoax=None, reason="r", now=NOW
        )


def test_a_number_change_keeps_the_history_with_the_case(room: Room, policy: Policy) -> None:
    room.store(call(policy, "C-1", NOW - timedelta(hours=2)))
    case_id = room.open()
    other = room.open(number=FOREIGN)
    with pytest.raises(Conflict, match=f"already under nuisance case {case_id}"):
        room.open()
    with pytest.raises(Conflict, match=other):
        room.act(case_id, LinkIdentifier(Identifier.of_number(FOREIGN), "same caller"))
    room.act(case_id, LinkIdentifier(Identifier.of_number(NEW_NUMBER), "new SIM"))
    room.store(call(policy, "C-2", room.tick(), number=NEW_NUMBER))
    found = service.caller_history(room.factory, HANDLER, NEW_NUMBER, room.tick(), CONFIG)
    assert [c.contact_id for c in found.history.calls] == ["C-1", "C-2"]
    assert [case.id for case in found.cases] == [case_id]
    line = views.timeline(room.factory, HANDLER, NEW_NUMBER, room.tick(), CONFIG)
    kinds = [
        (item.call.contact_id if item.call else item.entry.action.value) for item in line.items
    ]
    assert kinds == ["C-1", "open", "link_identifier", "C-2"]


def test_documents_are_audited_and_refused_before_approval(room: Room, policy: Policy) -> None:
    renderer = FakeRenderer()
    case_id = room.open()

    def download(kind: DocumentKind, fmt: str = "pdf") -> service.GeneratedDocument:
        return service.do_generate_document(
            room.factory,
            HANDLER,
            case_id,
            kind,
            fmt,
            now=room.tick(),
            policy=policy,
            config=CONFIG,
            renderer=renderer,
        )

    with pytest.raises(PolicyViolation, match="only once"):
        download(DocumentKind.WARNING_LETTER)
    referral = download(DocumentKind.SAFEGUARDING_REFERRAL, "html")
    assert referral.media_type.startswith("text/html") and referral.filename.endswith("-SR-1.html")
    _to_pecs(room, case_id)
    letter = download(DocumentKind.WARNING_LETTER)
    assert letter.media_type == "application/pdf" and letter.content.endswith(NUMBER.encode())
    assert renderer.calls[-1]["reference"] == letter.reference == f"{case_id}-WL-1"
    rows = [e for e in room.rows(case_id) if e.tag == "nuisance:document:generate"]
    assert [(r.details["document"], r.details["format"]) for r in rows] == [
        ("safeguarding_referral", "html"),
        ("warning_letter", "pdf"),
    ]
    with pytest.raises(InvalidInput, match="format"):
        download(DocumentKind.WARNING_LETTER, "docx")


def test_the_supervisor_views(room: Room, policy: Policy) -> None:
    room.store(*(call(policy, f"C-{n}", NOW - timedelta(minutes=30 * n)) for n in range(1, 7)))
    room.store(call(policy, "C-x", NOW - timedelta(days=3), number=NEW_NUMBER))
    case_id = room.open()
    with pytest.raises(AccessDenied):
        views.flagged_numbers(
            room.factory, HANDLER, window=timedelta(hours=24), now=NOW, config=CONFIG
        )
    flagged = views.flagged_numbers(
        room.factory, SUPERVISOR, window=timedelta(hours=24), now=room.now, config=CONFIG
    )
    assert [item.identifier.value for item in flagged] == [NUMBER]
    assert flagged[0].calls_in_window == 6 and flagged[0].case is not None
    assert [day.calls for day in flagged[0].trend][-1] == 6 and len(flagged[0].trend) == 7
    groups = views.cases_by_kind_and_step(room.factory, SUPERVISOR, CONFIG)
    assert [(g.kind, g.step, [c.id for c in g.cases]) for g in groups] == [
        ("faulty_device", "none", [case_id])
    ]
    room.act(case_id, Record("advice", "advised"))
    room.act(case_id, Propose("warning_letter", "calls continue"))
    [group] = views.cases_by_kind_and_step(room.factory, SUPERVISOR, CONFIG)
    assert (group.step, group.step_name) == ("warning_letter", "Warning letter")
    with pytest.raises(InvalidInput):
        views.flagged_numbers(
            room.factory, SUPERVISOR, window=timedelta(days=90), now=NOW, config=CONFIG
        )


def test_a_force_ladder_and_rules_from_the_config(room: Room, policy: Policy) -> None:
    strict = NuisanceConfig(ladder=Ladder(CONFIG.ladder.steps[:2]))
    room.store(*(call(policy, f"C-{n}", NOW - timedelta(minutes=30 * n)) for n in range(1, 4)))
    case_id = room.open()
    view = service.do_case_action(
        room.factory, HANDLER, case_id, Record("advice", "ok"), room.tick(), policy, strict
    )
    assert [step.id for step in view.next_steps] == ["advice", "warning_letter"]
    assert service.history_window(CONFIG.rules) == timedelta(days=30)
