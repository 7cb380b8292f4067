"""Sentence embeddings from MiniLM (a 6-layer BERT encoder) in plain NumPy.

The encoder reads its weights from a safetensors file checked against its published hash
(:mod:`.model_files`): nothing is downloaded and nothing is unpickled. A text becomes one unit
vector of 384 numbers, the mean of its tokens' last hidden states, as the reference
sentence-embedding pipeline for this model computes it. Texts are encoded in batches of similar
length, a bounded number of tokens each, so the padding a batch carries stays small.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
from safetensors.numpy import load_file

from controlroom.adapters.embeddings.model_files import MODEL_REVISION, VOCABULARY, WEIGHTS, verify
from controlroom.adapters.embeddings.wordpiece import WordPiece

Matrix = npt.NDArray[np.float32]

HIDDEN = 384
HEADS = 12
LAYERS = 6
LAYER_NORM_EPS = 1e-12
#: The first of the layers the bank's route head trains again, by default
#: (``scripts/tune_route_head.py``; :mod:`.route_head` runs a head from any layer).
TUNED_LAYER = 3
#: Tokens read of each text, [CLS] and [SEP] included (the reference pipeline's limit).
MAX_TOKENS = 256
#: Tokens in one batch at most, padding included: texts of like length go together, and a long
#: one does not make a whole batch of short ones carry its length.
BATCH_TOKENS = 256


def padded(batch: list[list[int]], pad: int) -> tuple[npt.NDArray[np.int64], Matrix]:
    """A batch's token ids padded to its longest text, and the mask of real tokens."""
    length = max(len(ids) for ids in batch)
    tokens = np.full((len(batch), length), pad, dtype=np.int64)
    mask = np.zeros((len(batch), length), dtype=np.float32)
    for row, ids in enumerate(batch):
        tokens[row, : len(ids)] = ids
        mask[row, : len(ids)] = 1.0
    return tokens, mask


def in_batches(ids: list[list[int]], encode_batch: Callable[[list[list[int]]], Matrix]) -> Matrix:
    """Every text's vector, ``encode_batch`` given texts of like length together, at most
    :data:`BATCH_TOKENS` tokens a batch (padding included), results in the order given."""
    result = np.zeros((len(ids), HIDDEN), dtype=np.float32)
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    chosen: list[int] = []
    for i in order:  # shortest first: the text now is the longest of its batch so far
        if chosen and (len(chosen) + 1) * len(ids[i]) > BATCH_TOKENS:
            result[chosen] = encode_batch([ids[j] for j in chosen])
            chosen = []
        chosen.append(i)
    if chosen:
        result[chosen] = encode_batch([ids[j] for j in chosen])
    return result


def _gelu(x: Matrix) -> Matrix:
    """Exact GELU, ``x * Φ(x)``, with the error function to within 1.5e-7 (Abramowitz and
    Stegun 7.1.26: NumPy has no erf). Computed in place on as few arrays as it can: on a
    batch's hidden layer the passes over memory are what cost."""
    z = x * np.float32(1.0 / np.sqrt(2.0))
    a = np.abs(z)
    t = a * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(a, out=a)
    np.negative(a, out=a)
    np.exp(a, out=a)
    poly *= a  # 1 - erf(|z|)
    np.copysign(poly, z, out=poly)  # sign carried for the reflection erf(-z) = -erf(z)
    # Φ(x) = (1 + erf(z)) / 2, and erf(z) = sign(z) (1 - poly)
    phi: Matrix = np.sign(z)
    phi -= poly
    phi += 1.0
    phi *= 0.5
    phi *= x
    return phi


def _layer_norm(x: Matrix, weight: Matrix, bias: Matrix) -> Matrix:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normed: Matrix = ((x - mean) / np.sqrt(var + LAYER_NORM_EPS) * weight + bias).astype(np.float32)
    return normed


@dataclass(frozen=True)
class _Layer:
    qkv: Matrix  # (HIDDEN, 3 * HIDDEN): query, key and value projections side by side
    qkv_bias: Matrix
    out: Matrix
    out_bias: Matrix
    norm1: tuple[Matrix, Matrix]
    up: Matrix
    up_bias: Matrix
    down: Matrix
    down_bias: Matrix
    norm2: tuple[Matrix, Matrix]


