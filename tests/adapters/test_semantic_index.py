"""The exemplar bank as vectors, with the real model: nearest texts per route, the cache of the
bank's vectors, and a bank edit that changes only what it should."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from controlroom.adapters.embeddings.index import SemanticIndex
from controlroom.adapters.embeddings.minilm import MiniLM
from controlroom.adapters.policy_file import load_policy
from controlroom.domain.exemplars import ExemplarBank, Situation, Thresholds
from controlroom.domain.policy import Route
from controlroom.domain.triage import Channel, make_contact_text, triage
from controlroom.domain.triage.semantic import refine

POLICY = load_policy("dcp-p-042")

BANK = ExemplarBank(
    "small bank",
    (
        Situation(
            "weapon-threat",
            "emergency.danger-to-life",
            Route.EMERGENCY,
            None,
            ("he is threatening me with a knife", "a man is waving a machete in the street"),
        ),
        Situation(
            "theft-past",
            "guidance.report",
            Route.POLICE_NON_EMERGENCY,
            None,
            ("my bike was stolen from the station yesterday", "someone took my purse last week"),
        ),
        Situation(
            "noise",
            "guidance.not-police",
            Route.OTHER_AGENCY,
            "council",
            ("my neighbour plays loud music every night", "the dog next door barks all day"),
        ),
        Situation(
            "food",
            "inappropriate.definition",
            Route.NOT_POLICE,
            None,
            ("the restaurant got my order wrong", "my curry delivery is late"),
        ),
    ),
    Thresholds(raise_at=0.45, margin=0.05, route_at=0.45, recognise_at=0.55, neighbours=1),
)
NEW = Situation(
    "inflatable-blown-away",
    "emergency.danger-to-life",
    Route.EMERGENCY,
    None,
    ("the wind has lifted a bouncy castle into the air with children still inside it",),
)
UNRELATED = [
    "the restaurant gave me the wrong change",
    "my neighbour's parrot squawks every morning",
    "someone pinched my scooter from outside the library last month",
    "a man is waving a hammer at the bus driver",
]
NEAR_NEW = "a gust has blown the inflatable slide over the hedge and there are kids on it"


@pytest.fixture(scope="module")
def encoder(model_dir: Path) -> MiniLM:
    return MiniLM(model_dir)


def decide(index: SemanticIndex, bank: ExemplarBank, text: str) -> Route:
    contact = make_contact_text(text, Channel.NINE_NINE_NINE, max_chars=1000)
    decision = triage(contact, POLICY)
    if decision.route is Route.EMERGENCY:
        return decision.route
    return refine(decision, contact, POLICY, bank, index.nearest([text])[0]).route


def test_nearest_texts_come_per_route_most_similar_first(encoder: MiniLM) -> None:
    index = SemanticIndex(encoder, BANK)
    found = index.nearest(["some bloke is pointing a blade at me"], count=2)[0]
    assert set(found) == set(Route)
    weapons = found[Route.EMERGENCY]
    assert [n.situation.id for n in weapons] == ["weapon-threat"] * 2
    assert weapons[0].similarity >= weapons[1].similarity
    assert weapons[0].similarity > found[Route.NOT_POLICE][0].similarity


def test_a_bank_edit_changes_only_what_it_should(encoder: MiniLM) -> None:
    before = SemanticIndex(encoder, BANK)
    edited_bank = replace(BANK, situations=(*BANK.situations, NEW))
    after = SemanticIndex(encoder, edited_bank)
    assert decide(before, BANK, NEAR_NEW) is not Route.EMERGENCY
    assert decide(after, edited_bank, NEAR_NEW) is Route.EMERGENCY
    for text in UNRELATED:
        assert decide(after, edited_bank, text) is decide(before, BANK, text), text


def test_the_banks_vectors_are_kept_and_read_back(encoder: MiniLM, tmp_path: Path) -> None:
    first = SemanticIndex(encoder, BANK, cache_dir=tmp_path)
    cached = list(tmp_path.glob("exemplars-*.npy"))
    assert len(cached) == 1
    second = SemanticIndex(encoder, BANK, cache_dir=tmp_path)
    assert np.array_equal(first.vectors, second.vectors)
    cached[0].write_bytes(b"not an array")  # a damaged cache is rebuilt, not trusted
    third = SemanticIndex(encoder, BANK, cache_dir=tmp_path)
    assert np.allclose(third.vectors, first.vectors)
    edited = SemanticIndex(encoder, replace(BANK, situations=(*BANK.situations, NEW)), tmp_path)
    assert edited.vectors.shape[0] == first.vectors.shape[0] + 1
    assert len(list(tmp_path.glob("exemplars-*.npy"))) == 2
