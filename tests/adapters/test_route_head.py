"""The bank's tuned route head: loaded only with the SHA-256 the bank names and only for the bank
it was trained on, the same likelihoods from either encoder, and the shipped one current."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from controlroom.adapters.embeddings.int8_model import MiniLMInt8, is_built
from controlroom.adapters.embeddings.minilm import LAYERS, MiniLM
from controlroom.adapters.embeddings.model_files import WEIGHTS, ModelIntegrityError, verify
from controlroom.adapters.embeddings.route_head import (
    ROUTES,
    TUNED_LAYER,
    RouteHead,
    StaleHead,
    bank_digest,
)
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
    model_dir: Path, target: Path, bank: str, first: int = TUNED_LAYER
) -> tuple[Path, str]:
    """A head made of the published last layers and a fixed classifier, saved as the tuning
    tool saves one."""
    published = load_file(str(verify(model_dir, WEIGHTS)))
    tensors = {}
    for offset, index in enumerate(range(TUNED_LAYER, LAYERS)):
        prefix = f"encoder.layer.{index}."
        for name, value in published.items():
            if name.startswith(prefix):
                tensors[f"layers.{offset}." + name.removeprefix(prefix)] = value.astype(np.float16)
    rng = np.random.default_rng(3)
    tensors["classify.weight"] = (0.1 * rng.normal(size=(len(ROUTES), 384))).astype(np.float16)
    tensors["classify.bias"] = np.zeros(len(ROUTES), np.float16)
    routes = ",".join(r.value for r in ROUTES)
    metadata = {"bank": bank, "routes": routes, "first_layer": str(first)}
    save_file(tensors, str(target), metadata=metadata)
    return target, hashlib.sha256(target.read_bytes()).hexdigest()


def test_likelihoods_are_the_same_from_either_encoder(model_dir: Path, tmp_path: Path) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", bank_digest(BANK))
    head = RouteHead(path, digest, BANK)
    _, float_states = MiniLM(model_dir).encode_with_states(TEXTS, TUNED_LAYER)
    found = head.likelihoods(float_states)
    assert found.shape == (len(TEXTS), len(ROUTES))
    assert np.allclose(found.sum(axis=1), 1.0, atol=1e-5)
    if not is_built(model_dir):
        pytest.fail("the 8-bit encoder is not built: controlroom models install", pytrace=False)
    _, int8_states = MiniLMInt8(model_dir).encode_with_states(TEXTS, TUNED_LAYER)
    # the 8-bit states are within cosine 0.99 of the single-precision ones
    close = head.likelihoods(int8_states)
    assert np.abs(close - found).max() < 0.1
    assert (close.argmax(axis=1) == found.argmax(axis=1)).all()


def test_a_head_whose_hash_differs_is_refused(model_dir: Path, tmp_path: Path) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", bank_digest(BANK))
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        RouteHead(path, "0" * 64, BANK)
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="not loaded"):
        RouteHead(path, digest, BANK)


def test_a_head_that_is_not_one_for_this_version_is_refused(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", bank_digest(BANK), 5)
    with pytest.raises(ModelIntegrityError, match="another layer"):
        RouteHead(path, digest, BANK)
    path.write_bytes(b"not a weights file")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(ModelIntegrityError, match="cannot be read"):
        RouteHead(path, digest, BANK)
    bank = ExemplarBank(
        "test", tuple(s for s, _ in BANK), route_head=RouteHeadFile(str(path), digest)
    )
    with caplog.at_level(logging.WARNING):
        assert route_head_for(bank) is None
    assert "cannot be read" in caplog.text


def test_a_head_trained_on_another_bank_gives_way_to_the_banks_own_model(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", "another bank")
    with pytest.raises(StaleHead, match="retrain"):
        RouteHead(path, digest, BANK)
    bank = ExemplarBank(
        "test", tuple(s for s, _ in BANK), route_head=RouteHeadFile(str(path), digest)
    )
    with caplog.at_level(logging.WARNING):
        assert route_head_for(bank) is None
    assert "the bank's own route model runs instead" in caplog.text


def test_the_shipped_head_was_trained_on_the_shipped_bank(model_dir: Path) -> None:
    """Editing the bank means training its head again (scripts/tune_route_head.py)."""
    bank = load_policy("dcp-p-042").exemplars
    assert bank is not None and bank.route_head is not None
    head = RouteHead(Path(bank.route_head.path), bank.route_head.sha256, bank.entries())
    _, states = MiniLM(model_dir).encode_with_states(
        ["he's got a knife to her throat in the kitchen right now", "what time does Tesco shut"],
        TUNED_LAYER,
    )
    danger, shop = head.per_route(states)
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


def test_the_heads_8_bit_graph_is_kept_and_read_again(model_dir: Path, tmp_path: Path) -> None:
    path, digest = _head_file(model_dir, tmp_path / "head.safetensors", bank_digest(BANK))
    cache = tmp_path / "models"
    cache.mkdir()
    first = RouteHead(path, digest, BANK, cache)
    assert first.cache_file is not None and first.cache_file.parent == cache
    kept = first.cache_file.read_bytes()
    second = RouteHead(path, digest, BANK, cache)
    assert second.cache_file == first.cache_file and first.cache_file.read_bytes() == kept
    _, states = MiniLM(model_dir).encode_with_states(TEXTS, TUNED_LAYER)
    assert np.array_equal(first.likelihoods(states), second.likelihoods(states))
