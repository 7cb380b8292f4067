"""The bank's tuned route head: loaded only with the SHA-256 the bank names and only for the bank
it was trained on, one graph giving a text's vector and its route likelihoods in either
precision, kept and checked, and the shipped one current."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from controlroom.adapters.embeddings.minilm import LAYERS, TUNED_LAYER, MiniLM
from controlroom.adapters.embeddings.model_files import WEIGHTS, ModelIntegrityError, verify
from controlroom.adapters.embeddings.route_head import ROUTES, RouteHead, StaleHead, bank_digest
from controlroom.adapters.exemplar_file import parse_bank
from controlroom.adapters.policy_file import load_policy
from controlroom.domain.exemplars import ExemplarBank, RouteHeadFile, Situation
from controlroom.domain.policy import Route
from controlroom.triage_setup import route_head_for

BANK = [
    (
        Situation("knife", "emergency.danger-to-life", Route.EMERGENCY, None, ("a knife",)),
        "a knife",
    ),
    (Situation("bins", "guidance.not-police", Route.NOT_POLICE, None, ("bins",)), "bins"),
]
TEXTS = [
    "there's a man with a knife outside the shop and he's shouting at people",
    "the bins have not been collected for three weeks",
    "x",
]


def _head_file(
    model_dir: Path, target: Path, bank: str, first: int = TUNED_LAYER, named: str | None = None
) -> tuple[Path, str]:
    """A head made of the published layers from ``first`` on and a fixed classifier, saved as
    the tuning tool saves one (``named``: the first layer its metadata names)."""
    published = load_file(str(verify(model_dir, WEIGHTS)))
    tensors = {}
    for offset, index in enumerate(range(first, LAYERS)):
        prefix = f"encoder.layer.{index}."
        for name, value in published.items():
            if name.startswith(prefix):
                tensors[f"layers.{offset}." + name.removeprefix(prefix)] = value.astype(np.float16)
    rng = np.random.default_rng(3)
    tensors["classify.weight"] = (0.1 * rng.normal(size=(len(ROUTES), 384))).astype(np.float16)
    tensors["classify.bias"] = np.zeros(len(ROUTES), np.float16)
    routes = ",".join(r.value for r in ROUTES)
    metadata = {"bank": bank, "routes": routes, "first_layer": named or str(first)}
    save_file(tensors, str(target), metadata=metadata)
    return target, hashlib.sha256(target.read_bytes()).hexdigest()


def _bank(path: Path, digest: str) -> ExemplarBank:
    return ExemplarBank(
        "test", tuple(s for s, _ in BANK), route_head=RouteHeadFile(str(path), digest)
    )


@pytest.mark.parametrize("first", [0, TUNED_LAYER])
def test_one_graph_gives_the_vector_and_the_likelihoods_in_either_precision(
    model_dir: Path, tmp_path: Path, first: int
) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", bank_digest(BANK), first)
    exact = RouteHead(path, digest, BANK, model_dir, precision="float32")
    vectors, chances = exact.likelihoods(TEXTS)
    # a head of the published layers is the published encoder (its weights in half precision)
    reference = MiniLM(model_dir).encode(TEXTS)
    assert (np.sum(vectors * reference, axis=1) > 0.999).all()
    assert chances.shape == (len(TEXTS), len(ROUTES))
    assert np.allclose(chances.sum(axis=1), 1.0, atol=1e-5)
    quick = RouteHead(path, digest, BANK, model_dir)
    close_vectors, close = quick.likelihoods(TEXTS)
    assert (np.sum(close_vectors * vectors, axis=1) > 0.96).all()
    assert np.abs(close - chances).max() < 0.1
    assert (close.argmax(axis=1) == chances.argmax(axis=1)).all()
    # each text is run alone: the same words give the same numbers whatever they come with
    assert np.array_equal(quick.encode(TEXTS[:1])[0], quick.encode(TEXTS)[0])


def test_a_head_whose_hash_differs_is_refused(model_dir: Path, tmp_path: Path) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", bank_digest(BANK))
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        RouteHead(path, "0" * 64, BANK, model_dir)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="not loaded"):
        RouteHead(path, digest, BANK, model_dir)


def test_a_head_that_is_not_whole_or_names_no_layer_is_refused(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    target = tmp_path / "head.safetensors"
    path, digest = _head_file(model_dir, target, bank_digest(BANK), named="9")
    with pytest.raises(ModelIntegrityError, match="names no layer"):
        RouteHead(path, digest, BANK, model_dir)
    # its tensors start at layer 3, its metadata says 2: layer 2's are missing
    path, digest = _head_file(model_dir, target, bank_digest(BANK), named="2")
    with pytest.raises(ModelIntegrityError, match="not whole"):
        RouteHead(path, digest, BANK, model_dir)
    path.write_bytes(b"not a weights file")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ModelIntegrityError, match="cannot be read"):
        RouteHead(path, digest, BANK, model_dir)
    with caplog.at_level(logging.WARNING):
        assert route_head_for(_bank(path, digest), model_dir) is None
    assert "cannot be read" in caplog.text


def test_a_head_trained_on_another_bank_gives_way_to_the_banks_own_model(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", "another bank")
    with pytest.raises(StaleHead, match="retrain"):
        RouteHead(path, digest, BANK, model_dir)
    with caplog.at_level(logging.WARNING):
        assert route_head_for(_bank(path, digest), model_dir) is None
    assert "the bank's own route model run instead" in caplog.text


def test_the_shipped_head_was_trained_on_the_shipped_bank(model_dir: Path) -> None:
    """Editing the bank means training its head again (scripts/tune_route_head.py)."""
    bank = load_policy("dcp-p-042").exemplars
    assert bank is not None and bank.route_head is not None
    head = RouteHead(Path(bank.route_head.path), bank.route_head.sha256, bank.entries(), model_dir)
    _, (danger, shop) = head.classify(
        ["he's got a knife to her throat in the kitchen right now", "what time does Tesco shut"]
    )
    assert max(danger, key=danger.__getitem__) is Route.EMERGENCY
    assert shop[Route.EMERGENCY] < 0.2


def test_the_bank_file_names_its_head_by_file_and_hash(tmp_path: Path) -> None:
    raw = {
        "format": 1,
        "name": "test",
        "situations": [{"id": "bins", "cite": "x", "route": "not_police", "texts": ["bins"]}],
        "route_head": {"file": "head.safetensors", "sha256": "a" * 64},
    }
    bank, problems = parse_bank(raw, tmp_path)
    assert problems == [("route_head.file", "head.safetensors not found beside the bank")]
    assert bank is not None and bank.route_head is None
    (tmp_path / "head.safetensors").write_bytes(b"")
    bank, problems = parse_bank(raw, tmp_path)
    assert problems == [] and bank is not None
    assert bank.route_head == RouteHeadFile(str(tmp_path / "head.safetensors"), "a" * 64)
    raw["route_head"] = {"file": "../elsewhere.safetensors", "sha256": "not a hash"}
    bank, problems = parse_bank(raw, tmp_path)
    assert bank is None
    assert {where for where, _ in problems} == {"route_head.file", "route_head.sha256"}


def test_the_heads_graph_is_kept_checked_and_read_again(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", bank_digest(BANK))
    cache = tmp_path / "models"
    cache.mkdir()
    first = RouteHead(path, digest, BANK, model_dir, cache)
    graph, record = first.cache_files
    assert graph.parent == cache and graph.is_file() and record.is_file()
    kept = graph.read_bytes()
    second = RouteHead(path, digest, BANK, model_dir, cache)
    assert second.cache_files == first.cache_files and graph.read_bytes() == kept
    assert np.array_equal(first.likelihoods(TEXTS)[1], second.likelihoods(TEXTS)[1])
    # a kept graph that does not match its record is not run: it is built again
    tampered = bytearray(kept)
    tampered[len(tampered) // 2] ^= 0xFF
    graph.write_bytes(bytes(tampered))
    with caplog.at_level(logging.WARNING):
        third = RouteHead(path, digest, BANK, model_dir, cache)
    assert "does not match its record" in caplog.text
    assert graph.read_bytes() == kept
    assert np.array_equal(third.likelihoods(TEXTS)[1], first.likelihoods(TEXTS)[1])


def test_without_the_model_the_layer_is_off_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from controlroom.config import Settings
    from controlroom.triage_setup import semantic_layer_for

    policy = load_policy("dcp-p-042")
    with caplog.at_level(logging.WARNING):
        assert semantic_layer_for(Settings(model_dir=tmp_path), policy) is None
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "is off" in warnings[0] and "controlroom models install" in warnings[0]
