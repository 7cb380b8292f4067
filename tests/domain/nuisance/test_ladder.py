"""The escalation ladder: every move of the table, roles, approvals, the vulnerable-person
safeguard and its override, number changes, withheld and international numbers."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from controlroom.domain.contacts import Actor, Role
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.nuisance import (
    DEFAULT_LADDER,
    MOVES,
    ROLES,
    Approval,
    Approve,
    Assess,
    CaseAction,
    CaseState,
    Close,
    DocumentKind,
    GenerateDocument,
    Identifier,
    Ladder,
    LadderRules,
    LadderStep,
    LinkIdentifier,
    NuisanceCase,
    NuisanceKind,
    NuisanceTag,
    OverrideVulnerability,
    Propose,
    Record,
    Reject,
    Reopen,
)
from controlroom.domain.nuisance.case import CaseCommand
from controlroom.domain.policy import Policy
from tests.domain.nuisance.helpers import (
    ADMIN,
    AUDITOR,
    FOREIGN,
    HANDLER,
    IMEI,
    NEW_NUMBER,
    NOW,
    NUMBER,
    OTHER_SUPERVISOR,
    SUPERVISOR,
    SYSTEM,
)

# These tests cover the table, roles, approvals and the disconnection safeguard; the flag and
# new-evidence rules of the ladder are covered in test_ladder_safeguards.py.
LADDER = Ladder(
    DEFAULT_LADDER.steps,
    rules=LadderRules(
        blocking_flags=frozenset(), min_calls_between_steps=0, min_hours_between_steps=0
    ),
)
VULNERABLE = Assess(frozenset({NuisanceKind.VULNERABLE_PERSON}), ("marked mental health",))
DELIBERATE = Assess(frozenset({NuisanceKind.DELIBERATE_MISUSE}), ("3 terminated calls",))


class Driver:
    """A case and a clock: ``do`` applies a command a minute later than the one before."""

    def __init__(self, policy: Policy, *, number: str | None = NUMBER, imei: str | None = None):
        self.policy = policy
        self.now = NOW
        self.case, self.opened = NuisanceCase.open(
            case_id="N-1",
            actor=HANDLER,
            now=self.now,
            policy=policy,
            reason="repeated silent calls",
            number=number,
            imei=imei,
        )

    def do(self, command: CaseCommand, actor: Actor = HANDLER, ladder: Ladder = LADDER) -> dict:
        self.now += timedelta(minutes=1)
        [event] = self.case.apply(
            command, actor=actor, now=self.now, policy=self.policy, ladder=ladder
        )
        assert event.case_id == "N-1"
        return dict(event.details)

    def refused(
        self, command: CaseCommand, actor: Actor = HANDLER, ladder: Ladder = LADDER
    ) -> PolicyViolation:
        before = self.case.record
        with pytest.raises(PolicyViolation) as caught:
            self.do(command, actor, ladder)
        assert self.case.record == before, "a refused move changes nothing"
        return caught.value

    def take(self, step: str, approver: Actor = SUPERVISOR) -> None:
        """Take ``step``: proposed and approved when it needs it, then recorded."""
        if LADDER.step(step).needs_approval:
            self.do(Propose(step, f"{step} is next"))
            self.do(Approve("agreed"), approver)
        self.do(Record(step, f"{step} done"))


def at(policy: Policy, state: CaseState) -> Driver:
    """A case with advice taken, brought to ``state``."""
    driver = Driver(policy)
    driver.take("advice")
    if state in (CaseState.PROPOSED, CaseState.APPROVED):
        driver.do(Propose("warning_letter", "calls continue after advice"))
    if state is CaseState.APPROVED:
        driver.do(Approve("agreed"), SUPERVISOR)
    if state is CaseState.CLOSED:
        driver.do(Close("calls stopped"))
    assert driver.case.state is state
    return driver


SAMPLES: dict[CaseAction, tuple[CaseCommand, Actor]] = {
    CaseAction.ASSESS: (DELIBERATE, SYSTEM),
    CaseAction.PROPOSE: (Propose("warning_letter", "calls continue"), HANDLER),
    CaseAction.APPROVE: (Approve("agreed"), SUPERVISOR),
    CaseAction.REJECT: (Reject("not enough evidence yet"), SUPERVISOR),
    CaseAction.OVERRIDE_VULNERABILITY: (OverrideVulnerability("carer confirms"), SUPERVISOR),
    CaseAction.LINK_IDENTIFIER: (
        LinkIdentifier(Identifier.of_number(NEW_NUMBER), "new SIM"),
        HANDLER,
    ),
    CaseAction.GENERATE_DOCUMENT: (
        GenerateDocument(DocumentKind.SAFEGUARDING_REFERRAL, "SR-1"),
        HANDLER,
    ),
    CaseAction.CLOSE: (Close("calls stopped"), HANDLER),
    CaseAction.REOPEN: (Reopen("calls started again"), HANDLER),
}


def _record_sample(state: CaseState) -> CaseCommand:
    return Record("warning_letter" if state is CaseState.APPROVED else "advice", "done")


PAIRS = [(s, a) for s, a in itertools.product(CaseState, CaseAction) if a is not CaseAction.OPEN]


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s.value}-{a.value}" for s, a in PAIRS])
def test_every_pair_of_the_table(policy: Policy, state: CaseState, action: CaseAction) -> None:
    driver = at(policy, state)
    if action is CaseAction.RECORD:
        command, actor = _record_sample(state), HANDLER
    else:
        command, actor = SAMPLES[action]
    if action is CaseAction.OVERRIDE_VULNERABILITY and (state, CaseAction.ASSESS) in MOVES:
        driver.do(VULNERABLE)
    if (state, action) in MOVES:
        driver.do(command, actor)
        assert driver.case.state is MOVES[(state, action)]
        last = driver.case.record.history[-1]
        assert (last.action, last.from_state, last.to_state) == (action, state, driver.case.state)
    else:
        error = driver.refused(command, actor)
        assert error.paragraph == "4.12.6"
        assert f"while the case is {state.value}" in error.message
        assert "allowed now" in (error.hint or "")


@pytest.mark.parametrize(
    ("action", "role"),
    [
        (action, role)
        for action in CaseAction
        if action is not CaseAction.OPEN
        for role in Role
        if role not in ROLES[action]
    ],
)
def test_roles_that_may_not_act(policy: Policy, action: CaseAction, role: Role) -> None:
    state = {
        CaseAction.APPROVE: CaseState.PROPOSED,
        CaseAction.REJECT: CaseState.PROPOSED,
        CaseAction.REOPEN: CaseState.CLOSED,
    }.get(action, CaseState.OPEN)
    driver = at(policy, state)
    command = _record_sample(state) if action is CaseAction.RECORD else SAMPLES[action][0]
    error = driver.refused(command, Actor("someone", role))
    assert f"a {role.value} may not {action.value}" in error.message


def test_only_handlers_and_supervisors_open_cases(policy: Policy) -> None:
    for actor in (AUDITOR, ADMIN, SYSTEM):
        with pytest.raises(PolicyViolation, match="may not open"):
            NuisanceCase.open(
                case_id="N-9", actor=actor, now=NOW, policy=policy, reason="x", number=NUMBER
            )


def test_the_whole_ladder_with_approvals(policy: Policy) -> None:
    driver = Driver(policy)
    assert [e.tag for e in driver.opened] == [NuisanceTag.CASE_OPEN]
    driver.do(DELIBERATE, SYSTEM)
    driver.take("advice")
    details = driver.do(Propose("warning_letter", "persisting after advice"))
    assert details["step"] == "warning_letter"
    driver.do(Approve("agreed"), SUPERVISOR)
    pending = driver.case.record.pending
    assert pending is not None and pending.approved_by == SUPERVISOR
    driver.do(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1"))
    driver.do(Record("warning_letter", "posted first class"))
    driver.take("pecs_request", OTHER_SUPERVISOR)
    driver.take("prosecution_file")
    steps = driver.case.record.steps
    assert [s.step for s in steps] == [
        "advice",
        "warning_letter",
        "pecs_request",
        "prosecution_file",
    ]
    assert steps[0].approved_by is None
    assert steps[2].approved_by == OTHER_SUPERVISOR and steps[2].proposed_by == HANDLER
    tags = [entry.action for entry in driver.case.record.history]
    assert tags.count(CaseAction.APPROVE) == 3
    assert driver.case.next_steps(LADDER) == list(LADDER.steps)  # any rung may be repeated


def test_a_supervisor_cannot_approve_their_own_proposal(policy: Policy) -> None:
    driver = at(policy, CaseState.OPEN)
    driver.do(Propose("warning_letter", "persisting"), SUPERVISOR)
    error = driver.refused(Approve(), SUPERVISOR)
    assert "cannot also approve" in error.message
    driver.do(Approve(), OTHER_SUPERVISOR)


def test_steps_go_in_order(policy: Policy) -> None:
    driver = Driver(policy)
    error = driver.refused(Propose("pecs_request", "straight to disconnection"))
    assert "comes after Advice at the call" in error.message
    assert "next: advice" in (error.hint or "")
    driver.take("advice")
    error = driver.refused(Propose("prosecution_file", "skip ahead"))
    assert error.paragraph == "PUB.11"  # the prosecution step rests on the misuse paragraph
    assert "comes after Warning letter" in error.message


def test_approval_is_needed_where_the_ladder_says(policy: Policy) -> None:
    driver = at(policy, CaseState.OPEN)
    error = driver.refused(Record("warning_letter", "sent"))
    assert "needs a supervisor's approval" in error.message
    error = driver.refused(Propose("advice", "again"))
    assert "needs no approval" in error.message
    driver.do(Propose("warning_letter", "persisting"))
    driver.do(Approve(), SUPERVISOR)
    error = driver.refused(Record("advice", "wrong one"))
    assert "the approved step is warning_letter" in error.message


def test_reject_returns_the_case_to_open(policy: Policy) -> None:
    driver = at(policy, CaseState.PROPOSED)
    details = driver.do(Reject("one more call is not enough"), SUPERVISOR)
    assert details == {"step": "warning_letter", "reason": "one more call is not enough"}
    assert driver.case.state is CaseState.OPEN and driver.case.record.pending is None
    with pytest.raises(InvalidInput):
        Reject("  ")


def test_unknown_step_is_invalid_input(policy: Policy) -> None:
    driver = at(policy, CaseState.OPEN)
    with pytest.raises(InvalidInput, match="no step 'caution'"):
        driver.do(Propose("caution", "x"))


# --- the safeguard ----------------------------------------------------------------------------


def _to_pecs(policy: Policy) -> Driver:
    driver = Driver(policy)
    driver.take("advice")
    driver.take("warning_letter")
    return driver


def test_no_disconnection_request_for_a_vulnerable_caller(policy: Policy) -> None:
    driver = _to_pecs(policy)
    driver.do(VULNERABLE, SYSTEM)
    error = driver.refused(Propose("pecs_request", "calls continue"))
    assert error.paragraph == "4.12.6"
    assert "flagged as a vulnerable person" in error.message
    assert "safeguarding referral" in (error.hint or "")
    # the ladder stops below the disconnection step: nothing above it can be reached either
    assert [s.id for s in driver.case.next_steps(LADDER)] == ["advice", "warning_letter"]
    # a safeguarding referral can always be produced
    driver.do(GenerateDocument(DocumentKind.SAFEGUARDING_REFERRAL, "SR-1"))


def test_only_a_supervisor_overrides_and_with_a_reason(policy: Policy) -> None:
    driver = _to_pecs(policy)
    driver.do(VULNERABLE, SYSTEM)
    driver.refused(OverrideVulnerability("I think it is fine"), HANDLER)
    with pytest.raises(InvalidInput):
        OverrideVulnerability("")
    details = driver.do(
        OverrideVulnerability("mental health team say calls are deliberate"), SUPERVISOR
    )
    assert details["reason"] == "mental health team say calls are deliberate"
    assert driver.case.record.history[-1].action is CaseAction.OVERRIDE_VULNERABILITY
    details = driver.do(Propose("pecs_request", "calls continue"))
    assert details["override"] == "sup-1: mental health team say calls are deliberate"
    driver.do(Approve(), OTHER_SUPERVISOR)
    driver.do(GenerateDocument(DocumentKind.PECS_REQUEST, "PECS-1"))
    driver.do(Record("pecs_request", "sent to the provider"))


def test_a_flag_after_the_override_blocks_again(policy: Policy) -> None:
    driver = _to_pecs(policy)
    driver.do(VULNERABLE, SYSTEM)
    driver.do(OverrideVulnerability("reviewed"), SUPERVISOR)
    driver.do(Propose("pecs_request", "calls continue"))
    driver.do(VULNERABLE, SYSTEM)  # new markers on a later call
    error = driver.refused(Approve(), OTHER_SUPERVISOR)
    assert "vulnerable" in error.message
    driver.refused(GenerateDocument(DocumentKind.PECS_REQUEST, "PECS-1"))
    driver.do(OverrideVulnerability("reviewed the new call too"), SUPERVISOR)
    driver.do(Approve(), OTHER_SUPERVISOR)
    driver.do(VULNERABLE, SYSTEM)
    driver.refused(Record("pecs_request", "sent"))


def test_there_must_be_a_flag_to_override(policy: Policy) -> None:
    driver = at(policy, CaseState.OPEN)
    error = driver.refused(OverrideVulnerability("just in case"), SUPERVISOR)
    assert "no flag to override" in error.message


def test_other_steps_are_not_blocked_by_the_vulnerable_flag(policy: Policy) -> None:
    driver = Driver(policy)
    driver.do(VULNERABLE, SYSTEM)
    driver.take("advice")
    driver.take("warning_letter")


def test_every_disconnecting_step_is_safeguarded(policy: Policy) -> None:
    ladder = Ladder(
        (
            LadderStep("advice", "Advice"),
            LadderStep("block", "Block the line", approval=Approval.SUPERVISOR, disconnects=True),
        )
    )
    driver = Driver(policy)
    driver.do(VULNERABLE, SYSTEM, ladder)
    driver.do(Record("advice", "advised"), HANDLER, ladder)
    driver.refused(Propose("block", "calls continue"), HANDLER, ladder)


# --- identifiers ------------------------------------------------------------------------------


def test_a_withheld_number_cannot_open_a_case(policy: Policy) -> None:
    for number in (None, "", "  "):
        with pytest.raises(InvalidInput) as caught:
            NuisanceCase.open(
                case_id="N-2", actor=HANDLER, now=NOW, policy=policy, reason="x", number=number
            )
        assert caught.value.field == "number"
        assert "withheld" in caught.value.message
        assert "IMEI" in (caught.value.hint or "")


def test_a_case_by_imei_only_and_its_disconnection_note(policy: Policy) -> None:
    driver = Driver(policy, number=None, imei=IMEI)
    assert driver.case.record.number is None and driver.case.record.imei == IMEI
    driver.take("advice")
    driver.take("warning_letter")
    details = driver.do(Propose("pecs_request", "calls continue"))
    assert "only on the handset identity (IMEI 356708041746734)" in details["note"]


def test_an_international_number_is_accepted_with_a_note(policy: Policy) -> None:
    driver = Driver(policy, number=FOREIGN)
    driver.take("advice")
    driver.take("warning_letter")
    details = driver.do(Propose("pecs_request", "calls continue"))
    assert "not a UK (+44) number" in details["note"]
    assert "outside the UK PECS arrangements" in details["note"]


def test_a_uk_number_has_no_note(policy: Policy) -> None:
    driver = _to_pecs(policy)
    assert "note" not in driver.do(Propose("pecs_request", "calls continue"))


@pytest.mark.parametrize("number", ["07700900123", "+44 7700 900123", "+0441234", "4477009001234"])
def test_malformed_numbers_are_refused(policy: Policy, number: str) -> None:
    with pytest.raises(InvalidInput):
        NuisanceCase.open(
            case_id="N-3", actor=HANDLER, now=NOW, policy=policy, reason="x", number=number
        )


def test_a_number_change_is_linked_and_the_history_kept(policy: Policy) -> None:
    driver = Driver(policy)
    driver.take("advice")
    driver.take("warning_letter")
    details = driver.do(LinkIdentifier(Identifier.of_number(NEW_NUMBER), "caller's new SIM"))
    assert details["previous"] == NUMBER
    assert details["identifier"] == NEW_NUMBER
    record = driver.case.record
    assert record.number == NEW_NUMBER
    assert [i.identifier.value for i in record.identifiers] == [NUMBER, NEW_NUMBER]
    assert [s.step for s in record.steps] == ["advice", "warning_letter"]
    driver.do(Propose("pecs_request", "calls continue from the new number"))  # not back to advice
    driver.do(LinkIdentifier(Identifier.of_imei(IMEI), "AML gave the handset"))
    assert driver.case.record.imei == IMEI
    error = driver.refused(LinkIdentifier(Identifier.of_number(NUMBER), "again"))
    assert "already linked" in error.message


def test_identifiers_are_checked() -> None:
    with pytest.raises(InvalidInput):
        Identifier.of_imei("1234")
    with pytest.raises(InvalidInput):
        Identifier.of_number("not a number")
    assert Identifier.of_number(FOREIGN).international
    assert not Identifier.of_number(NUMBER).international
    assert not Identifier.of_imei(IMEI).international
    assert str(Identifier.of_imei(IMEI)) == f"IMEI {IMEI}"


# --- documents --------------------------------------------------------------------------------


def test_documents_follow_approval(policy: Policy) -> None:
    driver = at(policy, CaseState.OPEN)
    error = driver.refused(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1"))
    assert "only once Warning letter is approved" in error.message
    driver.do(Propose("warning_letter", "persisting"))
    driver.refused(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1"))
    driver.do(Approve(), SUPERVISOR)
    details = driver.do(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1"))
    assert details == {"document": "warning_letter", "reference": "WL-1", "step": "warning_letter"}
    driver.do(Record("warning_letter", "posted"))
    driver.do(Close("calls stopped"))
    driver.do(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1 copy"))  # a copy of one sent
    issued = driver.case.record.documents
    assert [(d.document, d.reference) for d in issued] == [
        (DocumentKind.WARNING_LETTER, "WL-1"),
        (DocumentKind.WARNING_LETTER, "WL-1 copy"),
    ]
    driver.refused(GenerateDocument(DocumentKind.PECS_REQUEST, "PECS-1"))


def test_a_document_the_ladder_does_not_produce_is_refused(policy: Policy) -> None:
    ladder = Ladder((LadderStep("advice", "Advice"),))
    driver = Driver(policy)
    error = driver.refused(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1"), HANDLER, ladder)
    assert "no step producing a warning_letter" in error.message


def test_a_letter_without_approval_when_the_ladder_says_so(policy: Policy) -> None:
    ladder = Ladder(
        (
            LadderStep("advice", "Advice"),
            LadderStep("letter", "Letter", document=DocumentKind.WARNING_LETTER),
        )
    )
    driver = Driver(policy)
    driver.refused(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1"), HANDLER, ladder)
    driver.do(Record("advice", "advised"), HANDLER, ladder)
    driver.do(GenerateDocument(DocumentKind.WARNING_LETTER, "WL-1"), HANDLER, ladder)


# --- close, reopen, events --------------------------------------------------------------------


def test_close_drops_a_pending_step_and_reopen_resumes(policy: Policy) -> None:
    driver = at(policy, CaseState.APPROVED)
    details = driver.do(Close("caller moved away"))
    assert details["dropped"] == "warning_letter"
    assert driver.case.record.pending is None
    driver.refused(DELIBERATE, SYSTEM)
    driver.do(Reopen("calls started again"))
    driver.do(Propose("warning_letter", "calls started again"))


def test_events_are_audit_ready(policy: Policy) -> None:
    driver = at(policy, CaseState.OPEN)
    driver.now += timedelta(minutes=1)
    [event] = driver.case.apply(
        Propose("warning_letter", "persisting"),
        actor=HANDLER,
        now=driver.now,
        policy=policy,
        ladder=LADDER,
    )
    assert event.tag is NuisanceTag.CASE_PROPOSE
    assert event.tag.value == "nuisance:case:propose"
    assert event.subject == "nuisance_case:N-1"
    assert event.seq == len(driver.case.record.history)
    audit = event.audit_details()
    assert audit["from_state"] == "open" and audit["to_state"] == "proposed"
    assert audit["text"] == "persisting"
    assert {tag.value.split(":")[1] for tag in NuisanceTag} == {"case", "document"}


def test_bad_calls_are_invalid_input(policy: Policy) -> None:
    driver = at(policy, CaseState.OPEN)
    case = driver.case
    with pytest.raises(InvalidInput):
        case.apply(
            DELIBERATE, actor=HANDLER, now=datetime(2026, 3, 3), policy=policy, ladder=LADDER
        )
    with pytest.raises(InvalidInput):
        case.apply("close", actor=HANDLER, now=NOW, policy=policy, ladder=LADDER)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        NuisanceCase.open(case_id="bad id!", actor=HANDLER, now=NOW, policy=policy, reason="x")
    with pytest.raises(InvalidInput):
        Assess(frozenset())
    with pytest.raises(InvalidInput):
        NuisanceCase("not a record")  # type: ignore[arg-type]


def test_allowed_actions_depend_on_role(policy: Policy) -> None:
    driver = at(policy, CaseState.PROPOSED)
    handler = driver.case.allowed_actions(policy, LADDER, actor=HANDLER)
    supervisor = driver.case.allowed_actions(policy, LADDER, actor=OTHER_SUPERVISOR)
    assert CaseAction.APPROVE not in handler and CaseAction.APPROVE in supervisor
    assert CaseAction.OVERRIDE_VULNERABILITY not in supervisor  # nothing to override
    assert driver.case.allowed_actions(policy, LADDER, actor=AUDITOR) == []


# --- the ladder as data -----------------------------------------------------------------------


def test_ladder_rules() -> None:
    with pytest.raises(InvalidInput, match="needs a supervisor's approval"):
        LadderStep("cut", "Cut off", disconnects=True)
    with pytest.raises(InvalidInput, match="so it disconnects"):
        LadderStep("pecs", "PECS", approval=Approval.SUPERVISOR, document=DocumentKind.PECS_REQUEST)
    with pytest.raises(InvalidInput, match="used twice"):
        Ladder((LadderStep("a", "A"), LadderStep("a", "B")))
    with pytest.raises(InvalidInput, match="at least one step"):
        Ladder(())
    with pytest.raises(InvalidInput, match="not valid"):
        LadderStep("Bad Id", "x")


def test_the_default_ladder_resolves_in_the_shipped_policy(policy: Policy) -> None:
    assert LADDER.check(policy) == []
    odd = Ladder((LadderStep("a", "A", paragraph="no.such.key"),))
    assert odd.check(policy) == [
        "ladder.a.paragraph: 'no.such.key' is neither a citation key nor a paragraph id of the "
        "policy"
    ]
