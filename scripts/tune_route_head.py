#!/usr/bin/env python3
"""Fine-tune the exemplar bank's route head: MiniLM's last three layers and a route classifier.

    .venv/bin/pip install torch==2.13.0       # CPU build; needed here only, never at run time
    .venv/bin/python scripts/tune_route_head.py --cv CV.json   # cross-validated likelihoods
    .venv/bin/python scripts/tune_route_head.py --out FILE.safetensors

The encoder's first three layers stay as published; its last three are trained again, with a
linear layer over the mean of their token states, to tell the four routes apart on the bank's
texts (each labelled with its situation's route). The result is a few megabytes of weights the
policy names with their SHA-256 (``[route_head]`` in the first exemplar file); triage runs them
after the verified encoder's first layers, as one ONNX graph
(:mod:`controlroom.adapters.embeddings.route_head`). ``--first-layer`` trains from another layer
(the file records which). Training is deterministic: one thread, fixed seeds, a fixed number of
epochs.

``--cv`` trains five heads, each without one development fold of the corpus (the bank holds
those rows), and writes every development row's likelihoods from the head that did not see it,
and beside them (``.npz``) the rows' tuned vectors and the bank's from each fold's head: what
``scripts/calibrate_semantic.py --likelihoods`` chooses thresholds on. Rows of the held-back
slice are never trained on.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import numpy as np

try:
    import torch
    import torch.nn.functional as F
    from safetensors.torch import load_file, save_file
    from torch import nn
except ImportError:  # pragma: no cover - a development tool
    sys.exit("this tool needs torch: .venv/bin/pip install torch==2.13.0 (CPU build)")

from controlroom.adapters.embeddings.minilm import LAYERS, TUNED_LAYER
from controlroom.adapters.embeddings.model_files import WEIGHTS, verify
from controlroom.adapters.embeddings.route_head import HEAD_SCALE, bank_digest
from controlroom.adapters.embeddings.wordpiece import WordPiece
from controlroom.adapters.eval_tsv import read_eval_path
from controlroom.config import load_settings
from controlroom.domain.evaluation import parse_split, select, slice_of
from controlroom.domain.policy import Route
from controlroom.triage_setup import loaded_policy

ROOT = Path(__file__).resolve().parent.parent
ROUTES = [route.value for route in Route]
HIDDEN, HEADS = 384, 12
EPOCHS, BATCH, LAYER_RATE, HEAD_RATE, SMOOTHING, DECAY = 6, 32, 1e-4, 1e-2, 0.1, 0.01
_RATES = f"lr={LAYER_RATE},{HEAD_RATE}/ls={SMOOTHING}"


def recipe(first: int) -> str:
    """How a head is trained from layer ``first`` on (kept in its file and CV output)."""
    trained = f"last-{LAYERS - first}-layers+linear/length-batches"
    return f"{trained}/epochs={EPOCHS}/batch={BATCH}/{_RATES}"


LABEL_ROUTE = {
    "emergency": "emergency",
    "non_emergency_police": "police_non_emergency",
    "other_agency": "other_agency",
    "inappropriate": "not_police",
}


class Layer(nn.Module):
    """One BERT layer with the published weights of layer ``index``."""

    def __init__(self, weights: dict[str, Any], index: int) -> None:
        super().__init__()
        p = f"encoder.layer.{index}."

        def linear(name: str) -> nn.Linear:
            w = weights[p + name + ".weight"]
            layer = nn.Linear(w.shape[1], w.shape[0])
            layer.weight.data = w.clone()
            layer.bias.data = weights[p + name + ".bias"].clone()
            return layer

        def norm(name: str) -> nn.LayerNorm:
            layer = nn.LayerNorm(HIDDEN, eps=1e-12)
            layer.weight.data = weights[p + name + ".weight"].clone()
            layer.bias.data = weights[p + name + ".bias"].clone()
            return layer

        self.query = linear("attention.self.query")
        self.key = linear("attention.self.key")
        self.value = linear("attention.self.value")
        self.out = linear("attention.output.dense")
        self.norm1 = norm("attention.output.LayerNorm")
        self.up = linear("intermediate.dense")
        self.down = linear("output.dense")
        self.norm2 = norm("output.LayerNorm")

    def forward(self, x: Any, mask: Any) -> Any:
        b, n, _ = x.shape

        def heads(t: Any) -> Any:
            return t.view(b, n, HEADS, HIDDEN // HEADS).transpose(1, 2)

        q, k, v = heads(self.query(x)), heads(self.key(x)), heads(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(HIDDEN // HEADS)
        scores = scores + (1 - mask)[:, None, None, :] * -1e9
        context = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, HIDDEN)
        x = self.norm1(x + self.out(context))
        return self.norm2(x + self.down(F.gelu(self.up(x))))


class Head(nn.Module):
    def __init__(self, tuned: list[Layer]) -> None:
        super().__init__()
        self.layers = nn.ModuleList(copy.deepcopy(layer) for layer in tuned)
        self.classify = nn.Linear(HIDDEN, len(ROUTES))

    def embed(self, x: Any, mask: Any) -> Any:
        """The tuned encoder's unit vectors (what triage finds the nearest bank texts by)."""
        for layer in self.layers:
            x = layer(x, mask)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return F.normalize(pooled, dim=-1)

    def forward(self, x: Any, mask: Any) -> Any:
        return self.classify(self.embed(x, mask) * HEAD_SCALE)


