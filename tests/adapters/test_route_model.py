"""The exemplar bank's route model: trained the same way every time, right on texts like its
own, kept in the model directory and trained again when that copy is damaged."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from controlroom.adapters.embeddings.route_model import ROUTES, route_model, train
from controlroom.domain.policy import Route


def clusters(per_route: int = 20, seed: int = 7) -> tuple[np.ndarray, list[Route]]:
    """Unit vectors around one centre per route, labelled with it."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(ROUTES), 16))
    vectors, routes = [], []
    for index, route in enumerate(ROUTES):
        points = centres[index] + 0.3 * rng.normal(size=(per_route, 16))
        vectors.append(points)
        routes += [route] * per_route
    stacked = np.vstack(vectors)
    return (stacked / np.linalg.norm(stacked, axis=1, keepdims=True)).astype(np.float32), routes


def test_the_likeliest_route_is_the_one_its_texts_belong_to() -> None:
    vectors, routes = clusters(per_route=25)
    learn = np.arange(len(routes)) % 5 != 0  # one in five kept back to test on
    model = train(vectors[learn], [r for r, k in zip(routes, learn, strict=True) if k])
    fresh = vectors[~learn]
    fresh_routes = [r for r, k in zip(routes, learn, strict=True) if not k]
    found = model.per_route(fresh)
    right = sum(max(p, key=p.__getitem__) is r for p, r in zip(found, fresh_routes, strict=True))
    assert right >= 0.9 * len(fresh_routes)
    assert all(abs(sum(p.values()) - 1.0) < 1e-5 for p in found)


def test_training_is_the_same_every_time() -> None:
    vectors, routes = clusters()
    first, second = train(vectors, routes), train(vectors, routes)
    assert np.array_equal(first.weights, second.weights)
    assert np.array_equal(first.bias, second.bias)


def test_the_model_is_kept_and_read_back(tmp_path: Path) -> None:
    vectors, routes = clusters()
    cache = tmp_path / "route-model-x.npy"
    made = route_model(vectors, routes, cache)
    assert cache.is_file()
    # a different labelling would train another model: the kept one is what is read
    read_back = route_model(vectors, list(reversed(routes)), cache)
    assert np.array_equal(made.weights, read_back.weights)


def test_a_damaged_copy_is_trained_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    vectors, routes = clusters()
    cache = tmp_path / "route-model-x.npy"
    cache.write_bytes(b"not a numpy file")
    with caplog.at_level(logging.WARNING):
        model = route_model(vectors, routes, cache)
    assert "training it again" in caplog.text
    assert np.array_equal(model.weights, train(vectors, routes).weights)
    assert np.load(cache, allow_pickle=False).shape == (17, len(ROUTES))
