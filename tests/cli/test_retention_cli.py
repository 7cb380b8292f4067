"""``controlroom policy check`` reads the ``[retention]`` table: its periods in the summary, and
each mistake as one ``FILE: retention.field: problem`` line with exit 3."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from controlroom.adapters.policy_file import shipped_policies
from controlroom.cli import main


def check(path: Path | str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["policy", "check", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def copy_of_shipped(tmp_path: Path) -> Path:
    """The shipped policy copied with its rulebook and exemplars (paths are relative)."""
    source = shipped_policies()["example-shire"]
    target = tmp_path / "policies"
    shutil.copytree(source.parent, target)
    return target / source.name


def test_check_shows_the_periods() -> None:
    code, out, err = check(shipped_policies()["dcp-p-042"])
    assert code == 0, err
    assert "retention:  contacts 730 d anonymise, " in out
    assert "audit 2557 d keep" in out


def test_check_names_a_wrong_retention_field(tmp_path: Path) -> None:
    path = copy_of_shipped(tmp_path)
    text = path.read_text().replace(
        'audit = { after_days = 2557, action = "keep" }',
        'audit = { after_days = 2557, action = "delete" }',
    )
    path.write_text(text)
    code, _, err = check(path)
    assert code == 3
    assert f"{path}: retention.audit.action: 'delete' is not possible for audit; use 'keep'" in err
