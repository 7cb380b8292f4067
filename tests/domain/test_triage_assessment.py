"""Fail-safe triage: how sure it is, the emergency questions, and the handler's answers."""

from __future__ import annotations

from typing import Any

import pytest

from controlroom.domain.errors import InvalidInput
from controlroom.domain.guidance import Action, public_guidance
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import (
    Answer,
    Channel,
    Confidence,
    Decision,
    HandlerAnswers,
    ReasonKind,
    make_contact_text,
    parse_answers,
    triage,
)
from controlroom.services.triage import reassess_text

EMERGENCY_LINES = [channel for channel in Channel if channel.is_emergency_line]
UNREADABLE = "Please can someone ring me back about what happened with Gary."


def _decide(
    policy: Policy, text: str, channel: str = "999", answers: HandlerAnswers | None = None
) -> Decision:
    return triage(make_contact_text(text, channel, max_chars=10_000), policy, answers)


@pytest.mark.parametrize("channel", EMERGENCY_LINES, ids=lambda c: c.value)
def test_nothing_recognised_on_an_emergency_line_goes_to_a_person_with_the_questions(
    policy: Policy, channel: Channel
) -> None:
    decision = _decide(policy, UNREADABLE, channel.value)
    assert decision.route is not Route.NOT_POLICE
    assert decision.confidence is Confidence.UNRECOGNISED
    assert decision.needs_assessment
    assert [q.id for q in decision.questions] == ["danger", "now", "offender", "weapon"]
    assert all(q.paragraph in policy.paragraphs for q in decision.questions)
    assert decision.summary.startswith("Needs assessment")
    kinds = {reason.kind for reason in decision.reasons}
    assert ReasonKind.ASSESSMENT in kinds
    # Not told it is an inappropriate 999 call while nobody has assessed it yet.
    assert not any(reason.rule == "inappropriate-999" for reason in decision.reasons)


def test_a_recognised_decision_carries_no_questions(policy: Policy) -> None:
    decision = _decide(policy, "Two men are breaking into the house opposite right now.")
    assert decision.confidence is Confidence.RECOGNISED
    assert not decision.needs_assessment
    assert decision.questions == ()


def test_the_harmless_is_recognised_positively_with_evidence(policy: Policy) -> None:
    decision = _decide(policy, "How do I renew my passport?")
    assert decision.route is Route.NOT_POLICE
    assert decision.confidence is Confidence.RECOGNISED
    indicator = next(r for r in decision.reasons if r.kind is ReasonKind.INDICATOR)
    assert indicator.evidence is not None and "How do I" in indicator.evidence.text


def test_a_sign_of_harm_beside_a_harmless_matter_asks_for_assessment(policy: Policy) -> None:
    plain = _decide(policy, "My pizza order is an hour late.")
    harm = _decide(policy, "My pizza order is an hour late and there is blood on the floor.")
    assert not plain.needs_assessment
    assert harm.needs_assessment
    assert harm.confidence is Confidence.WEAK
    signal = next(r for r in harm.reasons if r.kind is ReasonKind.SIGNAL)
    assert signal.evidence is not None and signal.evidence.text == "blood"


def test_signs_of_harm_alone_are_weak_and_never_not_police(policy: Policy) -> None:
    decision = _decide(policy, "There is blood everywhere.")
    assert decision.confidence is Confidence.WEAK
    assert decision.route.rank >= Route.POLICE_NON_EMERGENCY.rank
    assert decision.needs_assessment


def test_a_denied_sign_is_no_sign(policy: Policy) -> None:
    decision = _decide(policy, "He hasn't got a knife or anything.")
    assert not any(r.kind is ReasonKind.SIGNAL and r.rule == "weapon" for r in decision.reasons)


def test_the_handlers_yes_raises_and_is_cited_as_the_handlers(policy: Policy) -> None:
    answers = HandlerAnswers(weapon=Answer.YES)
    decision = _decide(policy, UNREADABLE, answers=answers)
    assert decision.route is Route.EMERGENCY
    handler = [r for r in decision.reasons if r.kind is ReasonKind.HANDLER]
    assert [r.explanation for r in handler] == ["handler: weapon seen — yes"]
    assert handler[0].paragraph == policy.cite("emergency.danger-to-life")
    assert "handler" in decision.summary


