"""The gazetteer in the database: imported whole, replaced by key, found by postcode and by
the start of a postcode or name."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from controlroom.adapters.db.gazetteer import SqlGazetteer
from controlroom.domain.location.gazetteer import EntryKind, GazetteerEntry

PC, PLACE = EntryKind.POSTCODE, EntryKind.PLACE
ENTRIES = [
    GazetteerEntry(PC, "PL1 2AB", 50.36801, -4.13741, 100.0),
    GazetteerEntry(PC, "PL1 1AA", 50.37, -4.14, 60.0),
    GazetteerEntry(PC, "PL12 6AA", 50.41, -4.22, 100.0),
    GazetteerEntry(PLACE, "Plymouth", 50.3755, -4.1427, 3000.0),
    GazetteerEntry(PLACE, "Plymouth Hoe", 50.3641, -4.1419, 300.0),
    GazetteerEntry(PLACE, "Plympton", 50.3868, -4.0513, 1000.0),
    GazetteerEntry(PLACE, "100% Field_Name", 50.0, -4.0, 10.0),
]


@pytest.fixture
def gazetteer(database_engine: Engine) -> SqlGazetteer:
    found = SqlGazetteer(database_engine)
    assert found.replace(ENTRIES, source="test.csv") == len(ENTRIES)
    return found


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("PL1 2AB", "PL1 2AB"),
        ("pl12ab", "PL1 2AB"),
        (" pl1  2ab ", "PL1 2AB"),
        ("PL1 2AC", None),
        ("Plymouth", None),
    ],
)
def test_a_postcode_is_found_however_it_is_typed(
    gazetteer: SqlGazetteer, typed: str, expected: str | None
) -> None:
    found = gazetteer.postcode(typed)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize(
    ("typed", "names"),
    [
        ("plym", ["Plymouth", "Plymouth Hoe", "Plympton"]),
        ("Plymouth", ["Plymouth", "Plymouth Hoe"]),
        ("plymouth hoe", ["Plymouth Hoe"]),
        ("PL1", ["PL1 1AA", "PL1 2AB", "PL12 6AA"]),
        ("pl1 ", ["PL1 1AA", "PL1 2AB", "PL12 6AA"]),
        ("PL1 2", ["PL1 2AB"]),
        ("pl12ab", ["PL1 2AB"]),
        ("100%", ["100% Field_Name"]),
        ("1%", []),
        ("_", []),
        ("exeter", []),
        ("   ", []),
    ],
)
def test_search_finds_the_start_of_a_postcode_or_a_name(
    gazetteer: SqlGazetteer, typed: str, names: list[str]
) -> None:
    assert [entry.name for entry in gazetteer.search(typed)] == names


def test_an_exact_match_comes_first_and_the_limit_applies(gazetteer: SqlGazetteer) -> None:
    assert gazetteer.search("plymouth", limit=1)[0].name == "Plymouth"
    assert len(gazetteer.search("pl", limit=2)) == 2


def test_importing_again_replaces_entries_by_key(gazetteer: SqlGazetteer) -> None:
    moved = GazetteerEntry(PC, "pl1 2ab", 50.4, -4.2, 50.0)
    assert gazetteer.replace([moved], source="newer.csv") == 1
    found = gazetteer.postcode("PL1 2AB")
    assert found is not None and (found.lat, found.accuracy_m) == (50.4, 50.0)
    assert gazetteer.count() == len(ENTRIES)


def test_an_import_is_all_or_nothing(gazetteer: SqlGazetteer) -> None:
    class Broken:
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield GazetteerEntry(PLACE, "Tavistock", 50.55, -4.14, 1000.0)
            raise OSError("the file went away")

    with pytest.raises(OSError):
        gazetteer.replace(Broken(), source="broken.csv")
    assert gazetteer.search("tavistock") == []
    assert gazetteer.count() == len(ENTRIES)


def test_a_second_instance_sees_the_import(database_engine: Engine) -> None:
    SqlGazetteer(database_engine).replace(ENTRIES[:1], source="a.csv")
    assert SqlGazetteer(database_engine).postcode("PL1 2AB") is not None
