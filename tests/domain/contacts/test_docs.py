"""docs/procedures.md lists every move of every transition table."""

from __future__ import annotations

from pathlib import Path

import pytest

from controlroom.domain.contacts import PROCEDURES, ProcedureName
from controlroom.domain.contacts.procedures import step_label
from controlroom.domain.contacts.procedures.base import ANNOTATIONS, UPDATES

DOC = Path(__file__).resolve().parents[3] / "docs" / "procedures.md"


def _section(name: ProcedureName) -> str:
    headings = {
        ProcedureName.EMERGENCY: "## Emergency procedure",
        ProcedureName.INAPPROPRIATE: "## Inappropriate 999 call procedure",
        ProcedureName.NON_EMERGENCY: "## Non-emergency procedure",
        ProcedureName.SILENT: "## Silent calls",
    }
    text = DOC.read_text(encoding="utf-8")
    start = text.index(headings[name])
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


@pytest.mark.parametrize("name", list(ProcedureName))
def test_every_move_is_documented(name: ProcedureName) -> None:
    section = _section(name)
    rows = {
        " | ".join(cell.strip() for cell in line.strip("|").split("|")[:3])
        for line in section.splitlines()
        if line.startswith("| ")
    }
    moves = {
        f"{state.value} | {action.value} | {step_label(step)}"
        for (state, action), step in PROCEDURES[name].moves.items()
        if action not in ANNOTATIONS + UPDATES
    }
    assert moves <= rows, "moves missing from the docs"
    assert rows - moves == {"From | Action | To"}, "rows the table lacks"
