"""The bank's tuned route head: MiniLM's last three layers trained again to tell routes apart.

A contact's token states entering the encoder's fourth layer (from the three published layers
before it, whose weights are checked against their published hash) go through the tuned copies
of the last three layers, are averaged, scaled to unit length and classified into the four
routes, by ONNX Runtime on one thread. The weights are policy data: a safetensors file the
exemplar bank names with its SHA-256, trained on that very bank by
``scripts/tune_route_head.py`` (which needs torch; running it does not). A file whose hash does
not match is refused; one trained on another bank is not used (the route model trained where
the bank is loaded runs instead), and each case is said in the log.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
from safetensors import safe_open
from safetensors.numpy import load_file

from controlroom.adapters.embeddings.int8_model import LIKELIHOODS, STATES, quantise
from controlroom.adapters.embeddings.minilm import HIDDEN, TUNED_LAYER, Matrix

__all__ = ["TUNED_LAYER", "RouteHead", "StaleHead", "bank_digest"]
from controlroom.adapters.embeddings.model_files import ModelIntegrityError, sha256_of
from controlroom.domain.exemplars import Situation
from controlroom.domain.policy import Route

#: The unit vector is scaled by this before the linear classifier (as in training).
HEAD_SCALE = 10.0
#: How the 8-bit head is made from the weights; a cache made otherwise is not read.
RECIPE = "head-graph-1-qint8"
log = logging.getLogger(__name__)
ROUTES: tuple[Route, ...] = tuple(Route)


class StaleHead(Exception):
    """The head was trained on another bank than the one loaded."""


def bank_digest(entries: Sequence[tuple[Situation, str]]) -> str:
    """What a head was trained on: the SHA-256 of the bank's texts with their routes."""
    digest = hashlib.sha256()
    for situation, text in entries:
        digest.update(text.encode() + b"\0" + situation.route.value.encode() + b"\0")
    return digest.hexdigest()


class RouteHead:
    """Each route's likelihood for a text, from its token states entering ``TUNED_LAYER``."""

    def __init__(
        self,
        path: Path,
        sha256: str,
        entries: Sequence[tuple[Situation, str]],
        cache_dir: Path | None = None,
    ):
        """Load the head at ``path`` once its SHA-256 is ``sha256``
        (:class:`ModelIntegrityError` otherwise) and it was trained on ``entries``
        (:class:`StaleHead` otherwise). Its 8-bit graph is kept in ``cache_dir``, named by
        that hash, so a restart reads it instead of building it again."""
        if not path.is_file():
            raise ModelIntegrityError(f"the route head {path} is missing")
        actual = sha256_of(path)
        if actual != sha256:
            raise ModelIntegrityError(
                f"the route head {path} has SHA-256 {actual}, not the {sha256} the exemplar "
                "bank names; it was not loaded"
            )
        try:
            with safe_open(str(path), framework="numpy") as opened:
                metadata = opened.metadata() or {}
        except Exception as exc:  # safetensors raises its own error type for a bad file
            raise ModelIntegrityError(f"the route head {path} cannot be read: {exc}") from None
        if metadata.get("bank") != bank_digest(entries):
            raise StaleHead(
                f"the route head {path.name} was trained on another exemplar bank; "
                "retrain it with scripts/tune_route_head.py"
            )
        if metadata.get("routes") != ",".join(r.value for r in ROUTES):
            raise ModelIntegrityError(f"the route head {path} names other routes")
        if metadata.get("first_layer") != str(TUNED_LAYER):
            raise ModelIntegrityError(
                f"the route head {path} was trained from another layer than this version's "
                f"({TUNED_LAYER}): retrain it with scripts/tune_route_head.py"
            )
        tensors = {k: v.astype(np.float32) for k, v in load_file(str(path)).items()}
        self.name = f"route-head/{actual[:16]}"
        #: The file the 8-bit head is kept in (``models install`` keeps it; others are stale).
        self.cache_file = (
            cache_dir / f"route-head-{actual[:24]}-{RECIPE}.onnx" if cache_dir else None
        )
        try:
            self._session = _session(tensors, self.cache_file)
        except (KeyError, ValueError) as exc:
            raise ModelIntegrityError(f"the route head {path} is not whole: {exc}") from None

    def likelihoods(self, states: Sequence[Matrix]) -> Matrix:
        """Each text's likelihood of every route (rows sum to 1), one text a run."""
        found = np.zeros((len(states), len(ROUTES)), dtype=np.float32)
        for row, tokens in enumerate(states):
            x = tokens.reshape(1, -1, HIDDEN).astype(np.float32, copy=False)
            (chances,) = self._session.run([LIKELIHOODS], {STATES: x})
            found[row] = chances[0]
        return found

    def per_route(self, states: Sequence[Matrix]) -> list[dict[Route, float]]:
        """:meth:`likelihoods` as a mapping per text."""
        return [
            {route: float(p) for route, p in zip(ROUTES, row, strict=True)}
            for row in self.likelihoods(states)
        ]


def _session(tensors: dict[str, Matrix], cached: Path | None) -> ort.InferenceSession:
    """The head as an ONNX Runtime session on one thread, like the encoder's, its dense layers
    in 8 bits as the encoder's are: read from ``cached`` when it is there, else built (and kept
    there)."""
    try:
        model = cached.read_bytes() if cached is not None else None
    except OSError:
        model = None
    if model is None:
        model = _built(tensors)
        if cached is not None:
            try:
                partial = cached.with_suffix(".partial")
                partial.write_bytes(model)
                partial.replace(cached)
            except OSError as exc:
                log.warning("could not keep the route head's 8-bit graph in %s: %s", cached, exc)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _built(tensors: dict[str, Matrix]) -> bytes:
    """The head's graph with 8-bit dense layers (imports onnx: a second, once)."""
    from controlroom.adapters.embeddings.onnx_graph import build_head_graph

    with tempfile.TemporaryDirectory(prefix="controlroom-route-head-") as staging:
        target = Path(staging) / "head-int8.onnx"
        quantise(build_head_graph(tensors, HEAD_SCALE, len(ROUTES)), target)
        return target.read_bytes()
