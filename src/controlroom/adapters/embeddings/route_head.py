"""The bank's tuned route head: MiniLM with its last layers trained again to tell routes apart.

The head file holds tuned copies of the encoder's layers from some layer on and a linear route
classifier, trained on the bank's texts by ``scripts/tune_route_head.py`` (which needs torch;
running the head does not). It is policy data: a safetensors file the exemplar bank names with
its SHA-256. A file whose hash does not match is refused; one trained on another bank is not
used (the route model trained where the bank is loaded runs instead), and each case is said in
the log.

With the published layers before it (their weights checked against their published hash), the
head is a whole encoder: one ONNX graph, run on one thread, gives a text's unit vector (the
mean of the tuned layers' token states) and each route's likelihood in one pass. The bank's
nearest texts are found by those vectors too. The graph is built once, its dense layers in 8
bits (or kept in single precision when the ``float32`` encoder is chosen), and kept in the
model folder with a record of its SHA-256: a kept graph that does not match its record is
built again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

from controlroom.adapters.embeddings.int8_model import (
    LIKELIHOODS,
    VECTORS,
    one_thread_session,
    quantise,
    run_each,
)
from controlroom.adapters.embeddings.minilm import HIDDEN, LAYERS, Matrix
from controlroom.adapters.embeddings.model_files import (
    MODEL_REVISION,
    VOCABULARY,
    WEIGHTS,
    ModelIntegrityError,
    sha256_of,
    verify,
)
from controlroom.adapters.embeddings.wordpiece import WordPiece
from controlroom.domain.exemplars import Situation
from controlroom.domain.policy import Route

__all__ = ["RouteHead", "StaleHead", "bank_digest"]

#: The unit vector is scaled by this before the linear classifier (as in training).
HEAD_SCALE = 10.0
#: How the graph is made; a graph kept from another recipe is not read.
RECIPE = "tuned-graph-2"
PRECISIONS = ("int8", "float32")
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


def _checked_metadata(path: Path, sha256: str, entries: Sequence[tuple[Situation, str]]) -> int:
    """The first layer the head at ``path`` tunes, once it is the file the bank names and
    was trained on ``entries``."""
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
    first = metadata.get("first_layer", "")
    if not first.isdigit() or not 0 <= int(first) < LAYERS:
        raise ModelIntegrityError(
            f"the route head {path} names no layer of the encoder to start from "
            f"(first_layer {first!r}, not 0 to {LAYERS - 1}): retrain it with "
            "scripts/tune_route_head.py"
        )
    return int(first)


class RouteHead:
    """The encoder with the bank's tuned layers: each text's unit vector and each route's
    likelihood."""

    dimensions = HIDDEN

    def __init__(
        self,
        path: Path,
        sha256: str,
        entries: Sequence[tuple[Situation, str]],
        model_dir: Path,
        cache_dir: Path | None = None,
        precision: str = "int8",
    ):
        """Load the head at ``path`` once its SHA-256 is ``sha256``
        (:class:`ModelIntegrityError` otherwise) and it was trained on ``entries``
        (:class:`StaleHead` otherwise), over the published model in ``model_dir``. Its graph
        is kept in ``cache_dir``, so a restart reads it instead of building it again.
        ``precision``: ``int8`` or ``float32``."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision {precision!r} is not one of {PRECISIONS}")
        self.first_layer = _checked_metadata(path, sha256, entries)
        self.tokenizer = WordPiece.from_file(verify(model_dir, VOCABULARY))
        recipe = f"{RECIPE}-{precision}"
        self.name = f"{MODEL_REVISION}/route-head-{sha256[:16]}/{recipe}/one-text-a-run"
        stem = f"route-head-{sha256[:24]}-{recipe}"
        #: The files the graph is kept in (``models install`` keeps them; others are stale).
        self.cache_files: list[Path] = (
            [cache_dir / f"{stem}.onnx", cache_dir / f"{stem}.json"] if cache_dir else []
        )
        graph = self._kept_graph(sha256, recipe)
        if graph is None:
            graph = self._built(path, model_dir, precision)
            self._keep(graph, sha256, recipe)
        self._session = one_thread_session(graph)

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One unit vector a text, in the order given (each text run alone)."""
        return run_each(self._session, self.tokenizer, texts, [VECTORS])[0]

    def likelihoods(self, texts: Sequence[str]) -> tuple[Matrix, Matrix]:
        """Each text's unit vector and its likelihood of every route (rows sum to 1)."""
        vectors, chances = run_each(self._session, self.tokenizer, texts, [VECTORS, LIKELIHOODS])
        return vectors, chances

    def classify(self, texts: Sequence[str]) -> tuple[Matrix, list[dict[Route, float]]]:
        """:meth:`likelihoods`, each text's as a mapping."""
        vectors, chances = self.likelihoods(texts)
        per_route = [
            {route: float(p) for route, p in zip(ROUTES, row, strict=True)} for row in chances
        ]
        return vectors, per_route

    def _kept_graph(self, sha256: str, recipe: str) -> bytes | None:
        """The graph kept by an earlier load, when its record says it was built from this
        head and the published weights by this recipe, and its hash is the one recorded."""
        if not self.cache_files:
            return None
        graph_file, record_file = self.cache_files
        try:
            record = json.loads(record_file.read_text(encoding="utf-8"))
            graph = graph_file.read_bytes()
        except (OSError, ValueError):
            return None
        wanted = {"head_sha256": sha256, "source_sha256": WEIGHTS.sha256, "recipe": recipe}
        if not isinstance(record, dict) or any(record.get(k) != v for k, v in wanted.items()):
            return None
        if record.get("sha256") != hashlib.sha256(graph).hexdigest():
            log.warning(
                "the route head's graph %s does not match its record: built again", graph_file
            )
            return None
        return graph

    def _keep(self, graph: bytes, sha256: str, recipe: str) -> None:
        if not self.cache_files:
            return
        graph_file, record_file = self.cache_files
        record = {
            "head_sha256": sha256,
            "source_sha256": WEIGHTS.sha256,
            "recipe": recipe,
            "libraries": {"onnx": version("onnx"), "onnxruntime": version("onnxruntime")},
            "sha256": hashlib.sha256(graph).hexdigest(),
        }
        try:
            partial = graph_file.with_suffix(".partial")
            partial.write_bytes(graph)
            partial.replace(graph_file)
            record_file.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            log.warning("could not keep the route head's graph in %s: %s", graph_file, exc)

    def _built(self, path: Path, model_dir: Path, precision: str) -> bytes:
        """The encoder with the tuned layers as a graph, from the checked published weights
        and the checked head (imports onnx: a few seconds, once)."""
        from controlroom.adapters.embeddings.onnx_graph import TunedHead, build_graph

        weights = verify(model_dir, WEIGHTS)
        tensors = {k: v.astype(np.float32) for k, v in load_file(str(path)).items()}
        head = TunedHead(tensors, self.first_layer, HEAD_SCALE, len(ROUTES))
        try:
            model = build_graph(weights, head)
        except (KeyError, ValueError) as exc:
            raise ModelIntegrityError(f"the route head {path} is not whole: {exc}") from None
        if precision == "float32":
            return bytes(model.SerializeToString())
        with tempfile.TemporaryDirectory(prefix="controlroom-route-head-") as staging:
            target = Path(staging) / "route-head-int8.onnx"
            quantise(model, target)
            return target.read_bytes()
