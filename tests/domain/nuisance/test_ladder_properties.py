"""Property: no sequence of ladder actions produces a letter or a PECS request for a flagged
number without a supervisor's override after the flag, nor a rung without new evidence (calls
and time) since the last one. The oracle reads the case's own history, not its helpers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from controlroom.domain.contacts import Actor
from controlroom.domain.errors import InvalidInput, PolicyViolation
from controlroom.domain.nuisance import (
    DEFAULT_LADDER,
    Approve,
    Assess,
    CallSummary,
    CaseAction,
    CaseEntry,
    Close,
    Confidence,
    GenerateDocument,
    Ladder,
    LadderRules,
    NuisanceCase,
    NuisanceKind,
    OutcomeKind,
    OverrideVulnerability,
    Propose,
    Record,
    Reject,
    Reopen,
)
from controlroom.domain.nuisance.config import DocumentKind
from controlroom.domain.policy import Policy, VulnerabilityFlag
from tests.domain.nuisance.helpers import (
    HANDLER,
    NOW,
    NUMBER,
    OTHER_SUPERVISOR,
    SUPERVISOR,
    SYSTEM,
)

RULES = LadderRules(min_calls_between_steps=2, min_hours_between_steps=48)
LADDER = Ladder(DEFAULT_LADDER.steps, rules=RULES)
STEPS = [step.id for step in LADDER.steps]
ACTORS = [HANDLER, SUPERVISOR, OTHER_SUPERVISOR]

assessments = st.builds(
    lambda kinds, confidence, markers: Assess(
        frozenset(kinds), faulty_confidence=confidence, markers=frozenset(markers)
    ),
    st.sets(st.sampled_from(list(NuisanceKind)), min_size=1),
    st.none() | st.sampled_from(list(Confidence)),
    st.sets(st.sampled_from(list(VulnerabilityFlag)), max_size=2),
)
# a climb: propose (if it needs approval), approve and record a step (None: the next one up)
climbs = st.tuples(
    st.just("climb"), st.none() | st.sampled_from(STEPS), st.sampled_from([HANDLER, SUPERVISOR])
)


def _weighted(*pairs: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each drawn in proportion to its weight."""
    total = sum(weight for weight, _ in pairs)

    def pick(n: int) -> st.SearchStrategy[Any]:
        for weight, strategy in pairs:
            if n < weight:
                return strategy
            n -= weight
        raise AssertionError(n)

    return st.integers(0, total - 1).flatmap(pick)


def _act(command: st.SearchStrategy[Any], actors: list[Actor]) -> st.SearchStrategy[Any]:
    return st.tuples(st.just("act"), command, st.sampled_from(actors))


commands = _weighted(
    (40, climbs),
    # calls from the number (an emergency among them is never new evidence); time passing
    (12, st.tuples(st.just("calls"), st.integers(0, 3), st.booleans())),
    (12, st.tuples(st.just("wait"), st.integers(min_value=1, max_value=120), st.just(None))),
    (5, _act(assessments, [SYSTEM])),
    (5, _act(st.just(OverrideVulnerability("reviewed")), ACTORS)),
    (3, _act(st.builds(Propose, st.sampled_from(STEPS), st.just("next")), ACTORS)),
    (3, _act(st.just(Approve("agreed")), ACTORS)),
    (3, _act(st.just(Reject("not yet")), ACTORS)),
    (3, _act(st.builds(Record, st.sampled_from(STEPS), st.just("done")), ACTORS)),
    (
        3,
        _act(
            st.builds(GenerateDocument, st.sampled_from(list(DocumentKind)), st.just("R")), ACTORS
        ),
    ),
    (1, _act(st.just(Close("quiet")), [HANDLER])),
    (2, _act(st.just(Reopen("again")), [HANDLER])),
)


def _blocks(entry: CaseEntry) -> bool:
    """Whether an assessment entry recorded a flag the rules say blocks letters and requests."""
    kinds = entry.details.get("kinds", "").split(", ")
    if NuisanceKind.VULNERABLE_PERSON.value in kinds:
        markers = {m for m in entry.details.get("markers", "").split(", ") if m}
        if not markers or markers & {m.value for m in RULES.vulnerable_markers}:
            return True
    if NuisanceKind.FAULTY_DEVICE.value in kinds:
        confidence = entry.details.get("faulty_confidence", "not known")
        order = ["low", "medium", "high"]
        threshold = order.index(RULES.faulty_min_confidence.value)
        if confidence == "not known" or order.index(confidence) >= threshold:
            return True
    return False


