"""``controlroom location gazetteer-import`` and ``gazetteer-search``: a CSV imported whole
into the configured database (or refused whole, naming the line), then searched."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from controlroom.cli import main

OWN = (
    "name,lat,lon,kind,accuracy_m\nPL1 2AB,50.36801,-4.13741,,\n"
    "Plymouth Hoe,50.3641,-4.1419,place,300\n"
)
ONSPD = (
    "pcds,doterm,lat,long\nEX1 1AA,,50.7236,-3.5275\nEX1 9ZZ,200912,50.72,-3.52\n"
    "EX1 9ZY,,99.999999,0.000000\n"
)


def run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"CONTROLROOM_DATABASE_URL": url})
    return result.exit_code, result.stdout, result.stderr


def test_import_then_search(database_url: str, tmp_path: Path) -> None:
    own, ons = tmp_path / "own.csv", tmp_path / "onspd.csv"
    own.write_text(OWN)
    ons.write_text(ONSPD)
    code, out, _ = run(database_url, "location", "gazetteer-import", str(own))
    assert code == 0 and json.loads(out)["imported"] == 2
    code, out, _ = run(database_url, "location", "gazetteer-import", str(ons), "--source", "ONSPD")
    assert code == 0
    assert json.loads(out) == {
        "imported": 1,
        "skipped_terminated": 1,
        "skipped_without_location": 1,
        "entries_in_gazetteer": 3,
    }
    code, out, _ = run(database_url, "location", "gazetteer-search", "ex1")
    assert code == 0
    assert [r["name"] for r in json.loads(out)["results"]] == ["EX1 1AA"]
    code, out, _ = run(database_url, "location", "gazetteer-search", "plymouth")
    assert json.loads(out)["results"][0]["accuracy_m"] == 300.0


def test_a_bad_file_is_refused_whole(database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon\nPL1 2AB,50.36,-4.13\nPL1 2AC,fifty,-4.13\n")
    code, _, err = run(database_url, "location", "gazetteer-import", str(bad))
    assert code == 2
    error = json.loads(err)["error"]
    assert error["field"] == "line 3: lat" and "'fifty' is not a number" in error["message"]
    code, out, _ = run(database_url, "location", "gazetteer-search", "PL1")
    assert json.loads(out)["results"] == []
