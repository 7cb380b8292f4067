"""The 8-bit encoder: built from the verified weights, close to the single-precision one, and
refused (with the slower encoder used instead) when its file is not the one that was built."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

import controlroom.policies
from controlroom.adapters.embeddings.encoders import load_encoder
from controlroom.adapters.embeddings.int8_model import (
    ATTENTION_MASK,
    INPUT_IDS,
    MANIFEST_FILE,
    MODEL_FILE,
    VECTORS,
    MiniLMInt8,
    build_int8,
    is_built,
    verify_int8,
)
from controlroom.adapters.embeddings.minilm import MiniLM, padded
from controlroom.adapters.embeddings.model_files import (
    MODEL_FILES,
    WEIGHTS,
    ModelIntegrityError,
    verify,
)
from controlroom.adapters.embeddings.onnx_graph import build_graph

REFERENCE = Path(__file__).parent / "fixtures" / "minilm_reference.json"
TEXTS = [
    "there's a man with a knife outside the shop and he's shouting at people",
    "my neighbour's music has been too loud every night this week",
    "I think my car was broken into last night, the window is smashed",
    "the bins have not been collected for three weeks",
    "my mum is 85 and she has collapsed and is not breathing",
    "x",
    "help " * 300,
]


@pytest.fixture(scope="module")
def float32(model_dir: Path) -> MiniLM:
    return MiniLM(model_dir)


@pytest.fixture(scope="module")
def int8(int8_dir: Path) -> MiniLMInt8:
    return MiniLMInt8(int8_dir)


def _copy(model_dir: Path, target: Path, *, with_int8: bool = True) -> Path:
    target.mkdir()
    names = [p.name for p in MODEL_FILES] + ([MODEL_FILE, MANIFEST_FILE] if with_int8 else [])
    for name in names:
        shutil.copyfile(model_dir / name, target / name)
    return target


def test_the_graph_computes_what_the_numpy_encoder_computes(
    model_dir: Path, float32: MiniLM
) -> None:
    graph = build_graph(verify(model_dir, WEIGHTS))
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    ids = [float32.token_ids(text) for text in TEXTS]
    tokens, mask = padded(ids, float32.tokenizer.pad)
    (vectors,) = session.run([VECTORS], {INPUT_IDS: tokens, ATTENTION_MASK: mask})
    expected = float32.encode(TEXTS)
    cosines = (np.asarray(vectors) * expected).sum(axis=1)
    assert cosines.min() > 0.9999  # only the word vectors' half precision differs


def test_int8_vectors_are_close_to_single_precision_ones(float32: MiniLM, int8: MiniLMInt8) -> None:
    reference = [row["text"] for row in json.loads(REFERENCE.read_text())["texts"]]
    texts = TEXTS + reference
    cosines = (int8.encode(texts) * float32.encode(texts)).sum(axis=1)
    assert cosines.min() > 0.96
    assert cosines.mean() > 0.985
    assert [int8.token_ids(t) for t in texts] == [float32.token_ids(t) for t in texts]


def test_int8_vectors_are_unit_length_in_order_and_rank_situations(int8: MiniLMInt8) -> None:
    batch = int8.encode(TEXTS)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    for text, vector in zip(TEXTS, batch, strict=True):  # the same words, the same vector
        assert np.array_equal(int8.encode([text, "an unrelated text"])[0], vector)
    knife, stabbing, bins = int8.encode(
        ["he is waving a knife at people", "someone is threatening to stab me", "bin collection"]
    )
    assert float(knife @ stabbing) > float(knife @ bins) + 0.2


def test_the_build_is_repeatable_and_recorded(int8_dir: Path, tmp_path: Path) -> None:
    folder = _copy(int8_dir, tmp_path / "model", with_int8=False)
    assert not is_built(folder)
    build_int8(folder)
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    installed = json.loads((int8_dir / MANIFEST_FILE).read_text())
    assert manifest["source_sha256"] == WEIGHTS.sha256
    if manifest["libraries"] == installed["libraries"]:
        assert manifest["sha256"] == installed["sha256"]  # the same libraries, the same file
    assert verify_int8(folder) == folder / MODEL_FILE
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in MODEL_FILES] + [MODEL_FILE, MANIFEST_FILE]
    )  # no staging left behind


def test_a_tampered_int8_file_is_refused_and_the_slower_encoder_runs(
    int8_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(int8_dir, tmp_path / "model")
    data = bytearray((folder / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0x01
    (folder / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="it was not loaded"):
        MiniLMInt8(folder)
    encoder, why = load_encoder(folder)
    assert isinstance(encoder, MiniLM)
    assert why is not None and "it was not loaded" in why and "slower" in why


def test_an_int8_file_built_from_other_weights_is_refused(int8_dir: Path, tmp_path: Path) -> None:
    folder = _copy(int8_dir, tmp_path / "model")
    manifest = json.loads((folder / MANIFEST_FILE).read_text())
    manifest["source_sha256"] = "0" * 64
    (folder / MANIFEST_FILE).write_text(json.dumps(manifest))
    with pytest.raises(ModelIntegrityError, match="another source or recipe"):
        verify_int8(folder)


def test_without_the_int8_file_the_slower_encoder_runs_and_says_how_to_mend_it(
    model_dir: Path, tmp_path: Path
) -> None:
    folder = _copy(model_dir, tmp_path / "model", with_int8=False)
    encoder, why = load_encoder(folder)
    assert isinstance(encoder, MiniLM)
    assert why is not None and "controlroom models install" in why


def test_without_the_published_model_nothing_loads(tmp_path: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="controlroom models install"):
        load_encoder(tmp_path)


def test_install_keeps_the_banks_caches_and_removes_stale_ones(
    int8_dir: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from controlroom.cli import main

    folder = _copy(int8_dir, tmp_path / "model")
    stale = [
        folder / "exemplars-000000000000000000000000.npy",
        folder / "route-model-0.npy",
        folder / "route-head-0-tuned-graph-1-int8.onnx",
        # every shipped bank has its tuned head: the published 8-bit encoder is not needed
        folder / MODEL_FILE,
        folder / MANIFEST_FILE,
    ]
    for path in stale[:3]:
        path.write_bytes(b"made for a bank no longer in use")
    result = CliRunner().invoke(main, ["models", "install", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    assert "5 cache files of earlier banks or encoders removed" in result.output
    assert not any(path.exists() for path in stale)
    caches = ("exemplars-*", "route-*")
    kept = sorted(p.name for pattern in caches for p in folder.glob(pattern))
    # the shipped bank's vectors by its tuned head, and the head's graph with its record
    assert [name.rsplit(".", 1)[1] for name in kept] == ["npy", "json", "onnx"], kept
    again = CliRunner().invoke(main, ["models", "install", "--dir", str(folder)])
    assert "removed" not in again.output and "8-bit encoder built" not in again.output
    assert sorted(p.name for pattern in caches for p in folder.glob(pattern)) == kept
    checked = CliRunner().invoke(main, ["models", "check", "--dir", str(folder)])
    assert checked.exit_code == 0, checked.output


SMALL_BANK = """
format = 1
name = "a bank without a tuned route head"
[[situations]]
id = "knife"
cite = "emergency.danger-to-life"
route = "emergency"
texts = ["he has a knife and says he will stab me"]
[[situations]]
id = "theft"
cite = "guidance.report"
route = "police_non_emergency"
texts = ["my bike was stolen last week"]
[[situations]]
id = "noise"
cite = "guidance.not-police"
route = "other_agency"
agency = "council"
texts = ["the neighbours play loud music every night"]
[[situations]]
id = "chips"
cite = "inappropriate.definition"
route = "not_police"
texts = ["my chips were cold"]
"""


def test_install_builds_the_published_encoder_for_a_bank_without_its_head(
    model_dir: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from controlroom.cli import main

    folder = _copy(model_dir, tmp_path / "model", with_int8=False)
    shipped = Path(controlroom.policies.__file__).parent
    shutil.copytree(shipped / "rulebooks", tmp_path / "rulebooks")
    (tmp_path / "bank.toml").write_text(SMALL_BANK, encoding="utf-8")
    policy = (shipped / "dcp-p-042.toml").read_text(encoding="utf-8")
    shipped_banks = 'exemplars = ["exemplars/uk-english.toml", "exemplars/uk-english-calls.toml"]'
    assert shipped_banks in policy
    (tmp_path / "policy.toml").write_text(
        policy.replace(shipped_banks, 'exemplars = ["bank.toml"]'), encoding="utf-8"
    )
    env = {"CONTROLROOM_POLICY": str(tmp_path / "policy.toml")}
    result = CliRunner().invoke(main, ["models", "install", "--dir", str(folder)], env=env)
    assert result.exit_code == 0, result.output
    assert "8-bit encoder built" in result.output
    assert is_built(folder)
    assert len(list(folder.glob("route-model-*.npy"))) == 1  # the small bank's own route model


def test_doctor_checks_the_8_bit_encoder_only_where_it_is_built(
    int8_dir: Path, tmp_path: Path
) -> None:
    from controlroom.adapters.doctor_probes import probe_model
    from controlroom.domain.doctor import Level

    without = _copy(int8_dir, tmp_path / "without", with_int8=False)
    assert probe_model(without, "int8").level is Level.OK
    built = _copy(int8_dir, tmp_path / "built")
    (built / MODEL_FILE).write_bytes(b"not the file that was built")
    finding = probe_model(built, "int8")
    assert finding.level is Level.FAIL and "controlroom models install" in finding.fix