def _check(history: tuple[CaseEntry, ...], calls: list[CallSummary]) -> None:
    guarded = {s.id for s in LADDER.steps if RULES.guards(s)}
    formal = {s.id for s in LADDER.steps if s.document is not None}
    for i, entry in enumerate(history):
        step = entry.details.get("step", "")
        if entry.action not in (CaseAction.PROPOSE, CaseAction.APPROVE, CaseAction.RECORD):
            continue
        before = history[:i]
        if step in guarded:
            flagged = [e.at for e in before if e.action is CaseAction.ASSESS and _blocks(e)]
            if flagged:
                overrides = [
                    e
                    for e in before
                    if e.action is CaseAction.OVERRIDE_VULNERABILITY and e.at >= max(flagged)
                ]
                assert overrides, f"{step} {entry.action.value} for a flagged number"
                assert all(e.actor.role.value == "supervisor" for e in overrides)
                assert all(e.details["reason"].strip() for e in overrides)
        if step in formal and entry.action in (CaseAction.PROPOSE, CaseAction.RECORD):
            last = [
                e.at
                for e in before
                if e.action is CaseAction.RECORD and e.details.get("step") in formal
            ]
            if last:
                since = max(last)
                new = [
                    c
                    for c in calls
                    if since < c.offered_at <= entry.at and c.outcome is not OutcomeKind.EMERGENCY
                ]
                assert len(new) >= RULES.min_calls_between_steps, f"{step} without new calls"
                assert entry.at - since >= timedelta(hours=RULES.min_hours_between_steps)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(commands, min_size=8, max_size=50))
def test_no_letter_or_request_without_override_or_new_evidence(
    policy: Policy, script: list[tuple[str, Any, Any]]
) -> None:
    case = NuisanceCase.open(
        case_id="N-p", actor=HANDLER, now=NOW, policy=policy, reason="calls", number=NUMBER
    )[0]
    now: datetime = NOW
    calls: list[CallSummary] = []
    for kind, value, actor in script:
        now += timedelta(minutes=1)
        if kind == "calls":
            outcomes = [OutcomeKind.SILENT] * value + [OutcomeKind.EMERGENCY] * bool(actor)
            for outcome in outcomes:
                calls.append(CallSummary(f"C-{len(calls)}", now, outcome, number=NUMBER))
                now += timedelta(minutes=1)
            continue
        if kind == "wait":
            now += timedelta(hours=value)
            continue
        steps: list[tuple[Any, Actor]] = [(value, actor)]
        if kind == "climb":
            if value is None:
                top = max((STEPS.index(t.step) for t in case.record.steps), default=-1)
                value = STEPS[min(top + 1, len(STEPS) - 1)]
            steps = [(Record(value, "done"), actor)]
            if LADDER.step(value).needs_approval:
                steps = [
                    (Propose(value, "next"), actor),
                    (Approve("ok"), OTHER_SUPERVISOR),
                    (Record(value, "done"), actor),
                ]
        for command, who in steps:
            before = case.record
            try:
                case.apply(command, actor=who, now=now, policy=policy, ladder=LADDER, calls=calls)
            except (PolicyViolation, InvalidInput):
                assert case.record == before
            now += timedelta(minutes=1)
    taken = {step.step for step in case.record.steps}
    event(f"highest step taken: {max((STEPS.index(s) for s in taken), default=-1)}")
    _check(case.record.history, calls)


def test_the_oracle_catches_a_ladder_without_its_safeguards(policy: Policy) -> None:
    """The same check fails on a ladder whose rules block nothing and never wait."""
    bare = Ladder(
        DEFAULT_LADDER.steps,
        rules=LadderRules(
            blocking_flags=frozenset(), min_calls_between_steps=0, min_hours_between_steps=0
        ),
    )
    case = NuisanceCase.open(
        case_id="N-o", actor=HANDLER, now=NOW, policy=policy, reason="calls", number=NUMBER
    )[0]
    script: list[tuple[Any, Actor]] = [
        (
            Assess(frozenset({NuisanceKind.FAULTY_DEVICE}), faulty_confidence=Confidence.HIGH),
            SYSTEM,
        ),
        (Record("advice", "advised"), HANDLER),
        (Propose("warning_letter", "next"), HANDLER),
        (Approve("agreed"), SUPERVISOR),
        (Record("warning_letter", "posted"), HANDLER),
    ]
    now = NOW
    for command, actor in script:
        now += timedelta(minutes=1)
        case.apply(command, actor=actor, now=now, policy=policy, ladder=bare)
    try:
        _check(case.record.history, [])
    except AssertionError as exc:
        assert "for a flagged number" in str(exc)
    else:
        raise AssertionError("the oracle missed a letter for a flagged number")


def test_the_oracle_catches_a_rung_without_new_evidence(policy: Policy) -> None:
    """And it fails on a PECS request proposed a minute after the letter, with no call."""
    bare = Ladder(
        DEFAULT_LADDER.steps,
        rules=LadderRules(min_calls_between_steps=0, min_hours_between_steps=48),
    )
    case = NuisanceCase.open(
        case_id="N-e", actor=HANDLER, now=NOW, policy=policy, reason="calls", number=NUMBER
    )[0]
    script: list[tuple[Any, Actor]] = [
        (Record("advice", "advised"), HANDLER),
        (Propose("warning_letter", "next"), HANDLER),
        (Approve("agreed"), SUPERVISOR),
        (Record("warning_letter", "posted"), HANDLER),
    ]
    now = NOW
    for command, actor in script:
        now += timedelta(minutes=1)
        case.apply(command, actor=actor, now=now, policy=policy, ladder=bare)
    now += timedelta(hours=RULES.min_hours_between_steps)
    case.apply(Propose("pecs_request", "next"), actor=HANDLER, now=now, policy=policy, ladder=bare)
    try:
        _check(case.record.history, [])
    except AssertionError as exc:
        assert "without new calls" in str(exc)
    else:
        raise AssertionError("the oracle missed a rung without new calls")
