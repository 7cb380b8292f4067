"""Fixtures for contact tests: a hand-built policy, actors and a clock."""

from __future__ import annotations

import pytest

from controlroom.domain.contacts import Actor, Role
from controlroom.domain.policy import Policy
from tests.domain.contacts.helpers import Clock
from tests.domain.contacts.policy_builder import build_policy


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The hand-built test policy (the shipped one is tested in test_shipped_policy.py)."""
    return build_policy()


@pytest.fixture
def clock() -> Clock:
    """A clock the test moves by hand."""
    return Clock()


@pytest.fixture
def handler() -> Actor:
    """A call handler."""
    return Actor("handler-1", Role.CALL_HANDLER)


@pytest.fixture
def supervisor() -> Actor:
    """A supervisor."""
    return Actor("supervisor-1", Role.SUPERVISOR)
