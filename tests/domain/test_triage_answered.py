"""Triage re-decided with the handler's answers recorded on a contact (decide_with_answers)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import (
    Answer,
    Channel,
    Confidence,
    Decision,
    HandlerAnswers,
    ReasonKind,
    decide_with_answers,
    make_contact_text,
    triage,
)
from tests.domain.test_triage_properties import texts

YES, NO, UNKNOWN = Answer.YES, Answer.NO, Answer.UNKNOWN
ALL_NO = HandlerAnswers(NO, NO, NO, NO)
UNREADABLE = "Please can someone ring me back about what happened with Gary."
EMERGENCY = "A man is attacking my neighbour with a knife right now."


@cache
def _policy() -> Policy:
    return load_policy("dcp-p-042")


def _rules(text: str, channel: Channel = Channel.NINE_NINE_NINE) -> Decision:
    policy = _policy()
    return triage(make_contact_text(text, channel, max_chars=10_000), policy)


def _raised(decision: Decision) -> Decision:
    """``decision`` as the semantic layer leaves one it raises: an emergency to confirm."""
    policy = _policy()
    default = policy.routes[Route.EMERGENCY]
    return replace(
        decision,
        route=Route.EMERGENCY,
        grade=default.grade,
        agency=default.agency,
        confidence=Confidence.WEAK,
        needs_assessment=True,
        questions=triage(make_contact_text(UNREADABLE, "999", max_chars=999), policy).questions,
    )


def _handler_lines(decision: Decision) -> list[str]:
    return [r.explanation for r in decision.reasons if r.kind is ReasonKind.HANDLER]


@pytest.mark.parametrize(
    ("text", "answers", "route", "cited"),
    [
        (UNREADABLE, HandlerAnswers(weapon=YES), Route.EMERGENCY, ["handler: weapon seen — yes"]),
        (
            UNREADABLE,
            HandlerAnswers(danger=YES, now=NO),
            Route.EMERGENCY,
            [
                "handler: someone in danger or injured now — yes",
                "handler: happening now or about to — no",
            ],
        ),
        (
            UNREADABLE,
            HandlerAnswers(danger=NO),
            Route.POLICE_NON_EMERGENCY,
            ["handler: someone in danger or injured now — no"],
        ),
        (
            UNREADABLE,
            ALL_NO,
            Route.NOT_POLICE,
            [
                "handler: someone in danger or injured now — no",
                "handler: happening now or about to — no",
                "handler: offender there or nearby — no",
                "handler: weapon seen — no",
            ],
        ),
        (
            "",
            HandlerAnswers(danger=YES),
            Route.EMERGENCY,
            ["handler: someone in danger or injured now — yes"],
        ),
        (
            "",
            HandlerAnswers(now=YES),
            Route.POLICE_NON_EMERGENCY,
            ["handler: happening now or about to — yes"],
        ),
        (
            EMERGENCY,
            ALL_NO,
            Route.EMERGENCY,
            [
                "handler: someone in danger or injured now — no",
                "handler: happening now or about to — no",
                "handler: offender there or nearby — no",
                "handler: weapon seen — no",
            ],
        ),
    ],
)
def test_the_answers_are_evidence_cited_as_the_handlers(
    text: str, answers: HandlerAnswers, route: Route, cited: list[str]
) -> None:
    decision = decide_with_answers(text, Channel.NINE_NINE_NINE, answers, _policy())
    assert decision.route is route
    assert sorted(_handler_lines(decision)) == sorted(cited)


def test_a_silent_call_with_no_words_is_decided_on_the_answers_alone() -> None:
    answers = HandlerAnswers(offender=YES)
    decision = decide_with_answers("", Channel.SILENT_SOLUTION_55, answers, _policy())
    assert decision.route is Route.EMERGENCY
    assert (
        decision.summary == "Emergency on the handler's answers: handler: offender there or "
        "nearby — yes."
    )


def test_the_questions_still_to_ask_are_those_not_answered() -> None:
    decision = decide_with_answers(
        UNREADABLE, Channel.NINE_NINE_NINE, HandlerAnswers(danger=NO, weapon=NO), _policy()
    )
    assert decision.needs_assessment
    assert [q.id for q in decision.questions] == ["now", "offender"]


def test_a_raised_emergency_is_kept_unless_every_answer_is_no() -> None:
    before = _raised(_rules(UNREADABLE))
    policy = _policy()
    kept = decide_with_answers(
        UNREADABLE, Channel.NINE_NINE_NINE, HandlerAnswers(now=YES), policy, before
    )
    assert kept.route is Route.EMERGENCY
    assert _handler_lines(kept) == ["handler: happening now or about to — yes"]
    assert [q.id for q in kept.questions] == ["danger", "offender", "weapon"]
    lowered = decide_with_answers(UNREADABLE, Channel.NINE_NINE_NINE, ALL_NO, policy, before)
    assert lowered.route is Route.NOT_POLICE
    assert not lowered.needs_assessment


ANSWER = st.sampled_from(list(Answer))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(texts, ANSWER, ANSWER, ANSWER, ANSWER, st.booleans())
def test_recorded_answers_keep_the_rules_of_reassess(
    text: str, danger: Answer, now: Answer, offender: Answer, weapon: Answer, raise_: bool
) -> None:
    answers = HandlerAnswers(danger, now, offender, weapon)
    rules = _rules(text)
    before = _raised(rules) if raise_ else rules
    after = decide_with_answers(text, Channel.NINE_NINE_NINE, answers, _policy(), before)
    if YES in (danger, now, offender, weapon):  # a yes never lowers the route
        assert after.route.rank >= before.route.rank
    if not answers.all_no:  # only "no" to everything lowers anything
        assert after.route.rank >= before.route.rank
    if rules.route is Route.EMERGENCY:  # never below what the caller's own words describe
        assert after.route is Route.EMERGENCY
    if not raise_:  # on the rules' own decision it is exactly reassess
        assert after == triage(make_contact_text(text, "999", max_chars=10_000), _policy(), answers)
    for question, answer in answers.cited():
        assert any(
            r.rule == f"handler-{question}" and r.explanation.endswith(answer.value)
            for r in after.reasons
        )