#: The published names of :class:`Layer`'s parts (how the head file names them).
PUBLISHED = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "out": "attention.output.dense",
    "norm1": "attention.output.LayerNorm",
    "up": "intermediate.dense",
    "down": "output.dense",
    "norm2": "output.LayerNorm",
}


def published_name(name: str) -> str:
    """``query.weight`` -> ``attention.self.query.weight``."""
    part, _, kind = name.partition(".")
    return f"{PUBLISHED[part]}.{kind}"


def _padded(rows: list[Any]) -> tuple[Any, Any]:
    length = max(r.shape[0] for r in rows)
    x = torch.zeros(len(rows), length, HIDDEN)
    mask = torch.zeros(len(rows), length)
    for i, r in enumerate(rows):
        x[i, : r.shape[0]] = r
        mask[i, : r.shape[0]] = 1
    return x, mask


@torch.no_grad()
def states(weights: dict[str, Any], layers: list[Layer], ids: list[list[int]]) -> list[Any]:
    """Each text's token states after the published ``layers`` (entering the tuned ones)."""
    words = weights["embeddings.word_embeddings.weight"]
    positions = weights["embeddings.position_embeddings.weight"]
    kind = weights["embeddings.token_type_embeddings.weight"][0]
    norm = nn.LayerNorm(HIDDEN, eps=1e-12)
    norm.weight.data = weights["embeddings.LayerNorm.weight"]
    norm.bias.data = weights["embeddings.LayerNorm.bias"]
    found: list[Any] = []
    for start in range(0, len(ids), 64):
        chunk = ids[start : start + 64]
        length = max(len(i) for i in chunk)
        tokens = torch.zeros(len(chunk), length, dtype=torch.long)
        mask = torch.zeros(len(chunk), length)
        for row, i in enumerate(chunk):
            tokens[row, : len(i)] = torch.tensor(i)
            mask[row, : len(i)] = 1
        x = norm(words[tokens] + positions[:length] + kind)
        for layer in layers:
            x = layer(x, mask)
        found.extend(x[row, : len(i)].clone() for row, i in enumerate(chunk))
    return found


def train(tuned: list[Layer], rows: list[Any], labels: list[int]) -> Head:
    torch.manual_seed(0)
    shuffle = random.Random(0)
    head = Head(tuned)
    optimiser = torch.optim.AdamW(
        [
            {"params": head.layers.parameters(), "lr": LAYER_RATE},
            {"params": head.classify.parameters(), "lr": HEAD_RATE},
        ],
        weight_decay=DECAY,
    )
    for epoch in range(EPOCHS):
        # texts of like length together (little padding), in a new order every epoch
        order = sorted(range(len(rows)), key=lambda i: rows[i].shape[0] + shuffle.random() * 4)
        batches = [order[start : start + BATCH] for start in range(0, len(order), BATCH)]
        shuffle.shuffle(batches)
        head.train()
        for chosen in batches:
            x, mask = _padded([rows[i] for i in chosen])
            wanted = torch.tensor([labels[i] for i in chosen])
            loss = F.cross_entropy(head(x, mask), wanted, label_smoothing=SMOOTHING)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        print(f"  epoch {epoch + 1}/{EPOCHS}", flush=True)
    head.eval()
    return head


