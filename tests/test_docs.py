"""The documentation is checked against the code it describes."""

from __future__ import annotations

import re
from pathlib import Path

from controlroom.cli import COMMANDS
from controlroom.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_documented() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields:
        assert f"`CONTROLROOM_{name.upper()}`" in text, name


def test_the_quick_start_has_exactly_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    commands = [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["python3 dev.py serve", "python3 dev.py test"]


def test_the_ci_script_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 dev.py test" in ci
    assert "python3 dev.py lint" in ci
    assert "python3 scripts/smoke_install.py" in ci


def test_documented_commands_exist() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    for command in set(re.findall(r"controlroom ([a-z]+)", text)):
        assert command in COMMANDS, command


def test_documented_links_resolve() -> None:
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