def test_happening_now_raises_a_crime_the_text_reports(policy: Policy) -> None:
    before = _decide(policy, "My bike was stolen from the shed.")
    after = _decide(
        policy, "My bike was stolen from the shed.", answers=HandlerAnswers(now=Answer.YES)
    )
    assert before.route is Route.POLICE_NON_EMERGENCY
    assert after.route is Route.EMERGENCY
    # "now" alone with nothing harmful recognised does not make an emergency.
    neutral = _decide(policy, "How do I renew my passport?", answers=HandlerAnswers(now=Answer.YES))
    assert neutral.route is not Route.EMERGENCY


def test_the_handlers_no_never_lowers_an_emergency_the_caller_describes(policy: Policy) -> None:
    text = "A man is waving a knife at people outside the chip shop."
    answers = HandlerAnswers(Answer.NO, Answer.NO, Answer.NO, Answer.NO)
    decision = _decide(policy, text, answers=answers)
    assert decision.route is Route.EMERGENCY
    assert len([r for r in decision.reasons if r.kind is ReasonKind.HANDLER]) == 4


def test_all_no_after_assessment_closes_an_unrecognised_contact(policy: Policy) -> None:
    answers = HandlerAnswers(Answer.NO, Answer.NO, Answer.NO, Answer.NO)
    decision = _decide(policy, UNREADABLE, answers=answers)
    assert decision.route is Route.NOT_POLICE
    assert not decision.needs_assessment
    kinds = [reason.kind for reason in decision.reasons]
    assert ReasonKind.DEFAULT in kinds and ReasonKind.HANDLER in kinds


def test_some_answers_unknown_keep_the_assessment_open(policy: Policy) -> None:
    decision = _decide(policy, UNREADABLE, answers=HandlerAnswers(danger=Answer.NO))
    assert decision.needs_assessment
    assert decision.route is Route.POLICE_NON_EMERGENCY
    assert [q.id for q in decision.questions] == ["now", "offender", "weapon"]


def test_a_weak_summary_never_says_not_a_police_matter(policy: Policy) -> None:
    decision = _decide(policy, "There is blood everywhere.")
    assert "Not a police matter" not in decision.summary
    assert decision.summary.startswith("Needs assessment")


@pytest.mark.parametrize(
    ("raw", "field"),
    [({"weapons": "yes"}, "answers.weapons"), ({"weapon": "maybe"}, "answers.weapon")],
)
def test_bad_answers_get_a_clear_error(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_answers(raw)
    assert caught.value.field == field
    assert caught.value.hint


def test_the_service_reassesses_with_answers(policy: Policy) -> None:
    decision = reassess_text(UNREADABLE, "999", {"danger": "yes"}, policy)
    assert decision.route is Route.EMERGENCY
    cited = [r["explanation"] for r in decision.to_dict()["reasons"] if r["kind"] == "handler"]
    assert cited == ["handler: someone in danger or injured now — yes"]
    with pytest.raises(InvalidInput):
        reassess_text(UNREADABLE, "999", {"danger": "perhaps"}, policy)


def test_the_public_are_given_the_questions_when_triage_cannot_tell(policy: Policy) -> None:
    decision = _decide(policy, UNREADABLE, "online_report")
    guidance = public_guidance(decision, policy)
    assert guidance.action is Action.REPORT_ONLINE
    assert "call 999 now" in guidance.explanation
    assert "weapon" in guidance.explanation


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("I am 12, home alone and someone is knocking.", "child"),
        ("My ex keeps texting, I'm scared, he says he'll come round tonight.", "domestic_abuse"),
        ("My mum is 85 and not breathing.", "older_person"),
        ("My ex is outside my house banging on the door and won't leave.", "domestic_abuse"),
    ],
)
def test_the_found_by_hand_markers(policy: Policy, text: str, flag: str) -> None:
    assert flag in {f.value for f in _decide(policy, text).vulnerability}


@pytest.mark.parametrize(
    "text",
    [
        "A drunk man asleep on a bench.",
        "I was burgled last week, I have just got back.",
        "A seagull took my sandwich.",
        "A cat is following me.",
    ],
)
def test_the_false_alarms_found_by_hand_are_no_emergency(policy: Policy, text: str) -> None:
    assert _decide(policy, text).route is not Route.EMERGENCY
