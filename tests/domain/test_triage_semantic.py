"""Triage's semantic layer as a rule of the domain: given the bank's nearest texts, it raises
to an emergency or chooses a route where the rules were silent, never lowers, and yields to the
rules' words of time, denial and override. The nearest texts are made here, not by a model."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.exemplars import (
    ExemplarBank,
    Neighbour,
    Situation,
    Thresholds,
    validate_bank,
)
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import Channel, Confidence, ReasonKind, make_contact_text, triage
from controlroom.domain.triage.semantic import Nearest, refine

POLICY = load_policy("dcp-p-042")

WEAPON = Situation(
    "weapon-threat", "emergency.danger-to-life", Route.EMERGENCY, None, ("he has a knife",)
)
FIRE = Situation("fire-danger", "emergency.danger-to-life", Route.EMERGENCY, "fire-999", ("x",))
NOISE = Situation("noise", "guidance.not-police", Route.OTHER_AGENCY, "council", ("loud music",))
THEFT = Situation("theft-past", "guidance.report", Route.POLICE_NON_EMERGENCY, None, ("stolen",))
FOOD = Situation("food", "inappropriate.definition", Route.NOT_POLICE, None, ("cold chips",))
BANK = ExemplarBank("test bank", (WEAPON, FIRE, NOISE, THEFT, FOOD), Thresholds())


def nearest(**scores: float) -> Nearest:
    """Three neighbours per route at the given similarity: ``emergency=0.7`` and so on."""
    situations = {
        Route.EMERGENCY: WEAPON,
        Route.POLICE_NON_EMERGENCY: THEFT,
        Route.OTHER_AGENCY: NOISE,
        Route.NOT_POLICE: FOOD,
    }
    found: dict[Route, list[Neighbour]] = {}
    for route, situation in situations.items():
        score = scores.get(route.value, 0.1)
        found[route] = [Neighbour(situation, f"{situation.id} {i}", score) for i in range(3)]
    return found


def decide(text: str, found: Nearest, channel: Channel = Channel.NINE_NINE_NINE):
    contact = make_contact_text(text, channel, max_chars=10_000)
    return triage(contact, POLICY), refine(triage(contact, POLICY), contact, POLICY, BANK, found)


def test_close_to_an_emergency_situation_raises_and_says_why() -> None:
    before, after = decide("the fella from upstairs is out on the landing", nearest(emergency=0.7))
    assert before.route is not Route.EMERGENCY
    assert after.route is Route.EMERGENCY
    assert after.grade == "immediate"
    semantic = [r for r in after.reasons if r.kind is ReasonKind.SEMANTIC]
    assert semantic and semantic[0].paragraph == "4.11.1(a)"
    assert semantic[0].rule == "exemplar:weapon-threat"
    assert "weapon-threat 0" in semantic[0].explanation and "(0.70)" in semantic[0].explanation
    assert not any(r.rule == "inappropriate-999" for r in after.reasons)
    assert after.thrive.threat.level.value == "high"


def test_an_emergency_reported_online_is_flagged_to_escalate() -> None:
    _, after = decide("he is out on the landing", nearest(emergency=0.7), Channel.LIVE_CHAT)
    assert after.route is Route.EMERGENCY
    assert any(r.rule == "emergency-on-non-emergency-channel" for r in after.reasons)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("yesterday the fella upstairs was out on the landing", "yesterday"),
        ("nobody is hurt, the fella upstairs is out on the landing", "nobody is hurt"),
    ],
)
def test_words_of_the_past_or_an_override_hold_the_layer_back(text: str, words: str) -> None:
    before, after = decide(text, nearest(emergency=0.8))
    assert after.route is before.route
    held = [r for r in after.reasons if r.kind is ReasonKind.SEMANTIC]
    assert held and held[0].rule.endswith(":held-back")
    assert words in held[0].explanation and "danger now" in held[0].explanation


def test_not_clearly_closer_to_an_emergency_raises_nothing() -> None:
    before, after = decide(
        "the fella upstairs is on the landing", nearest(emergency=0.7, other_agency=0.69)
    )
    assert after.route is before.route


def test_where_the_rules_are_silent_the_nearest_situation_chooses() -> None:
    before, after = decide(
        "the telly upstairs has been booming since six", nearest(other_agency=0.6)
    )
    assert not any(r.kind is ReasonKind.INDICATOR for r in before.reasons)
    assert after.route is Route.OTHER_AGENCY
    assert after.agency == "council"
    assert not any(r.kind is ReasonKind.DEFAULT for r in after.reasons)
    assert any(r.rule == "exemplar:noise" for r in after.reasons)


def test_too_far_from_anything_stays_as_the_rules_said_with_the_nearest_shown() -> None:
    before, after = decide(
        "the telly upstairs has been booming since six", nearest(other_agency=0.3)
    )
    assert after.route is before.route
    assert any(r.rule == "exemplar:noise:nearest" for r in after.reasons)


def test_an_emergency_decided_by_the_rules_is_left_alone() -> None:
    before, after = decide("someone is breaking into my house right now", nearest(not_police=0.9))
    assert before.route is Route.EMERGENCY
    assert after == before


SCORES = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
TEXTS = st.sampled_from(
    [
        "the fella upstairs is out on the landing",
        "yesterday my bike was stolen",
        "my neighbour is playing loud music",
        "there's a fight outside the pub right now",
        "what time does the chemist open",
        "nobody is hurt but my car was hit",
        "the telly upstairs has been booming",
    ]
)


@settings(max_examples=200, deadline=None)
@given(TEXTS, SCORES, SCORES, SCORES, SCORES)
def test_the_layer_never_lowers_what_the_rules_recognised(
    text: str, e: float, p: float, o: float, n: float
) -> None:
    found = nearest(emergency=e, police_non_emergency=p, other_agency=o, not_police=n)
    before, after = decide(text, found)
    assert after.vulnerability == before.vulnerability
    if before.confidence is not Confidence.UNRECOGNISED:
        assert after.route.rank >= before.route.rank
    elif after.route.rank < before.route.rank:
        # only a situation close enough to count as recognised replaces the rules' fail-safe
        assert after.confidence is Confidence.RECOGNISED
        chosen = [r for r in after.reasons if r.kind is ReasonKind.SEMANTIC]
        assert chosen and not chosen[0].rule.endswith(":nearest")
        assert max(p, o, n) >= BANK.thresholds.recognise_at


def test_an_unrecognised_contact_close_to_nothing_is_left_for_the_handler() -> None:
    before, after = decide(
        "the telly upstairs has been booming since six", nearest(not_police=0.32)
    )
    assert before.confidence is Confidence.UNRECOGNISED
    assert after.route is before.route and after.needs_assessment
    note = next(r for r in after.reasons if r.kind is ReasonKind.SEMANTIC)
    assert "if the answers rule out danger: not a police matter" in note.explanation


def test_a_raised_contact_is_an_emergency_to_confirm_with_the_questions() -> None:
    _, after = decide("the fella from upstairs is out on the landing", nearest(emergency=0.7))
    assert after.route is Route.EMERGENCY
    assert after.needs_assessment and after.confidence is Confidence.WEAK
    assert {q.id for q in after.questions} == {"danger", "now", "offender", "weapon"}


def policy_with(bank: ExemplarBank) -> Policy:
    return replace(POLICY, exemplars=bank)


def test_a_sound_bank_has_no_problems() -> None:
    assert validate_bank(BANK, POLICY) == []
    assert POLICY.exemplars is not None and validate_bank(POLICY.exemplars, POLICY) == []


def test_bank_problems_name_the_situation_and_field() -> None:
    bad = ExemplarBank(
        "bad",
        (
            Situation("a", "no.such.key", Route.EMERGENCY, None, ("x",)),
            Situation("a", "guidance.report", Route.OTHER_AGENCY, None, ("y",)),
            Situation("b", "guidance.report", Route.OTHER_AGENCY, "nobody", ("",)),
        ),
        Thresholds(raise_at=1.5, recognise_at=0.1, route_at=0.4),
    )
    problems = validate_bank(bad, POLICY)
    assert "situations.a.cite: 'no.such.key' is not in the policy's [citations]" in problems
    assert "situations.a: the id is used by more than one situation" in problems
    assert "situations.a.agency: an other_agency situation must name the agency" in problems
    assert "situations.b.agency: 'nobody' is not in [[agencies]]" in problems
    assert "situations.b.texts[0]: empty text" in problems
    assert "thresholds.raise_at: 1.5 is not a similarity from -1 to 1" in problems
    assert "thresholds.recognise_at: must not be below route_at" in problems
    assert any("no situation for the route 'police_non_emergency'" in p for p in problems)


# -- the bank's route model: each route's likelihood ------------------------------------------


def likely(**values: float) -> dict[Route, float]:
    """Likelihoods by route name; the rest share what is left."""
    given_ = {Route(name): value for name, value in values.items()}
    rest = [route for route in Route if route not in given_]
    share = max(0.0, 1.0 - sum(given_.values())) / max(1, len(rest))
    return given_ | dict.fromkeys(rest, share)


def decide_likely(text: str, found: Nearest, chances: dict[Route, float]):
    contact = make_contact_text(text, Channel.NINE_NINE_NINE, max_chars=10_000)
    before = triage(contact, POLICY)
    return before, refine(before, contact, POLICY, BANK, found, chances)


def test_a_likely_emergency_is_raised_though_no_text_is_close() -> None:
    text = "the fella from upstairs is out on the landing"
    before, after = decide_likely(text, nearest(emergency=0.3), likely(emergency=0.9))
    assert before.route is not Route.EMERGENCY
    assert after.route is Route.EMERGENCY and after.confidence is Confidence.WEAK
    reason = next(r for r in after.reasons if r.kind is ReasonKind.SEMANTIC)
    assert "likelihood 0.90" in reason.explanation and "he has a knife" not in reason.rule
    assert "weapon-threat 0" in reason.explanation  # the nearest emergency texts, shown


def test_a_likely_emergency_below_the_threshold_is_not_raised() -> None:
    text = "the fella from upstairs is out on the landing"
    _, after = decide_likely(text, nearest(emergency=0.3), likely(emergency=0.6))
    assert after.route is not Route.EMERGENCY


def test_where_nothing_was_recognised_a_bank_may_raise_at_a_lower_likelihood() -> None:
    leaning = replace(BANK, thresholds=replace(Thresholds(), raise_unrecognised_likelihood=0.5))
    unrecognised = "the fella from upstairs is out on the landing"
    recognised = "my bike was stolen from outside the library"
    for text, raised in ((unrecognised, True), (recognised, False)):
        contact = make_contact_text(text, Channel.NINE_NINE_NINE, max_chars=10_000)
        before = triage(contact, POLICY)
        assert (before.confidence is Confidence.UNRECOGNISED) is raised
        chances = likely(emergency=0.6)
        found = nearest(emergency=0.3)
        after = refine(before, contact, POLICY, leaning, found, chances)
        assert (after.route is Route.EMERGENCY) is raised, text
        # the shipped default: the same threshold everywhere
        assert refine(before, contact, POLICY, BANK, found, chances).route is not Route.EMERGENCY


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("my shed was broken into last week", "last week"),
        ("my neighbour is not being violent, he is just loud", "not"),
    ],
)
def test_words_of_the_past_or_a_denial_hold_back_a_likely_emergency(text: str, words: str) -> None:
    _, after = decide_likely(text, nearest(emergency=0.3), likely(emergency=0.95))
    assert after.route is not Route.EMERGENCY
    assert any(r.rule.endswith(":held-back") for r in after.reasons)


@pytest.mark.parametrize(
    ("text", "raised"),
    [
        # just left the scene is still an emergency (4.11.1(b)): "they've gone" holds nothing back
        ("a man just grabbed my bag and he's run off towards the park", True),
        ("someone has smashed my window just now and they've driven off", True),
        # without words of now, the same override still holds the layer back
        ("someone smashed my window and they've driven off", False),
        # and an override that does not give way holds back whatever the time
        ("a man is shouting in the street right now but nobody is in danger", False),
    ],
)
def test_an_offender_who_has_just_left_does_not_hold_back_a_likely_emergency(
    text: str, raised: bool
) -> None:
    before, after = decide_likely(text, nearest(emergency=0.3), likely(emergency=0.9))
    assert before.route is not Route.EMERGENCY
    assert (after.route is Route.EMERGENCY) is raised, after.summary


def test_where_the_rules_are_silent_the_likeliest_route_chooses() -> None:
    text = "the telly upstairs has been booming since six"
    _, after = decide_likely(
        text, nearest(other_agency=0.3), likely(other_agency=0.6, emergency=0.05)
    )
    assert after.route is Route.OTHER_AGENCY and after.agency == "council"
    assert after.confidence is Confidence.RECOGNISED and not after.needs_assessment
    assert not after.questions
    reason = next(r for r in after.reasons if r.kind is ReasonKind.SEMANTIC)
    assert "likelihood 0.60" in reason.explanation


def test_a_route_chosen_while_an_emergency_is_not_unlikely_keeps_the_questions() -> None:
    text = "the telly upstairs has been booming since six"
    _, after = decide_likely(
        text, nearest(other_agency=0.3), likely(other_agency=0.6, emergency=0.15)
    )
    assert after.route is Route.OTHER_AGENCY and after.agency == "council"
    assert after.confidence is Confidence.WEAK and after.needs_assessment
    assert {q.id for q in after.questions} == {"danger", "now", "offender", "weapon"}
    check = next(r for r in after.reasons if r.kind is ReasonKind.ASSESSMENT)
    assert "not ruled out (likelihood 0.15)" in check.explanation
    assert "rule out danger" in after.summary


@pytest.mark.parametrize(
    "chances",
    [
        # not likely enough
        {"other_agency": 0.28, "emergency": 0.24, "police_non_emergency": 0.24},
        {"other_agency": 0.45, "emergency": 0.40},  # not clearly more likely than an emergency
    ],
)
def test_an_unsure_route_model_leaves_the_contact_to_the_handler(chances: dict[str, float]) -> None:
    text = "the telly upstairs has been booming since six"
    before, after = decide_likely(text, nearest(other_agency=0.6), likely(**chances))
    assert after.route is before.route and after.needs_assessment
    assert any(r.rule.endswith(":nearest") for r in after.reasons)


LIKELIHOODS = st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=4, max_size=4)


@settings(max_examples=200, deadline=None)
@given(TEXTS, SCORES, SCORES, LIKELIHOODS)
def test_the_route_model_never_lowers_what_the_rules_recognised(
    text: str, e: float, o: float, weights: list[float]
) -> None:
    total = sum(weights) or 1.0
    chances = {route: w / total for route, w in zip(Route, weights, strict=True)}
    before, after = decide_likely(text, nearest(emergency=e, other_agency=o), chances)
    if before.confidence is not Confidence.UNRECOGNISED:
        assert after.route.rank >= before.route.rank
    elif after.route.rank < before.route.rank:
        chosen = chances[after.route]
        limits = BANK.thresholds
        assert chosen >= limits.recognise_likelihood
        assert chosen - chances[Route.EMERGENCY] >= limits.lead
        # an emergency not unlikely: the handler still asks the questions
        asked = chances[Route.EMERGENCY] >= limits.ask_likelihood
        assert after.needs_assessment is asked and bool(after.questions) is asked


def test_a_situation_is_named_by_its_title_where_it_has_one() -> None:
    titled = replace(NOISE, title="noise from a neighbour's home")
    found = nearest(other_agency=0.6)
    found[Route.OTHER_AGENCY] = [replace(n, situation=titled) for n in found[Route.OTHER_AGENCY]]
    _, after = decide("the telly upstairs has been booming since six", found)
    reason = next(r for r in after.reasons if r.rule == "exemplar:noise")
    assert "close to noise from a neighbour's home" in after.summary + reason.explanation
    _, untitled = decide("the telly upstairs has been booming since six", nearest(other_agency=0.6))
    assert "noise" in untitled.summary and "neighbour's home" not in untitled.summary
