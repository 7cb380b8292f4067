"""The policy file's ``[retention]`` table: read, and each mistake named with its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.adapters.retention_config import load_retention_policy
from controlroom.domain.retention import Action, Kind

GOOD = """\
[retention]
contacts = { after_days = 730, action = "anonymise" }
contacts_with_incident = { after_days = 2192, action = "anonymise" }
free_text = { after_days = 365, action = "anonymise" }
nuisance_cases = { after_days = 1096, action = "delete" }
audit = { after_days = 2557, action = "keep" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "force.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["dcp-p-042", "example-shire"])
def test_both_shipped_policies_set_every_period(name: str) -> None:
    policy = load_retention_policy(name)
    assert policy is not None
    assert set(policy.rules) == set(Kind)
    assert policy.rule(Kind.AUDIT).action is Action.KEEP


def test_a_file_without_the_table_has_no_retention(tmp_path: Path) -> None:
    assert load_retention_policy(write(tmp_path, "format = 1\n")) is None


def test_a_good_table(tmp_path: Path) -> None:
    policy = load_retention_policy(write(tmp_path, GOOD))
    assert policy is not None
    assert policy.rule(Kind.NUISANCE_CASES).after_days == 1096


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'free_text = { after_days = 365, action = "anonymise" }\n',
            "",
            "force.toml: retention.free_text: missing: give after_days and action for it",
        ),
        (
            "after_days = 730,",
            "after_days = 0,",
            "force.toml: retention.contacts.after_days: input should be greater than or equal to 1",
        ),
        (
            "after_days = 730,",
            'after_days = "two years",',
            "force.toml: retention.contacts.after_days: input should be a valid integer",
        ),
        (
            'action = "keep"',
            'action = "shred"',
            "force.toml: retention.audit.action: must be 'delete', 'anonymise' or 'keep'",
        ),
        (
            'audit = { after_days = 2557, action = "keep" }',
            'audit = { after_days = 2557, action = "delete" }',
            "force.toml: retention.audit.action: 'delete' is not possible for audit; use 'keep'",
        ),
        (
            'nuisance_cases = { after_days = 1096, action = "delete" }',
            'nuisance_cases = { after_days = 1096, action = "anonymise" }',
            "force.toml: retention.nuisance_cases.action: 'anonymise' is not possible for "
            "nuisance_cases; use 'delete'",
        ),
        (
            "nuisance_cases =",
            "nuisance_case =",
            "force.toml: retention.nuisance_case: unknown key; did you mean 'nuisance_cases'?",
        ),
        (
            "after_days = 365,",
            "after_days = 800,",
            "force.toml: retention: free_text.after_days must not be longer than contacts",
        ),
    ],
)
def test_mistakes_are_named_with_their_field(
    tmp_path: Path, old: str, new: str, problem: str
) -> None:
    assert old in GOOD
    with pytest.raises(PolicyFileError) as caught:
        load_retention_policy(write(tmp_path, GOOD.replace(old, new)))
    lines = str(caught.value).splitlines()
    assert any(problem in line for line in lines), lines


def test_the_table_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="retention: must be a table"):
        load_retention_policy(write(tmp_path, 'retention = "forever"\n'))
