"""Table-driven triage cases, one per part of the policy, on both shipped policies."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.policy import Policy
from controlroom.domain.triage import ReasonKind, make_contact_text, triage

CASES: list[dict[str, Any]] = tomllib.loads(
    (Path(__file__).parent / "fixtures" / "triage_cases.toml").read_text()
)["case"]


@cache
def _policy(name: str) -> Policy:
    return load_policy(name)


def _decide(policy: Policy, text: str, channel: str = "999") -> Any:
    return triage(make_contact_text(text, channel, max_chars=10_000), policy)


@pytest.mark.parametrize("policy_name", ["dcp-p-042", "example-shire"])
@pytest.mark.parametrize("case", CASES, ids=[case["text"][:48] for case in CASES])
def test_case(case: dict[str, Any], policy_name: str) -> None:
    policy = _policy(policy_name)
    decision = _decide(policy, case["text"])
    assert decision.route.value == case["route"], decision.summary
    if "cites" in case:
        paragraph = policy.cite(case["cites"])
        cited = {reason.paragraph for reason in decision.reasons}
        assert paragraph in cited, f"{paragraph} not cited: {sorted(cited)}"
    if "agency" in case:
        assert decision.agency == case["agency"]
    if "vulnerability" in case:
        assert case["vulnerability"] in {flag.value for flag in decision.vulnerability}
    if "confidence" in case:
        assert decision.confidence.value == case["confidence"], decision.summary
    if decision.route.value == "not_police":  # never merely because nothing matched
        assert decision.confidence.value != "unrecognised"


def test_every_reason_points_at_real_words_and_paragraphs(policy: Policy) -> None:
    for case in CASES:
        decision = _decide(policy, case["text"])
        assert decision.reasons, case["text"]
        for reason in decision.reasons:
            assert reason.paragraph in policy.paragraphs
            if reason.evidence is not None:
                span = reason.evidence
                assert case["text"][span.start : span.end] == span.text


def test_an_emergency_cites_the_definition_and_what_made_it_one(policy: Policy) -> None:
    decision = _decide(policy, "There's a man in my garden with a machete right now.")
    kinds = {reason.kind for reason in decision.reasons}
    assert {ReasonKind.INDICATOR, ReasonKind.ESCALATION} <= kinds
    escalation = next(r for r in decision.reasons if r.kind is ReasonKind.ESCALATION)
    assert escalation.paragraph == policy.cite("emergency.danger-to-life")
    assert decision.grade == "immediate"
    assert decision.summary.startswith("Emergency")


def test_an_inappropriate_999_call_says_advise_and_never_transfer(policy: Policy) -> None:
    decision = _decide(policy, "Can you tell me what the weather will be tomorrow?", "999")
    channel = [r for r in decision.reasons if r.kind is ReasonKind.CHANNEL]
    assert channel and channel[0].paragraph == policy.cite("inappropriate.definition")
    assert "do not transfer" in channel[0].explanation
    # The same words by live chat are simply not a police matter, with no 999 advice.
    chat = _decide(policy, "Can you tell me what the weather will be tomorrow?", "live_chat")
    assert not [r for r in chat.reasons if r.kind is ReasonKind.CHANNEL]


def test_a_serious_crime_on_999_can_be_logged_at_discretion(policy: Policy) -> None:
    decision = _decide(policy, "My house was burgled while we were away last week.", "999")
    assert decision.route.value == "police_non_emergency"
    logging = [r for r in decision.reasons if r.rule == "discretionary-logging"]
    assert logging and logging[0].paragraph == policy.cite("inappropriate.logging")


def test_an_emergency_in_an_online_report_is_escalated(policy: Policy) -> None:
    decision = _decide(policy, "He is outside my door with a knife right now", "online_report")
    assert decision.route.value == "emergency"
    assert any(r.rule == "emergency-on-non-emergency-channel" for r in decision.reasons)


def test_vulnerability_raises_a_police_grade_but_not_the_route(policy: Policy) -> None:
    plain = _decide(policy, "Someone stole my purse from my bag in town on Saturday.")
    older = _decide(policy, "Someone stole my 84-year-old gran's purse in town on Saturday.")
    assert plain.route == older.route
    assert plain.grade == "scheduled"
    assert older.grade == "priority"
    assert "older_person" in [flag.value for flag in older.vulnerability]
    assert older.thrive.vulnerability.level.value == "medium"


def test_thrive_is_high_for_a_crime_in_progress(policy: Policy) -> None:
    decision = _decide(policy, "Someone is breaking into my car right now.")
    thrive = decision.thrive
    assert thrive.threat.level.value == "high"
    assert thrive.risk.level.value == "high"
    assert thrive.investigation.level.value == "high"
    assert thrive.engagement.level.value == "high"


def test_the_other_policy_cites_its_own_numbering() -> None:
    shire = _policy("example-shire")
    decision = _decide(shire, "There's a man with a gun outside the post office.")
    assert decision.route.value == "emergency"
    assert shire.cite("emergency.danger-to-life") in {r.paragraph for r in decision.reasons}
    assert decision.policy == shire.force.policy_reference


def test_curly_quotes_and_dashes_give_the_same_decision_with_exact_evidence(
    policy: Policy,
) -> None:
    plain = _decide(policy, "They've got a knife - he's threatening people")
    curly = _decide(policy, "They\u2019ve got a knife \u2014 he\u2019s threatening people")
    assert plain.route == curly.route
    for reason in curly.reasons:
        if reason.evidence is not None:
            text = "They\u2019ve got a knife \u2014 he\u2019s threatening people"
            assert text[reason.evidence.start : reason.evidence.end] == reason.evidence.text


def test_text_whose_lower_case_changes_length_is_still_read(policy: Policy) -> None:
    # "İ" lower-cases to two characters; the reader falls back without losing offsets.
    text = "İstanbul kebab shop: a man is waving a knife at the staff right now"
    decision = _decide(policy, text)
    assert decision.route.value == "emergency"
    for reason in decision.reasons:
        if reason.evidence is not None:
            assert text[reason.evidence.start : reason.evidence.end] == reason.evidence.text