def layer_from(weights: dict[str, Matrix], prefix: str) -> _Layer:
    """One encoder layer from the tensors named ``prefix`` + the published layer's names."""

    def w(name: str) -> Matrix:
        return weights[prefix + name]

    return _Layer(
        qkv=np.concatenate(
            [w(f"attention.self.{n}.weight").T for n in ("query", "key", "value")], axis=1
        ),
        qkv_bias=np.concatenate([w(f"attention.self.{n}.bias") for n in ("query", "key", "value")]),
        out=np.ascontiguousarray(w("attention.output.dense.weight").T),
        out_bias=w("attention.output.dense.bias"),
        norm1=(w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias")),
        up=np.ascontiguousarray(w("intermediate.dense.weight").T),
        up_bias=w("intermediate.dense.bias"),
        down=np.ascontiguousarray(w("output.dense.weight").T),
        down_bias=w("output.dense.bias"),
        norm2=(w("output.LayerNorm.weight"), w("output.LayerNorm.bias")),
    )


def _layers(weights: dict[str, Matrix]) -> list[_Layer]:
    return [layer_from(weights, f"encoder.layer.{index}.") for index in range(LAYERS)]


class MiniLM:
    """The encoder: ``encode(texts)`` gives one unit vector a text."""

    dimensions = HIDDEN
    #: What the vectors come from, for the names of caches made of them.
    name = f"{MODEL_REVISION}/float32"

    def __init__(self, folder: Path) -> None:
        """Load the model in ``folder`` after checking each file against its published hash
        (:class:`~.model_files.ModelIntegrityError` when one does not match)."""
        weights: dict[str, Matrix] = load_file(str(verify(folder, WEIGHTS)))
        self.tokenizer = WordPiece.from_file(verify(folder, VOCABULARY))
        self.words = weights["embeddings.word_embeddings.weight"]
        self.positions = weights["embeddings.position_embeddings.weight"]
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]
        self.embedding_norm = (
            weights["embeddings.LayerNorm.weight"],
            weights["embeddings.LayerNorm.bias"],
        )
        self.layers = _layers(weights)

    def token_ids(self, text: str) -> list[int]:
        """The ids the model reads for ``text``."""
        return self.tokenizer.encode(text, MAX_TOKENS)

    def encode(self, texts: Sequence[str]) -> Matrix:
        """One row a text, each of unit length, in the order given."""
        return in_batches([self.token_ids(text) for text in texts], self._encode_batch)

    def _encode_batch(self, batch: list[list[int]]) -> Matrix:
        tokens, mask = padded(batch, self.tokenizer.pad)
        length = tokens.shape[1]
        x = self.words[tokens] + self.positions[:length] + self.token_type
        x = _layer_norm(x, *self.embedding_norm)
        # a padded position gets no attention: a large negative score before the softmax
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            x = self.layer(x, layer, blocked)
        summed = (x * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Matrix = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit

    @staticmethod
    def layer(x: Matrix, layer: _Layer, blocked: Matrix) -> Matrix:
        """One encoder layer. Every product is made on contiguous arrays, two-dimensional where
        it can be: NumPy hands those to BLAS, and strided views it would not."""
        batch, length, _ = x.shape
        head = HIDDEN // HEADS
        flat = x.reshape(batch * length, HIDDEN)
        qkv = (flat @ layer.qkv + layer.qkv_bias).reshape(batch, length, 3, HEADS, head)
        query = np.ascontiguousarray(qkv[:, :, 0].transpose(0, 2, 1, 3))
        query *= np.float32(1.0 / np.sqrt(head))
        key = np.ascontiguousarray(qkv[:, :, 1].transpose(0, 2, 3, 1))
        value = np.ascontiguousarray(qkv[:, :, 2].transpose(0, 2, 1, 3))
        scores = query @ key
        scores += blocked
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = np.ascontiguousarray((scores @ value).transpose(0, 2, 1, 3))
        attended = context.reshape(batch * length, HIDDEN) @ layer.out + layer.out_bias
        flat = _layer_norm(flat + attended, *layer.norm1)
        hidden = _gelu(flat @ layer.up + layer.up_bias)
        out = _layer_norm(flat + hidden @ layer.down + layer.down_bias, *layer.norm2)
        return out.reshape(batch, length, HIDDEN)
