"""docs/nuisance.md lists every move of the ladder's table and every threshold's default."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from controlroom.domain.nuisance import MOVES, NuisanceRules

DOC = Path(__file__).resolve().parents[3] / "docs" / "nuisance.md"


def _rows(heading: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(heading)
    table = text[start:].split("\n\n", 2)[1]
    return {
        " | ".join(cell.strip() for cell in line.strip().strip("|").split("|"))
        for line in table.splitlines()
        if line.startswith("| ") and not line.startswith("|---")
    }


def test_every_move_is_documented() -> None:
    rows = _rows("The transition table (`MOVES`)")
    moves = {f"{s.value} | {a.value} | {t.value}" for (s, a), t in MOVES.items()}
    assert rows - {"From | Action | To"} == moves


def test_every_threshold_and_default_is_documented() -> None:
    rows = _rows("The thresholds and their defaults:")
    defaults = NuisanceRules()
    documented = {row.split(" | ")[0]: row.split(" | ")[1] for row in rows}
    for item in fields(NuisanceRules):
        value = getattr(defaults, item.name)
        shown = str(value).lower() if isinstance(value, bool) else str(value)
        assert documented.get(f"`{item.name}`") == shown, item.name
