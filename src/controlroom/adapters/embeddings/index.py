"""The exemplar bank as vectors: which of its texts are nearest a contact, per route.

The bank's texts are encoded once, by the bank's tuned route head when it has one that can be
used, otherwise by the published encoder. Their vectors are kept in a cache file next to the
model, named by a hash of the encoder (model, tuning and precision) and the texts, so a restart
reads them instead of encoding them again; a cache file that does not match its name is
rebuilt. Without a tuned head, the bank's route model (:mod:`.route_model`) is trained on those
vectors and kept the same way.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from controlroom.adapters.embeddings.route_model import TRAINING, RouteModel, route_model
from controlroom.domain.exemplars import ExemplarBank, Neighbour, Situation
from controlroom.domain.policy import Route
from controlroom.domain.triage.semantic import Closeness, Nearest

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Texts to unit vectors, one row a text."""

    dimensions: int
    #: What the vectors come from (model and precision): part of the caches' names.
    name: str

    def encode(self, texts: Sequence[str]) -> Matrix: ...


@runtime_checkable
class Classifies(Protocol):
    """An encoder that also gives each route's likelihood: the bank's tuned route head
    (:mod:`.route_head`)."""

    def classify(self, texts: Sequence[str]) -> tuple[Matrix, list[dict[Route, float]]]: ...


class SemanticIndex:
    """Nearest bank texts for contacts, by cosine similarity of their embeddings."""

    def __init__(self, encoder: Encoder, bank: ExemplarBank, cache_dir: Path | None = None):
        """The bank's texts encoded by ``encoder`` (read from ``cache_dir`` when kept there).
        An encoder that :class:`Classifies` (the bank's tuned route head) gives the
        likelihoods; otherwise a route model is trained here on the bank's vectors."""
        self.encoder = encoder
        self.bank = bank
        #: The tuned route head, when the bank has one that could be used.
        self.route_head = encoder if isinstance(encoder, Classifies) else None
        entries = bank.entries()
        self.situations: list[Situation] = [situation for situation, _ in entries]
        self.texts: list[str] = [text for _, text in entries]
        digest = hashlib.sha256(f"{encoder.name}/{TRAINING}".encode())
        for situation, text in entries:
            digest.update(text.encode() + b"\0" + situation.route.value.encode() + b"\0")
        self._name = digest.hexdigest()[:24]
        #: The cache files this bank reads (kept by ``models install``; others are stale).
        self.cache_files: list[Path] = []
        self.vectors = self._bank_vectors(cache_dir)
        self.route_model: RouteModel | None = None
        if self.route_head is None:
            model_cache = cache_dir / f"route-model-{self._name}.npy" if cache_dir else None
            if model_cache is not None:
                self.cache_files.append(model_cache)
            self.route_model = route_model(
                self.vectors, [situation.route for situation in self.situations], model_cache
            )
        self.by_route = {
            route: np.array(
                [i for i, s in enumerate(self.situations) if s.route is route], dtype=np.int64
            )
            for route in Route
        }

    def _bank_vectors(self, cache_dir: Path | None) -> Matrix:
        digest = hashlib.sha256(self.encoder.name.encode())
        for text in self.texts:
            digest.update(text.encode() + b"\0")
        name = f"exemplars-{digest.hexdigest()[:24]}.npy"  # the texts alone: routes may change
        path = cache_dir / name if cache_dir is not None else None
        if path is not None:
            self.cache_files.append(path)
        if path is not None and path.is_file():
            try:
                cached: Matrix = np.load(path, allow_pickle=False)
                if cached.shape == (len(self.texts), self.encoder.dimensions):
                    return cached
            except (OSError, ValueError):
                pass
            log.warning("exemplar cache %s is unreadable; encoding the bank again", path)
        vectors = self.encoder.encode(self.texts)
        if path is not None:
            try:
                partial = path.with_suffix(".partial.npy")
                np.save(partial, vectors, allow_pickle=False)
                partial.replace(path)
            except OSError as exc:
                log.warning("could not keep the exemplar cache in %s: %s", path, exc)
        return vectors

    def closeness(self, texts: Sequence[str], count: int | None = None) -> list[Closeness]:
        """For each text, its nearest bank texts per route and each route's likelihood."""
        if not texts:
            return []
        if self.route_head is not None:
            vectors, likelihoods = self.route_head.classify(texts)
        else:
            vectors = self.encoder.encode(texts)
            assert self.route_model is not None
            likelihoods = self.route_model.per_route(vectors)
        nearest = self._nearest(vectors, count or self.bank.thresholds.neighbours)
        return [Closeness(n, p) for n, p in zip(nearest, likelihoods, strict=True)]

    def nearest(self, texts: Sequence[str], count: int | None = None) -> list[Nearest]:
        """For each text, each route's ``count`` nearest bank texts, most similar first."""
        if not texts:
            return []
        vectors = self.encoder.encode(texts)
        return self._nearest(vectors, count or self.bank.thresholds.neighbours)

    def _nearest(self, vectors: Matrix, count: int) -> list[Nearest]:
        similarities = vectors @ self.vectors.T
        found: list[Nearest] = []
        for row in similarities:
            per_route: dict[Route, list[Neighbour]] = {}
            for route, members in self.by_route.items():
                if not len(members):
                    continue
                scores = row[members]
                top = np.argsort(-scores)[:count]
                per_route[route] = [
                    Neighbour(self.situations[members[i]], self.texts[members[i]], float(scores[i]))
                    for i in top
                ]
            found.append(per_route)
        return found
