"""Scenario files: TOML (or JSON, by the ``.json`` suffix) in the ``controlroom.scenario/1``
format of docs/planning.md."""

from __future__ import annotations

import tomllib
from pathlib import Path

from controlroom.adapters.planning_file import read_json, read_text
from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.scenario import Scenario
from controlroom.domain.planning.scenario_data import scenario_from_data


def read_scenario(path: Path) -> Scenario:
    """The scenario in the file at ``path``; errors name the file and the bad field."""
    if path.suffix.lower() == ".json":
        return _named(path, read_json(path))
    text = read_text(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: not TOML: {exc}", field=str(path)) from None
    return _named(path, raw)


def _named(path: Path, raw: object) -> Scenario:
    try:
        return scenario_from_data(raw)
    except InvalidInput as exc:
        raise InvalidInput(f"{path}: {exc.message}", field=str(path), hint=exc.hint) from None
