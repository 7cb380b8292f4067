"""MiniLM as an ONNX graph, built from its verified safetensors weights.

The graph computes what :mod:`.minilm` computes in NumPy — token, position and type
embeddings, six BERT layers, the mean of the tokens' last hidden states, scaled to unit
length — node for node, so ONNX Runtime can run it with its fused kernels; with the bank's
tuned route head, its layers take the place of the published last ones and a route classifier
follows the vector. Nothing is
exported from another framework and nothing is downloaded: every number in the graph is read
from the weights file whose published hash :func:`~.model_files.verify` has checked. The word
embeddings are kept in half precision (a quarter of the file; a word's vector moves by under
one part in a thousand), everything else in single precision; :mod:`.int8_model` then
quantises the dense layers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

from controlroom.adapters.embeddings.int8_model import (
    ATTENTION_MASK,
    INPUT_IDS,
    LIKELIHOODS,
    VECTORS,
)
from controlroom.adapters.embeddings.minilm import HEADS, HIDDEN, LAYER_NORM_EPS, LAYERS

#: The operator set the graph is written for (LayerNormalization and ReduceL2 with axes as an
#: input need 18).
OPSET = 18


class _Graph:
    """Nodes and constants, named in the order they are added."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.constants: list[onnx.TensorProto] = []

    def constant(self, name: str, value: npt.ArrayLike) -> str:
        self.constants.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def used_constants(self) -> list[onnx.TensorProto]:
        """The constants some node reads (ONNX Runtime warns of any other)."""
        read = {name for node in self.nodes for name in node.input}
        return [c for c in self.constants if c.name in read]

    def node(self, op: str, inputs: list[str], output: str | None = None, **attrs: Any) -> str:
        name = output or f"{op.lower()}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name


def _dense(g: _Graph, weights: dict[str, npt.NDArray[np.float32]], x: str, key: str) -> str:
    """``x @ W.T + b`` for the linear layer ``key`` (its weight stored transposed, as MatMul
    wants it: the quantiser finds the constant operand and quantises it per column)."""
    weight = g.constant(f"{key}.W", np.ascontiguousarray(weights[f"{key}.weight"].T))
    bias = g.constant(f"{key}.b", weights[f"{key}.bias"])
    return g.node("Add", [g.node("MatMul", [x, weight]), bias])


def _layer_norm(g: _Graph, weights: dict[str, npt.NDArray[np.float32]], x: str, key: str) -> str:
    scale = g.constant(f"{key}.weight", weights[f"{key}.weight"])
    shift = g.constant(f"{key}.bias", weights[f"{key}.bias"])
    return g.node("LayerNormalization", [x, scale, shift], axis=-1, epsilon=LAYER_NORM_EPS)


def _encoder_layer(
    g: _Graph, weights: dict[str, npt.NDArray[np.float32]], x: str, index: int, blocked: str
) -> str:
    p = f"encoder.layer.{index}."

    def heads(key: str, perm: list[int]) -> str:
        split = g.node("Reshape", [_dense(g, weights, x, p + key), "split_heads"])
        return g.node("Transpose", [split], perm=perm)

    query = heads("attention.self.query", [0, 2, 1, 3])
    key = heads("attention.self.key", [0, 2, 3, 1])
    value = heads("attention.self.value", [0, 2, 1, 3])
    scores = g.node("Add", [g.node("Mul", [g.node("MatMul", [query, key]), "scale"]), blocked])
    context = g.node("MatMul", [g.node("Softmax", [scores], axis=-1), value])
    joined = g.node("Reshape", [g.node("Transpose", [context], perm=[0, 2, 1, 3]), "join_heads"])
    attended = _dense(g, weights, joined, p + "attention.output.dense")
    x = _layer_norm(g, weights, g.node("Add", [x, attended]), p + "attention.output.LayerNorm")
    up = _dense(g, weights, x, p + "intermediate.dense")
    # x·(1 + erf(x/√2))·½, in the order ONNX Runtime recognises and fuses into one kernel
    erf = g.node("Erf", [g.node("Div", [up, "root_two"])])
    gelu = g.node("Mul", [g.node("Mul", [up, g.node("Add", [erf, "one"])]), "half"])
    down = _dense(g, weights, gelu, p + "output.dense")
    return _layer_norm(g, weights, g.node("Add", [x, down]), p + "output.LayerNorm")


def _constants(g: _Graph) -> None:
    """The shared constants the layers use."""
    head = HIDDEN // HEADS
    values: dict[str, npt.NDArray[Any]] = {
        "axis_0": np.array([0], np.int64),
        "axis_1": np.array([1], np.int64),
        "axis_2": np.array([2], np.int64),
        "one": np.array(1.0, np.float32),
        "half": np.array(0.5, np.float32),
        "root_two": np.array(np.sqrt(2.0), np.float32),
        "blocked_score": np.array(-1e9, np.float32),
        "scale": np.array(1 / np.sqrt(head), np.float32),
        "split_heads": np.array([0, 0, HEADS, head], np.int64),
        "join_heads": np.array([0, 0, HIDDEN], np.int64),
        "least_count": np.array(1e-9, np.float32),
        "least_norm": np.array(1e-12, np.float32),
    }
    for name, value in values.items():
        g.constant(name, value)


