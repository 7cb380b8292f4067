"""Fixtures of the adapter tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from controlroom.adapters.embeddings.encoders import ensure_int8
from controlroom.adapters.embeddings.provision import is_installed
from controlroom.config import Settings


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The installed embedding model (``python3 dev.py test`` installs it); its absence fails
    the tests under CI and skips them elsewhere, saying how to install it."""
    folder = Settings().model_dir
    if not is_installed(folder):
        reason = f"the embedding model is not installed in {folder}: controlroom models install"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return folder


@pytest.fixture(scope="session")
def int8_dir(model_dir: Path) -> Path:
    """The model folder with the published encoder built in 8 bits (``models install`` builds it
    only for a bank without a tuned route head; the tests build it here)."""
    ensure_int8(model_dir)
    return model_dir
