"""The ladder's safeguards, table-driven: which flags block a letter or a PECS request (and what
a supervisor's override changes), and the new evidence each rung needs since the last."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from controlroom.domain.contacts import Actor
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.nuisance import (
    DEFAULT_LADDER,
    Approve,
    Assess,
    CallSummary,
    CaseAction,
    Confidence,
    DocumentKind,
    Ladder,
    LadderRules,
    NuisanceCase,
    NuisanceKind,
    OutcomeKind,
    OverrideVulnerability,
    Propose,
    Record,
)
from controlroom.domain.nuisance.case import CaseCommand
from controlroom.domain.policy import Policy, VulnerabilityFlag
from tests.domain.nuisance.helpers import HANDLER, NOW, NUMBER, OTHER_SUPERVISOR, SUPERVISOR, SYSTEM

FAULTY, VULNERABLE, MISUSE = (
    NuisanceKind.FAULTY_DEVICE,
    NuisanceKind.VULNERABLE_PERSON,
    NuisanceKind.DELIBERATE_MISUSE,
)
M = VulnerabilityFlag
NO_WAIT = {"min_calls_between_steps": 0, "min_hours_between_steps": 0}


def ladder(**rules: object) -> Ladder:
    return Ladder(DEFAULT_LADDER.steps, rules=LadderRules(**rules))  # type: ignore[arg-type]


def call(n: int, at: datetime, outcome: OutcomeKind = OutcomeKind.SILENT) -> CallSummary:
    return CallSummary(f"C-{n}", at, outcome, number=NUMBER, silent=outcome is OutcomeKind.SILENT)


@dataclass
class Case:
    """A case with advice recorded, a clock moving a minute per command, and the calls."""

    policy: Policy
    ladder: Ladder
    now: datetime = NOW
    calls: list[CallSummary] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.case = NuisanceCase.open(
            case_id="N-1", actor=HANDLER, now=NOW, policy=self.policy, reason="calls", number=NUMBER
        )[0]
        self.do(Record("advice", "advised"))

    def do(self, command: CaseCommand, actor: Actor = HANDLER) -> None:
        self.now += timedelta(minutes=1)
        self.case.apply(
            command,
            actor=actor,
            now=self.now,
            policy=self.policy,
            ladder=self.ladder,
            calls=self.calls,
        )

    def refusal(self, command: CaseCommand, actor: Actor = HANDLER) -> str | None:
        before = self.case.record
        try:
            self.do(command, actor)
        except PolicyViolation as exc:
            assert self.case.record == before, "a refused move changes nothing"
            return exc.message
        return None

    def letter(self) -> None:
        """Take the warning letter: proposed, approved, recorded."""
        self.do(Propose("warning_letter", "calls continue"))
        self.do(Approve("agreed"), SUPERVISOR)
        self.do(Record("warning_letter", "posted"))


# -- flags --------------------------------------------------------------------------------------

FLAG_ROWS = [
    # (id, assessment, ladder rules, refusal expected: words it holds, or None)
    ("no flag", None, {}, None),
    ("misuse only", Assess(frozenset({MISUSE})), {}, None),
    (
        "faulty high",
        Assess(frozenset({FAULTY}), faulty_confidence=Confidence.HIGH),
        {},
        "faulty device (high confidence)",
    ),
    (
        "faulty low, any confidence blocks",
        Assess(frozenset({FAULTY}), faulty_confidence=Confidence.LOW),
        {},
        "faulty device (low confidence)",
    ),
    (
        "faulty low under a medium threshold",
        Assess(frozenset({FAULTY}), faulty_confidence=Confidence.LOW),
        {"faulty_min_confidence": Confidence.MEDIUM},
        None,
    ),
    (
        "faulty, confidence not known, counts as high",
        Assess(frozenset({FAULTY})),
        {"faulty_min_confidence": Confidence.HIGH},
        "faulty device (confidence not known)",
    ),
    (
        "mental health",
        Assess(frozenset({VULNERABLE}), markers=frozenset({M.MENTAL_HEALTH})),
        {},
        "vulnerable person (mental health)",
    ),
    (
        "child",
        Assess(frozenset({VULNERABLE}), markers=frozenset({M.CHILD})),
        {},
        "vulnerable person (child)",
    ),
    (
        "older person",
        Assess(frozenset({VULNERABLE}), markers=frozenset({M.OLDER_PERSON})),
        {},
        "vulnerable person (older person)",
    ),
    (
        "markers not known",
        Assess(frozenset({VULNERABLE})),
        {},
        "vulnerable person (markers not known)",
    ),
    (
        "a marker the force does not list",
        Assess(frozenset({VULNERABLE}), markers=frozenset({M.DOMESTIC_ABUSE})),
        {},
        None,
    ),
    (
        "a marker the force adds",
        Assess(frozenset({VULNERABLE}), markers=frozenset({M.DISTRESS_OR_TRAUMA})),
        {"vulnerable_markers": frozenset({M.DISTRESS_OR_TRAUMA})},
        "vulnerable person (distress or trauma)",
    ),
    (
        "both",
        Assess(
            frozenset({FAULTY, VULNERABLE}),
            faulty_confidence=Confidence.HIGH,
            markers=frozenset({M.MENTAL_HEALTH}),
        ),
        {},
        "vulnerable person (mental health) and faulty device (high confidence)",
    ),
    (
        "a force that blocks nothing",
        Assess(frozenset({FAULTY, VULNERABLE}), faulty_confidence=Confidence.HIGH),
        {"blocking_flags": frozenset()},
        None,
    ),
    (
        "letters not guarded",
        Assess(frozenset({FAULTY}), faulty_confidence=Confidence.HIGH),
        {"guarded_documents": frozenset({DocumentKind.PECS_REQUEST})},
        None,
    ),
]


@pytest.mark.parametrize(
    ("assessment", "rules", "expected"),
    [row[1:] for row in FLAG_ROWS],
    ids=[row[0] for row in FLAG_ROWS],
)
def test_which_flags_block_a_warning_letter(
    policy: Policy, assessment: Assess | None, rules: dict[str, object], expected: str | None
) -> None:
    case = Case(policy, ladder(**rules))
    if assessment is not None:
        case.do(assessment, SYSTEM)
    refusal = case.refusal(Propose("warning_letter", "calls continue"))
    if expected is None:
        assert refusal is None
    else:
        assert refusal is not None
        assert expected in refusal
        assert "rule nuisance.safeguards.blocking_flags" in refusal
        assert "missing: a supervisor's override with a reason" in refusal


@pytest.mark.parametrize("step", ["propose", "approve", "record"])
def test_a_flag_is_checked_at_each_stage_and_an_override_lifts_it(
    policy: Policy, step: str
) -> None:
    case = Case(policy, ladder(**NO_WAIT))
    faulty = Assess(frozenset({FAULTY}), faulty_confidence=Confidence.HIGH)
    if step != "propose":
        case.do(Propose("warning_letter", "calls continue"))
    if step == "record":
        case.do(Approve("agreed"), SUPERVISOR)
    case.do(faulty, SYSTEM)  # the flag arrives at this stage
    command: CaseCommand = {
        "propose": Propose("warning_letter", "calls continue"),
        "approve": Approve("agreed"),
        "record": Record("warning_letter", "posted"),
    }[step]
    actor = OTHER_SUPERVISOR if step == "approve" else HANDLER
    assert "faulty device" in (case.refusal(command, actor) or "")
    assert case.refusal(OverrideVulnerability("provider checked the handset"), HANDLER)
    case.do(OverrideVulnerability("provider checked the handset: it works"), SUPERVISOR)
    assert case.refusal(command, actor) is None
    details = case.case.record.history[-1].details
    assert details["override"] == "sup-1: provider checked the handset: it works"


def test_a_flag_after_the_override_blocks_again(policy: Policy) -> None:
    case = Case(policy, ladder(**NO_WAIT))
    case.do(Assess(frozenset({VULNERABLE}), markers=frozenset({M.CHILD})), SYSTEM)
    case.do(OverrideVulnerability("a parent asked us to write"), SUPERVISOR)
    case.do(Assess(frozenset({VULNERABLE}), markers=frozenset({M.CHILD})), SYSTEM)
    assert "vulnerable person (child)" in (case.refusal(Propose("warning_letter", "x")) or "")


def test_there_is_nothing_to_override_without_a_blocking_flag(policy: Policy) -> None:
    case = Case(policy, ladder(faulty_min_confidence=Confidence.HIGH))
    case.do(Assess(frozenset({FAULTY}), faulty_confidence=Confidence.LOW), SYSTEM)
    refusal = case.refusal(OverrideVulnerability("just in case"), SUPERVISOR)
    assert refusal is not None and "no flag to override" in refusal


# -- new evidence between rungs ----------------------------------------------------------------

HOUR = timedelta(hours=1)
EVIDENCE_ROWS = [
    # (id, calls after the letter (hours after it), hours waited, rules, missing: words or None)
    ("nothing new, at once", [], 0, {}, ["1 more call", "(0 of 1)", "168 hours"]),
    ("a call and a week", [2], 168, {}, None),
    ("a call, not long enough", [2], 167, {}, ["168 hours"]),
    ("a week, no call", [], 200, {}, ["1 more call"]),
    ("a genuine emergency does not count", ["emergency"], 200, {}, ["1 more call"]),
    ("a call before the letter does not count", [-1], 200, {}, ["1 more call"]),
    (
        "two needed, one came",
        [3],
        30,
        {"min_calls_between_steps": 2, "min_hours_between_steps": 24},
        ["1 more call", "(1 of 2)"],
    ),
    ("a force that does not wait", [], 0, NO_WAIT, None),
]


@pytest.mark.parametrize(
    ("after", "hours", "rules", "missing"),
    [row[1:] for row in EVIDENCE_ROWS],
    ids=[row[0] for row in EVIDENCE_ROWS],
)
def test_each_rung_needs_new_evidence_since_the_last(
    policy: Policy,
    after: list[int | str],
    hours: int,
    rules: dict[str, object],
    missing: list[str] | None,
) -> None:
    case = Case(policy, ladder(**rules))
    case.calls.append(call(0, NOW - HOUR))
    case.letter()
    recorded = case.now
    for n, offset in enumerate(after, start=1):
        if offset == "emergency":
            case.calls.append(call(n, recorded + HOUR, OutcomeKind.EMERGENCY))
        else:
            assert isinstance(offset, int)
            case.calls.append(call(n, recorded + offset * HOUR))
    case.now = recorded + hours * HOUR - timedelta(minutes=1)  # do() adds the minute
    refusal = case.refusal(Propose("pecs_request", "calls continue after the letter"))
    if missing is None:
        assert refusal is None
        return
    assert refusal is not None
    assert "needs new evidence since Warning letter was recorded" in refusal
    assert "min_calls_between_steps / min_hours_between_steps" in refusal
    for words in missing:
        assert words in refusal


def test_advice_at_a_call_is_never_held_back(policy: Policy) -> None:
    case = Case(policy, ladder())
    case.letter()
    assert case.refusal(Record("advice", "advised again")) is None


def test_controls_show_each_rung_and_why_it_is_refused(policy: Policy) -> None:
    case = Case(policy, ladder())
    case.do(Assess(frozenset({FAULTY}), faulty_confidence=Confidence.HIGH), SYSTEM)
    options = {
        o.step.id: o
        for o in case.case.step_options(case.ladder, actor=HANDLER, now=case.now, calls=[])
    }
    assert options["advice"].allowed and options["advice"].action is CaseAction.RECORD
    letter = options["warning_letter"]
    assert letter.action is CaseAction.PROPOSE and not letter.allowed
    assert "faulty device (high confidence)" in (letter.refusal or "")
    assert "override" in (letter.hint or "")
    assert "comes after Warning letter" in (options["pecs_request"].refusal or "")
    assert [s.id for s in case.case.next_steps(case.ladder, now=case.now)] == ["advice"]


def test_the_rules_are_checked() -> None:
    with pytest.raises(InvalidInput, match="min_hours_between_steps"):
        LadderRules(min_hours_between_steps=-1)
    with pytest.raises(InvalidInput, match="blocking_flags"):
        LadderRules(blocking_flags=frozenset({"faulty"}))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="misuse is what the ladder is for"):
        LadderRules(blocking_flags=frozenset({MISUSE}))
    with pytest.raises(InvalidInput, match="faulty_min_confidence"):
        LadderRules(faulty_min_confidence="high")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="ladder's rules"):
        Ladder(DEFAULT_LADDER.steps, rules={})  # type: ignore[arg-type]