@dataclass(frozen=True)
class TunedHead:
    """The bank's tuned route head, as the head file holds it (already checked): the tuned
    copies of the encoder's layers from ``first_layer`` on, and the route classifier."""

    tensors: dict[str, npt.NDArray[np.float32]]
    first_layer: int
    scale: float
    routes: int

    def layer_weights(self) -> dict[str, npt.NDArray[np.float32]]:
        """The tuned layers under the published names (the file's ``layers.0.`` is the
        encoder's layer ``first_layer``)."""
        weights = {}
        for name, value in self.tensors.items():
            if name.startswith("layers."):
                _, offset, rest = name.split(".", 2)
                weights[f"encoder.layer.{self.first_layer + int(offset)}.{rest}"] = value
        return weights


def build_graph(weights_file: Path, head: TunedHead | None = None) -> onnx.ModelProto:
    """The encoder as an ONNX model: ``input_ids`` (int64, batch × length) and
    ``attention_mask`` (float, 1 for a token, 0 for padding) in, ``vectors`` (batch × 384,
    unit length) out. With the bank's tuned ``head``, the layers from its first on are the
    tuned ones: ``vectors`` are then the tuned encoder's, and a second output gives each
    route's ``likelihoods`` (batch × routes). ``weights_file`` must already be verified."""
    weights: dict[str, npt.NDArray[np.float32]] = load_file(str(weights_file))
    first_tuned = LAYERS
    if head is not None:
        tuned = head.layer_weights()
        missing = [
            name
            for name in weights
            if name.startswith("encoder.layer.")
            and int(name.split(".")[2]) >= head.first_layer
            and name not in tuned
        ]
        if missing or any(f"classify.{k}" not in head.tensors for k in ("weight", "bias")):
            raise ValueError(f"the head lacks {(missing or ['the classifier'])[0]}")
        weights.update(tuned)
        first_tuned = head.first_layer
    g = _Graph()
    _constants(g)
    g.constant("words", weights["embeddings.word_embeddings.weight"].astype(np.float16))
    g.constant("positions", weights["embeddings.position_embeddings.weight"])
    g.constant("token_type", weights["embeddings.token_type_embeddings.weight"][0])
    length = g.node("Slice", [g.node("Shape", [INPUT_IDS]), "axis_1", "axis_2"])
    words = g.node("Cast", [g.node("Gather", ["words", INPUT_IDS])], to=TensorProto.FLOAT)
    positions = g.node("Slice", ["positions", "axis_0", length])
    x = g.node("Add", [g.node("Add", [words, positions]), "token_type"])
    x = _layer_norm(g, weights, x, "embeddings.LayerNorm")
    # a padded position gets no attention: a large negative score before the softmax
    unmasked = g.node("Sub", ["one", ATTENTION_MASK])
    blocked = g.node("Mul", [unmasked, "blocked_score"])
    blocked = g.node("Unsqueeze", [blocked, g.node("Concat", ["axis_1", "axis_2"], axis=0)])
    for index in range(LAYERS):
        x = _encoder_layer(g, weights, x, index, blocked)
    masked = g.node("Mul", [x, g.node("Unsqueeze", [ATTENTION_MASK, "axis_2"])])
    summed = g.node("ReduceSum", [masked, "axis_1"], keepdims=0)
    count = g.node("ReduceSum", [ATTENTION_MASK, "axis_1"], keepdims=1)
    pooled = g.node("Div", [summed, g.node("Max", [count, "least_count"])])
    norm = g.node("Max", [g.node("ReduceL2", [pooled, "axis_1"], keepdims=1), "least_norm"])
    unit = g.node("Div", [pooled, norm], output=VECTORS)
    outputs = [helper.make_tensor_value_info(VECTORS, TensorProto.FLOAT, ["batch", HIDDEN])]
    if head is not None:
        _classifier(g, head, unit)
        outputs.append(
            helper.make_tensor_value_info(LIKELIHOODS, TensorProto.FLOAT, ["batch", head.routes])
        )
    graph = helper.make_graph(
        g.nodes,
        "all-MiniLM-L6-v2" if head is None else f"all-MiniLM-L6-v2+tuned-from-{first_tuned}",
        [
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["batch", "length"]),
            helper.make_tensor_value_info(ATTENTION_MASK, TensorProto.FLOAT, ["batch", "length"]),
        ],
        outputs,
        g.used_constants(),
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="controlroom"
    )
    onnx.checker.check_model(model)
    return model


def _classifier(g: _Graph, head: TunedHead, unit: str) -> None:
    """Each route's likelihood from the unit vector, scaled as in training."""
    g.constant("head_scale", np.array(head.scale, np.float32))
    g.constant("classify.W", np.ascontiguousarray(head.tensors["classify.weight"].T))
    g.constant("classify.b", head.tensors["classify.bias"])
    scaled = g.node("Mul", [unit, "head_scale"])
    logits = g.node("Add", [g.node("MatMul", [scaled, "classify.W"]), "classify.b"])
    g.node("Softmax", [logits], output=LIKELIHOODS, axis=-1)
