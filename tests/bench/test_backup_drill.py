"""``bench/backup_drill.py`` runs end to end (a few contacts, SQLite) and prints its table."""

from __future__ import annotations

import pytest
from bench.backup_drill import main


def test_the_drill_prints_a_matching_restore(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", "sqlite", "--contacts", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("| database | contacts | audit rows | file MB | backup s |")
    (row,) = [line for line in out if line.startswith("| sqlite |")]
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert int(cells[1].replace(",", "")) >= 3 and cells[7] == "yes"


def test_bad_usage_exits_2() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--contacts", "0"])
    assert exit_.value.code == 2
