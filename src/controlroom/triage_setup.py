"""The force policy with triage's semantic layer attached: all that triaging needs, and no more.

Kept apart from :mod:`controlroom.bootstrap` (which wires the database, Redis, documents and
the rest) so ``controlroom triage`` and anything else that only triages starts in a fraction of
the time.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from controlroom.adapters.embeddings.encoders import load_encoder
from controlroom.adapters.embeddings.index import SemanticIndex
from controlroom.adapters.embeddings.model_files import VOCABULARY, ModelIntegrityError, verify
from controlroom.adapters.embeddings.route_head import RouteHead, StaleHead
from controlroom.adapters.policy_file import load_policy
from controlroom.config import Settings
from controlroom.domain.exemplars import ExemplarBank
from controlroom.domain.policy import Policy
from controlroom.services.triage import attach_semantic_layer

log = logging.getLogger(__name__)


@lru_cache(maxsize=8)
def loaded_policy(reference: str) -> Policy:
    """The policy ``reference`` names, loaded once per process."""
    return load_policy(reference)


def policy_for(settings: Settings) -> Policy:
    """The force policy the settings name, loaded once per process, with triage's semantic
    layer attached (built on first use, from the model in ``settings.model_dir``)."""
    policy = loaded_policy(settings.policy)
    attach_semantic_layer(policy, lambda: semantic_layer_for(settings, policy))
    return policy


def semantic_layer_for(settings: Settings, policy: Policy) -> SemanticIndex | None:
    """Triage's semantic layer for ``policy``: the embedding model in ``settings.model_dir``,
    checked against its hashes, over the policy's exemplar bank. None, with one warning in
    the log (on stderr), when the policy has no bank or the model is missing or not the
    published one: triage then runs on its rules alone."""
    bank = policy.exemplars
    if bank is None:
        return None
    try:
        verify(settings.model_dir, VOCABULARY)  # without the model, neither encoder can run
    except ModelIntegrityError as exc:
        log.warning("triage's semantic layer is off: %s", exc)
        return None
    head = route_head_for(bank, settings.model_dir, precision=settings.encoder)
    if head is not None:
        return SemanticIndex(head, bank, cache_dir=settings.model_dir)
    try:
        encoder, slower = load_encoder(settings.model_dir, settings.encoder)
    except ModelIntegrityError as exc:
        log.warning("triage's semantic layer is off: %s", exc)
        return None
    if slower:
        log.warning("triage's semantic layer: %s", slower)
    return SemanticIndex(encoder, bank, cache_dir=settings.model_dir)


def route_head_for(
    bank: ExemplarBank, model_dir: Path, precision: str = "int8"
) -> RouteHead | None:
    """The bank's tuned route head over the published model in ``model_dir`` (its graph kept
    there), checked; None (with one warning) when the bank names none that can be used: the
    published encoder and a route model trained where the bank is loaded run instead."""
    if bank.route_head is None:
        return None
    try:
        return RouteHead(
            Path(bank.route_head.path),
            bank.route_head.sha256,
            bank.entries(),
            model_dir,
            cache_dir=model_dir,
            precision=precision,
        )
    except (ModelIntegrityError, StaleHead) as exc:
        log.warning(
            "triage's semantic layer: %s; the published encoder and the bank's own route model "
            "run instead",
            exc,
        )
        return None
