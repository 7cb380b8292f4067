"""The policy's ``[wrap_up] seconds``: how long an ended contact stays in its handler's queue."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from controlroom.adapters.policy_file import load_policy, load_policy_file
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.domain.policy import WrapUp
from controlroom.domain.policy_checks import validate_policy
from tests.adapters.test_policy_escalation import FIXTURES, _policy_with


@pytest.mark.parametrize("name", ["dcp-p-042", "example-shire"])
def test_the_shipped_policies_set_a_minute(name: str) -> None:
    assert load_policy(name).wrap_up == WrapUp(60)


def test_left_out_it_is_60_seconds(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "rulebook.toml", tmp_path / "rulebook.toml")
    shutil.copy(FIXTURES / "policy.toml", tmp_path / "policy.toml")
    assert load_policy_file(tmp_path / "policy.toml").wrap_up == WrapUp(60)


@pytest.mark.parametrize("seconds", [0, 20, 600])
def test_a_force_sets_its_own(tmp_path: Path, seconds: int) -> None:
    path = _policy_with(tmp_path, f"[wrap_up]\nseconds = {seconds}")
    assert load_policy_file(path).wrap_up.seconds == seconds


@pytest.mark.parametrize(
    ("value", "words"),
    [("-1", "greater than or equal to 0"), ("601", "less than or equal to 600"), ('"60"', "")],
)
def test_a_bad_value_names_the_field(tmp_path: Path, value: str, words: str) -> None:
    path = _policy_with(tmp_path, f"[wrap_up]\nseconds = {value}")
    with pytest.raises(PolicyFileError) as caught:
        load_policy_file(path)
    assert "wrap_up.seconds" in str(caught.value)
    assert words in str(caught.value) and "Traceback" not in str(caught.value)


def test_the_domain_check_refuses_it_out_of_range() -> None:
    policy = load_policy("dcp-p-042")
    for seconds in (-1, 601):
        problems = validate_policy(replace(policy, wrap_up=WrapUp(seconds)))
        assert problems == [f"wrap_up.seconds: {seconds} is not 0-600 seconds"], problems