@torch.no_grad()
def likelihoods(head: Head, rows: list[Any]) -> tuple[Any, Any]:
    """Each row's route likelihoods and its unit vector from the tuned layers."""
    found, vectors = [], []
    for start in range(0, len(rows), 64):
        x, mask = _padded(rows[start : start + 64])
        unit = head.embed(x, mask)
        found.append(head.classify(unit * HEAD_SCALE).softmax(-1))
        vectors.append(unit)
    return torch.cat(found).numpy(), torch.cat(vectors).numpy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "eval" / "corpus")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--cv", type=Path, help="write cross-validated likelihoods (JSON)")
    what.add_argument("--out", type=Path, help="write the head trained on the whole bank")
    parser.add_argument(
        "--first-layer",
        type=int,
        default=TUNED_LAYER,
        help=f"the first encoder layer trained again (default {TUNED_LAYER}, what triage runs)",
    )
    args = parser.parse_args(argv)
    first = args.first_layer
    torch.set_num_threads(1)

    settings = load_settings()
    policy = loaded_policy(settings.policy)
    bank = policy.exemplars
    if bank is None:
        sys.exit("the policy has no exemplar bank")
    folder = settings.model_dir
    weights = load_file(str(verify(folder, WEIGHTS)))
    tokenizer = WordPiece.from_file(folder / "vocab.txt")
    layers = [Layer(weights, i) for i in range(LAYERS)]
    tuned = layers[first:]
    entries = bank.entries()
    texts = [text for _, text in entries]
    labels = [ROUTES.index(situation.route.value) for situation, _ in entries]
    held_back = {
        " ".join(r.text.split())
        for r in select(read_eval_path(args.corpus), parse_split("heldback"))
    }
    if clash := [t for t in texts if t in held_back]:
        sys.exit(
            f"{len(clash)} bank texts are held-back corpus rows ({clash[0]!r}...): reword them"
        )
    print(f"{len(texts):,} bank texts: states from the published layers ...", flush=True)
    bank_rows = states(weights, layers[:first], [tokenizer.encode(t, 256) for t in texts])

    if args.out:
        head = train(tuned, bank_rows, labels)
        tensors = {  # "layers.0." is the encoder's layer TUNED_LAYER
            f"layers.{k.split('.', 1)[0]}." + published_name(k.split(".", 1)[1]): v.detach()
            .to(torch.float16)
            .contiguous()
            for k, v in head.layers.state_dict().items()
        }
        tensors["classify.weight"] = head.classify.weight.detach().to(torch.float16)
        tensors["classify.bias"] = head.classify.bias.detach().to(torch.float16)
        metadata = {
            "bank": bank_digest(entries),
            "source_sha256": WEIGHTS.sha256,
            "recipe": recipe(first),
            "first_layer": str(first),
            "routes": ",".join(ROUTES),
            "torch": torch.__version__,
        }
        save_file(tensors, str(args.out), metadata=metadata)
        digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
        print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)\nsha256 = {digest}")
        return 0

    rows = select(read_eval_path(args.corpus), parse_split("dev"))
    row_states = states(weights, layers[:first], [tokenizer.encode(r.text, 256) for r in rows])
    folds = [slice_of(r.text) for r in rows]
    bank_folds = [slice_of(t) for t in texts]
    in_corpus = {" ".join(r.text.split()) for r in rows}
    result: dict[str, dict[str, float]] = {}
    wanted, chances, row_vectors, order = [], [], [], []
    bank_vectors: dict[str, Any] = {}
    for fold in sorted(set(folds)):
        keep = [i for i, t in enumerate(texts) if not (t in in_corpus and bank_folds[i] == fold)]
        print(f"{fold}: training on {len(keep):,} bank texts ...", flush=True)
        head = train(tuned, [bank_rows[i] for i in keep], [labels[i] for i in keep])
        members = [i for i, f in enumerate(folds) if f == fold]
        found, vectors = likelihoods(head, [row_states[i] for i in members])
        bank_vectors[fold] = likelihoods(head, bank_rows)[1]
        row_vectors.append(vectors)
        order.extend(rows[i].text for i in members)
        for i, p in zip(members, found, strict=True):
            result[rows[i].text] = {route: float(x) for route, x in zip(ROUTES, p, strict=True)}
            wanted.append(ROUTES.index(LABEL_ROUTE[rows[i].label.value]))
            chances.append(p)
    found_all, labels_all = np.array(chances), np.array(wanted)
    accuracy = float((found_all.argmax(1) == labels_all).mean())
    print(f"cross-validated accuracy over the four routes: {accuracy:.3f}")
    args.cv.write_text(
        json.dumps({"recipe": recipe(first), "likelihoods": result}), encoding="utf-8"
    )
    # the tuned vectors, for the nearest bank texts: each row's from the head that did not see
    # it (``texts`` gives whose), and the bank's from each fold's head
    np.savez(
        args.cv.with_suffix(".npz"),
        texts=np.array(order),
        rows=np.concatenate(row_vectors),
        **{f"bank-{fold}": v for fold, v in bank_vectors.items()},
    )
    print(f"wrote {len(result):,} rows' likelihoods to {args.cv} and vectors beside it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
