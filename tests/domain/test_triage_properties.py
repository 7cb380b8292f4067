"""Properties triage must keep for any text, checked with generated inputs."""

from __future__ import annotations

from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.errors import InvalidInput
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import (
    Answer,
    Channel,
    Confidence,
    Decision,
    HandlerAnswers,
    ReasonKind,
    make_contact_text,
    triage,
)

FRAGMENTS = [
    "someone is breaking into my car",
    "my bike was stolen",
    "there's a fight outside the pub",
    "a man has a knife",
    "my neighbour is playing loud music",
    "I want a lift home",
    "there's a pothole in the road",
    "my dad has collapsed",
    "kids keep throwing stones at my window",
    "I can smell gas",
    "a car has crashed into a wall",
    "my purse was taken from my bag",
    "what time does the chemist open",
    "I've been scammed online",
    "my husband hit me",
    "yesterday",
    "last week",
    "it keeps happening",
    "I want to report",
    "nobody is hurt",
    "they've gone",
    "my elderly mum",
    "the kids are scared",
    "my ex is outside and won't leave",
    "a man came at me with a screwdriver",
    "our back door has been forced",
    "my toddler fell off the sofa",
    "a seagull took my chips",
    "my pizza is late",
    "how do I renew my passport",
    "please ring me back about Gary",
    "a van is swerving all over the road",
]
# Words that add harm, a weapon, a threat or an intrusion to any account.
HARM = [
    "He has a knife.",
    "She is bleeding badly.",
    "He is hitting her.",
    "Someone is swinging a hammer at people.",
    "There is a lot of blood.",
    "He says he will kill me.",
    "The back door has been forced.",
]
# Words that add "now" or a vulnerable person: they raise what is shown, never the reverse.
RAISERS = ["It is happening right now.", "My 8 year old daughter is with me.", "I'm 84."]
# Neutral words no rule is about, for texts that nothing in the rulebook recognises.
NEUTRAL = ["blue", "quite", "Tuesday", "paper", "window", "seven", "round", "Gary", "the", "with"]
NEGATED = [
    ("There is no knife involved.", "no"),
    ("Nobody is hurt.", "Nobody"),
    ("He doesn't have a weapon.", "n't"),
    ("I'm not reporting a burglary.", "not"),
    ("There was never a fight.", "never"),
    ("They've gone and nobody is hurt.", "nobody"),
    ("It's not an emergency.", "not"),
    ("No one was injured in the crash.", "No one"),
]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def _policy() -> Policy:
    return load_policy("dcp-p-042")


def _decide(text: str, channel: str = "999") -> Decision:
    policy = _policy()
    return triage(make_contact_text(text, channel, max_chars=policy.limits.max_text_chars), policy)


texts = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4).map(
    lambda parts: ". ".join(part[0].upper() + part[1:] for part in parts) + "."
)


@SETTINGS
@given(texts)
def test_adding_right_now_never_lowers_the_route(text: str) -> None:
    before = _decide(text)
    after = _decide(text + " It is happening right now.")
    assert after.route.rank >= before.route.rank


@SETTINGS
@given(texts, st.sampled_from(NEGATED))
def test_an_explicit_negation_is_always_cited(text: str, negated: tuple[str, str]) -> None:
    sentence, word = negated
    full = f"{text} {sentence}"
    offset = len(text) + 1
    decision = _decide(full)
    cited = [
        reason
        for reason in decision.reasons
        if reason.kind in (ReasonKind.NEGATION, ReasonKind.OVERRIDE)
        and reason.evidence is not None
        and reason.evidence.start >= offset
    ]
    assert cited, f"no negation or override cited for {sentence!r}"
    assert any(word.lower() in reason.evidence.text.lower() for reason in cited if reason.evidence)


@SETTINGS
@given(texts, st.sampled_from(["999", "101", "live_chat", "online_report", "bsl_999"]))
def test_every_decision_is_explained_with_exact_evidence(text: str, channel: str) -> None:
    policy = _policy()
    decision = _decide(text, channel)
    assert decision.reasons
    assert decision.grade in policy.grades
    assert decision.agency is None or decision.agency in policy.agencies
    for reason in decision.reasons:
        assert reason.paragraph in policy.paragraphs
        if reason.evidence is not None:
            assert text[reason.evidence.start : reason.evidence.end] == reason.evidence.text


@SETTINGS
@given(texts)
def test_the_same_text_always_gets_the_same_decision(text: str) -> None:
    assert _decide(text) == _decide(text)


@SETTINGS
@given(texts)
def test_an_emergency_route_always_rests_on_an_escalation(text: str) -> None:
    decision = _decide(text)
    escalations = [r for r in decision.reasons if r.kind is ReasonKind.ESCALATION]
    assert (decision.route.value == "emergency") == bool(escalations)


@SETTINGS
@given(texts, st.sampled_from(HARM + RAISERS))
def test_adding_a_weapon_an_injury_or_now_never_lowers_the_route(text: str, harm: str) -> None:
    before = _decide(text)
    after = _decide(f"{text} {harm}")
    assert after.route.rank >= before.route.rank
    assert set(after.vulnerability) >= set(before.vulnerability)
    if harm in HARM:  # a sign of harm is never followed by a confident "not police"
        assert after.route is not Route.NOT_POLICE or after.needs_assessment


EMERGENCY_LINES = [c.value for c in Channel if c.is_emergency_line]


@SETTINGS
@given(
    st.one_of(
        texts,
        st.lists(st.sampled_from(NEUTRAL), min_size=1, max_size=12).map(" ".join),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz ?.,", min_size=1, max_size=80),
    ),
    st.sampled_from(EMERGENCY_LINES),
)
def test_not_a_police_matter_only_on_positive_evidence(text: str, channel: str) -> None:
    """On any line of the 999 service, "not a police matter" is never said merely because no
    rule matched: it rests on a matter recognised in the words, cited with its evidence."""
    try:
        decision = _decide(text, channel)
    except InvalidInput:
        return
    if decision.route is Route.NOT_POLICE:
        assert decision.confidence is not Confidence.UNRECOGNISED
        assert any(
            r.kind is ReasonKind.INDICATOR and r.evidence is not None for r in decision.reasons
        )
    if decision.confidence is not Confidence.RECOGNISED:
        assert decision.needs_assessment and len(decision.questions) == 4


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=400))
def test_any_text_is_either_triaged_or_refused_clearly(text: str) -> None:
    try:
        decision = _decide(text)
    except InvalidInput as error:
        assert error.field == "text"
        assert error.message
        return
    for reason in decision.reasons:
        if reason.evidence is not None:
            assert text[reason.evidence.start : reason.evidence.end] == reason.evidence.text


ANSWER = st.sampled_from(list(Answer))


@SETTINGS
@given(texts, ANSWER, ANSWER, ANSWER, ANSWER)
def test_a_handlers_yes_never_lowers_the_route(
    text: str, danger: Answer, now: Answer, offender: Answer, weapon: Answer
) -> None:
    answers = HandlerAnswers(danger, now, offender, weapon)
    policy = _policy()
    contact = make_contact_text(text, "999", max_chars=policy.limits.max_text_chars)
    before = triage(contact, policy)
    after = triage(contact, policy, answers)
    if Answer.YES in (danger, now, offender, weapon):
        assert after.route.rank >= before.route.rank
    if before.route is Route.EMERGENCY:  # a no never lowers what the caller's words describe
        assert after.route is Route.EMERGENCY
    if danger is Answer.YES:
        assert after.route is Route.EMERGENCY
