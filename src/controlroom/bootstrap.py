"""The composition root: builds the policy and services the interfaces use."""

from __future__ import annotations

from functools import lru_cache

from controlroom.adapters.policy_file import load_policy
from controlroom.config import Settings
from controlroom.domain.policy import Policy


@lru_cache(maxsize=8)
def _policy(reference: str) -> Policy:
    return load_policy(reference)


def policy_for(settings: Settings) -> Policy:
    """The force policy the settings name, loaded once per process."""
    return _policy(settings.policy)
