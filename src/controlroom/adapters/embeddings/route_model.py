"""The exemplar bank's route model: how likely each route is for a contact.

A softmax regression over the bank's text vectors, each labelled with its situation's route.
It is trained where the bank is loaded — deterministic (zero start, full batch, a fixed number
of steps), about a second — and kept in the model directory next to the bank's vectors, named
by a hash of what it was trained on, so a restart reads it. Where the nearest texts show which
situations a contact resembles, the model weighs all the bank's texts together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from controlroom.domain.policy import Route

log = logging.getLogger(__name__)

ROUTES: tuple[Route, ...] = tuple(Route)
STEPS = 400
RATE = 0.05
L2 = 1e-3
_BETA1, _BETA2, _EPSILON = 0.9, 0.999, 1e-8
#: Part of the cache's name: a model trained otherwise is trained again.
TRAINING = f"softmax-adam-float32-{STEPS}-{RATE}-{L2}"

Matrix = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RouteModel:
    """Weights (one column a route, in :data:`ROUTES` order) and a bias per route."""

    weights: Matrix
    bias: npt.NDArray[np.float32]

    def likelihoods(self, vectors: npt.NDArray[np.floating]) -> Matrix:
        """Each row's likelihood of every route (rows sum to 1)."""
        logits = vectors.astype(np.float32, copy=False) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        found: Matrix = odds / odds.sum(axis=1, keepdims=True)
        return found

    def per_route(self, vectors: npt.NDArray[np.floating]) -> list[dict[Route, float]]:
        """:meth:`likelihoods` as a mapping per row."""
        return [
            {route: float(p) for route, p in zip(ROUTES, row, strict=True)}
            for row in self.likelihoods(vectors)
        ]


def train(vectors: npt.NDArray[np.floating], routes: Sequence[Route]) -> RouteModel:
    """Fit the model to ``vectors`` labelled ``routes`` (Adam on the mean cross-entropy with a
    small L2 penalty)."""
    inputs = vectors.astype(np.float32, copy=False)  # single precision: twice as fast, as good
    wanted = np.zeros((len(routes), len(ROUTES)), dtype=np.float32)
    wanted[np.arange(len(routes)), [ROUTES.index(route) for route in routes]] = 1.0
    weights = np.zeros((inputs.shape[1], len(ROUTES)), dtype=np.float32)
    bias = np.zeros(len(ROUTES), dtype=np.float32)
    moments = [
        np.zeros_like(weights),
        np.zeros_like(weights),
        np.zeros_like(bias),
        np.zeros_like(bias),
    ]
    for step in range(1, STEPS + 1):
        error = (RouteModel(weights, bias).likelihoods(inputs) - wanted) / len(routes)
        gradients = (inputs.T @ error + L2 * weights, error.sum(axis=0))
        for index, (value, gradient) in enumerate(zip((weights, bias), gradients, strict=True)):
            first, second = moments[2 * index], moments[2 * index + 1]
            first *= _BETA1
            first += (1 - _BETA1) * gradient
            second *= _BETA2
            second += (1 - _BETA2) * gradient**2
            ahead = first / (1 - _BETA1**step)
            spread = second / (1 - _BETA2**step)
            value -= (RATE * ahead / (np.sqrt(spread) + _EPSILON)).astype(np.float32)
    return RouteModel(weights, bias)


def route_model(
    vectors: npt.NDArray[np.floating],
    routes: Sequence[Route],
    cache: Path | None,
) -> RouteModel:
    """The model for these labelled vectors: read from ``cache`` when it holds one of the right
    shape, else trained (and kept there when it can be)."""
    shape = (vectors.shape[1] + 1, len(ROUTES))
    if cache is not None and cache.is_file():
        try:
            kept: Matrix = np.load(cache, allow_pickle=False)
            if kept.shape == shape:
                return RouteModel(kept[:-1], kept[-1])
        except (OSError, ValueError):
            pass
        log.warning("route model cache %s is unreadable; training it again", cache)
    model = train(vectors, routes)
    if cache is not None:
        try:
            partial = cache.with_suffix(".partial.npy")
            np.save(partial, np.vstack([model.weights, model.bias]), allow_pickle=False)
            partial.replace(cache)
        except OSError as exc:
            log.warning("could not keep the route model in %s: %s", cache, exc)
    return model
