"""Getting a process ready to serve: triage is warm before the first contact."""

from __future__ import annotations

from controlroom.services.triage import attach_semantic_layer
from controlroom.web.serving import warm_up
from tests.services.test_triage_service import FakeLayer, fresh_policy


def test_warming_up_builds_the_semantic_layer_before_the_first_contact() -> None:
    policy, layer, built = fresh_policy(), FakeLayer(), []

    def make() -> FakeLayer:
        built.append(1)
        return layer

    attach_semantic_layer(policy, make)
    warm_up(policy)
    assert built == [1]
    assert layer.asked == []  # built, not yet asked: the warm-up text is an emergency
