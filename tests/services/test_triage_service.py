"""The triage use case: the rules, then the semantic layer attached to the policy's bank, built
once on first use, consulted only for contacts the rules did not call an emergency."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.exemplars import ExemplarBank, Neighbour, Situation
from controlroom.domain.policy import Route
from controlroom.domain.triage import Channel, ReasonKind, make_contact_text
from controlroom.domain.triage.semantic import Closeness
from controlroom.services.triage import (
    attach_semantic_layer,
    semantic_layer,
    triage_contacts,
    triage_text,
)

THREAT = Situation("threat", "emergency.danger-to-life", Route.EMERGENCY, None, ("he'll kill me",))
OTHER = {
    Route.POLICE_NON_EMERGENCY: Situation(
        "p", "guidance.report", Route.POLICE_NON_EMERGENCY, None, ("x",)
    ),
    Route.OTHER_AGENCY: Situation(
        "o", "guidance.not-police", Route.OTHER_AGENCY, "council", ("y",)
    ),
    Route.NOT_POLICE: Situation("n", "inappropriate.definition", Route.NOT_POLICE, None, ("z",)),
}


class FakeLayer:
    """Says every text is close to a threat; records what it was asked."""

    def __init__(self) -> None:
        self.asked: list[list[str]] = []

    def closeness(self, texts: Sequence[str]) -> list[Closeness]:
        self.asked.append(list(texts))
        found: dict[Route, list[Neighbour]] = {
            Route.EMERGENCY: [Neighbour(THREAT, "he'll kill me", 0.9)] * 3
        }
        for route, situation in OTHER.items():
            found[route] = [Neighbour(situation, situation.texts[0], 0.1)] * 3
        return [Closeness(found) for _ in texts]


def fresh_policy():
    """A policy object of its own, so its bank has an identity no other test attached to."""
    policy = load_policy("dcp-p-042")
    assert policy.exemplars is not None
    return replace(policy, exemplars=replace(policy.exemplars, name="service test bank"))


def test_without_a_layer_triage_is_the_rules_alone() -> None:
    policy = fresh_policy()
    decision = triage_text("the telly upstairs has been booming since six", "999", policy)
    assert not any(r.kind is ReasonKind.SEMANTIC for r in decision.reasons)


def test_the_layer_is_built_once_and_asked_only_about_what_the_rules_left_open() -> None:
    policy = fresh_policy()
    layer, built = FakeLayer(), []

    def make() -> FakeLayer:
        built.append(1)
        return layer

    attach_semantic_layer(policy, make)
    assert built == []  # not before the first triage
    texts = [
        "someone is breaking into my house right now",  # the rules' emergency
        "the man next door is on the landing again",
        "the telly upstairs has been booming since six",
    ]
    contacts = [make_contact_text(t, Channel.NINE_NINE_NINE, max_chars=1000) for t in texts]
    decisions = triage_contacts(contacts, policy)
    triage_text("and again tonight", "999", policy)
    assert built == [1]
    assert layer.asked == [texts[1:], ["and again tonight"]]
    assert [d.route for d in decisions] == [Route.EMERGENCY] * 3
    assert any(r.rule == "exemplar:threat" for r in decisions[1].reasons)


def test_a_layer_that_cannot_be_built_leaves_the_rules_in_charge() -> None:
    policy = fresh_policy()
    attach_semantic_layer(policy, lambda: None)
    decision = triage_text("the telly upstairs has been booming since six", "999", policy)
    assert semantic_layer(policy) is None
    assert not any(r.kind is ReasonKind.SEMANTIC for r in decision.reasons)


def test_a_bank_keeps_the_first_layer_attached() -> None:
    policy = fresh_policy()
    first, second = FakeLayer(), FakeLayer()
    attach_semantic_layer(policy, lambda: first)
    attach_semantic_layer(policy, lambda: second)
    assert semantic_layer(policy) is first


def test_a_policy_without_a_bank_has_no_layer() -> None:
    policy = replace(fresh_policy(), exemplars=None)
    attach_semantic_layer(policy, FakeLayer)
    assert semantic_layer(policy) is None
    assert isinstance(fresh_policy().exemplars, ExemplarBank)
