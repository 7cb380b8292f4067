"""MiniLM with 8-bit dense layers, run by ONNX Runtime: the encoder triage uses.

``controlroom models install`` builds it once from the verified safetensors weights
(:mod:`.onnx_graph`), then quantises the weight matrices of the dense layers to 8 bits, one
scale a column (ONNX Runtime's dynamic quantisation; attention's products of two activations
stay in single precision). On this project's corpus the vectors stay within cosine 0.97 of the
single-precision encoder's (0.99 on average) and a text is encoded three to four times
faster on one core. The build is deterministic for given library versions.

Beside the model a manifest records the published hash of the weights it was built from, the
recipe, the library versions and the model file's own SHA-256; the file is checked against the
manifest every time it is loaded, and one that does not match is refused (the service then
falls back to the slower NumPy encoder and says so).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort

from controlroom.adapters.embeddings.minilm import HIDDEN, MAX_TOKENS, Matrix
from controlroom.adapters.embeddings.model_files import (
    MODEL_REVISION,
    VOCABULARY,
    WEIGHTS,
    ModelIntegrityError,
    sha256_of,
    verify,
)
from controlroom.adapters.embeddings.wordpiece import WordPiece

if TYPE_CHECKING:
    import onnx

#: The graph's inputs (token ids; 1 for a token, 0 for padding) and output (unit vectors).
INPUT_IDS = "input_ids"
ATTENTION_MASK = "attention_mask"
VECTORS = "vectors"
#: The second output of the encoder with the bank's tuned route head (:mod:`.route_head`).
LIKELIHOODS = "likelihoods"
MODEL_FILE = "model-int8.onnx"
MANIFEST_FILE = "model-int8.json"
#: How the file is made; a file made otherwise is built again.
RECIPE = "onnx-graph-7/words-float16/matmul-qint8-per-column"


@contextmanager
def _quiet_quantiser() -> Iterator[None]:
    """The quantiser advises on the root logger to pre-process models for static
    quantisation; this build is dynamic and needs none, so the advice is not shown."""
    root = logging.getLogger()
    advice = _DropQuantiserAdvice()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)


class _DropQuantiserAdvice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _libraries() -> dict[str, str]:
    return {"onnx": version("onnx"), "onnxruntime": version("onnxruntime")}


def _read_manifest(folder: Path) -> dict[str, object]:
    path = folder / MANIFEST_FILE
    mend = "run `controlroom models install` to build it again"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelIntegrityError(f"{path} is missing: {mend}") from None
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"{path} cannot be read ({exc}): {mend}") from None
    if not isinstance(manifest, dict):
        raise ModelIntegrityError(f"{path} is not a manifest: {mend}")
    return manifest


def verify_int8(folder: Path) -> Path:
    """The 8-bit model's path once it is checked: built by this recipe from the published
    weights, and its SHA-256 the one recorded when it was built; otherwise a
    :class:`ModelIntegrityError` saying what is wrong and how to mend it."""
    manifest = _read_manifest(folder)
    mend = "run `controlroom models install` to build it again"
    if manifest.get("source_sha256") != WEIGHTS.sha256 or manifest.get("recipe") != RECIPE:
        raise ModelIntegrityError(
            f"{folder / MANIFEST_FILE} names another source or recipe than this version's: {mend}"
        )
    path = folder / MODEL_FILE
    if not path.is_file():
        raise ModelIntegrityError(f"{path} is missing: {mend}")
    actual = sha256_of(path)
    if actual != manifest.get("sha256"):
        raise ModelIntegrityError(
            f"{path} has SHA-256 {actual}, not the {manifest.get('sha256')} recorded when it "
            f"was built; it was not loaded: {mend}"
        )
    return path


def is_built(folder: Path) -> bool:
    """Whether ``folder`` holds an 8-bit model that passes :func:`verify_int8`."""
    try:
        verify_int8(folder)
    except ModelIntegrityError:
        return False
    return True


def quantise(full: onnx.ModelProto, target: Path) -> None:
    """Write ``full`` to ``target`` with the weight matrices of its dense layers in 8 bits, one
    scale a column (the products of two activations stay in single precision)."""
    # Only building needs these, and importing them takes most of a second: not at start-up.
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".float32-") as staging:
        source = Path(staging) / "model-float32.onnx"
        onnx.save(full, str(source))
        constant = {t.name for t in full.graph.initializer}
        products_of_activations = [
            n.name
            for n in full.graph.node
            if n.op_type == "MatMul" and not any(i in constant for i in n.input)
        ]
        with _quiet_quantiser():
            quantize_dynamic(
                source,
                target,
                op_types_to_quantize=["MatMul"],
                nodes_to_exclude=products_of_activations,
                per_channel=True,
                weight_type=QuantType.QInt8,
            )


def build_int8(folder: Path) -> Path:
    """Build the 8-bit model in ``folder`` from its verified weights (a few seconds) and record
    its manifest; the files appear whole or not at all."""
    from controlroom.adapters.embeddings.onnx_graph import build_graph

    source = verify(folder, WEIGHTS)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".int8-") as staging_name:
        staging = Path(staging_name)
        quantise(build_graph(source), staging / MODEL_FILE)
        built = staging / MODEL_FILE
        manifest = {
            "model": "all-MiniLM-L6-v2",
            "revision": MODEL_REVISION,
            "source": WEIGHTS.name,
            "source_sha256": WEIGHTS.sha256,
            "recipe": RECIPE,
            "libraries": _libraries(),
            "sha256": sha256_of(built),
            "size": built.stat().st_size,
        }
        (staging / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
        built.replace(folder / MODEL_FILE)
        (staging / MANIFEST_FILE).replace(folder / MANIFEST_FILE)
    return folder / MODEL_FILE


def one_thread_session(model: str | bytes, threads: int = 1) -> ort.InferenceSession:
    """An ONNX Runtime session for the graph ``model`` (a path or its bytes) on ``threads``."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def run_each(
    session: ort.InferenceSession, tokenizer: WordPiece, texts: Sequence[str], outputs: list[str]
) -> list[Matrix]:
    """``outputs`` of the graph for every text, one row a text, each text run alone.

    The 8-bit layers scale their inputs by the range of the whole batch, so a text batched with
    others would come out slightly different, and the same words must always give the same
    vector (and so the same decision). Batching would gain about a fifth."""
    found: list[Matrix] = []
    for row, text in enumerate(texts):
        ids = tokenizer.encode(text, MAX_TOKENS)
        tokens = np.array([ids], dtype=np.int64)
        mask = np.ones((1, len(ids)), dtype=np.float32)
        results = session.run(outputs, {INPUT_IDS: tokens, ATTENTION_MASK: mask})
        if not found:
            found = [np.zeros((len(texts), r.shape[-1]), dtype=np.float32) for r in results]
        for kept, result in zip(found, results, strict=True):
            kept[row] = result[0]
    return found or [np.zeros((0, HIDDEN), dtype=np.float32) for _ in outputs]


class MiniLMInt8:
    """The encoder, 8-bit: ``encode(texts)`` gives one unit vector a text, as
    :class:`~.minilm.MiniLM` does, on one thread."""

    dimensions = HIDDEN

    def __init__(self, folder: Path, threads: int = 1) -> None:
        """Load the checked 8-bit model and the vocabulary checked against its published hash
        (:class:`~.model_files.ModelIntegrityError` when either does not match)."""
        path = verify_int8(folder)
        self.tokenizer = WordPiece.from_file(verify(folder, VOCABULARY))
        built = str(_read_manifest(folder)["sha256"])[:16]
        self.name = f"{MODEL_REVISION}/{RECIPE}/{built}/one-text-a-run"
        self._session = one_thread_session(str(path), threads)

    def token_ids(self, text: str) -> list[int]:
        """The ids the model reads for ``text``."""
        return self.tokenizer.encode(text, MAX_TOKENS)

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One row a text, each of unit length, in the order given (each text run alone)."""
        return run_each(self._session, self.tokenizer, texts, [VECTORS])[0]
