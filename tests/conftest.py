"""Fixtures shared by every tier of tests."""

from __future__ import annotations

import pytest

from controlroom.adapters.policy_file import load_policy
from controlroom.domain.policy import Policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The seed force's shipped policy (Devon & Cornwall DCP-P-042)."""
    return load_policy("dcp-p-042")
