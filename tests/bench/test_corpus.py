"""The benchmark corpus: deterministic, valid and varied enough to reach every route."""

from __future__ import annotations

from collections import Counter

from bench.corpus import generate, long_text

from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import make_contact_text, parse_channel, triage


def test_same_seed_same_texts_and_other_seed_other_texts() -> None:
    assert generate(200, seed=3) == generate(200, seed=3)
    assert generate(200, seed=3) != generate(200, seed=4)
    assert long_text(4096, seed=2) == long_text(4096, seed=2)


def test_gives_the_count_asked_for() -> None:
    assert len(generate(0, seed=1)) == 0
    assert len(generate(1, seed=1)) == 1
    assert len(generate(257, seed=1)) == 257


def test_every_route_reached_and_every_text_accepted(policy: Policy) -> None:
    contacts = generate(400, seed=1)
    routes: Counter[Route] = Counter()
    for text, channel in contacts:
        parse_channel(channel)
        contact = make_contact_text(text, channel, max_chars=policy.limits.max_text_chars)
        routes[triage(contact, policy).route] += 1
    assert set(routes) == set(Route)
    assert min(routes.values()) >= 20  # no route is a token presence
    assert len({text for text, _ in contacts}) > 380  # varied, not a few texts repeated


def test_lengths_vary_and_some_text_is_not_plain_ascii() -> None:
    texts = [text for text, _ in generate(2000, seed=1)]
    lengths = sorted(len(text) for text in texts)
    assert lengths[len(lengths) // 2] < 300 < lengths[-1] <= 1_500
    assert any(not text.isascii() for text in texts)
    assert any(len(text.lower()) != len(text) for text in texts)  # the case-folding path


def test_long_text_is_about_the_size_asked_for(policy: Policy) -> None:
    for size in (1024, 10 * 1024):
        for folding in (False, True):
            text = long_text(size, seed=5, folding=folding)
            assert size * 0.95 <= len(text.encode()) <= size
            assert (len(text.lower()) != len(text)) is folding
            make_contact_text(text, "999", max_chars=policy.limits.max_text_chars)
