"""Reading gazetteer CSV files: the force's own format and the ONS Postcode Directory's,
every row checked before anything is stored, errors naming the line and column."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from controlroom.adapters.gazetteer_csv import read_gazetteer, read_gazetteer_file
from controlroom.domain.errors import InvalidInput
from controlroom.domain.location.gazetteer import EntryKind, GazetteerEntry

PC, PLACE = EntryKind.POSTCODE, EntryKind.PLACE


@pytest.mark.parametrize(
    ("text", "entries"),
    [
        (
            "name,lat,lon\npl12ab,50.36801,-4.13741\nPlymouth Hoe,50.3641,-4.1419\n",
            [
                GazetteerEntry(PC, "PL1 2AB", 50.36801, -4.13741, 100.0),
                GazetteerEntry(PLACE, "Plymouth Hoe", 50.3641, -4.1419, 1000.0),
            ],
        ),
        (
            "Name,Latitude,Longitude,Kind,accuracy_m\n"
            '"Hoe, The",50.3641,-4.1419,place,250\nEX1 1AA,50.72,-3.53,postcode,\n',
            [
                GazetteerEntry(PLACE, "Hoe, The", 50.3641, -4.1419, 250.0),
                GazetteerEntry(PC, "EX1 1AA", 50.72, -3.53, 100.0),
            ],
        ),
        (  # a place that looks like nothing in particular, blank lines ignored
            "place,lat,lng\n\nDartmoor,50.57,-3.92\n",
            [GazetteerEntry(PLACE, "Dartmoor", 50.57, -3.92, 1000.0)],
        ),
    ],
)
def test_the_forces_own_format(text: str, entries: list[GazetteerEntry]) -> None:
    assert read_gazetteer(io.StringIO(text)).entries == entries


ONSPD = (
    "pcd,pcd2,pcds,dointr,doterm,oseast1m,osnrth1m,osgrdind,lat,long\n"
    "PL1 2AB,PL1  2AB,PL1 2AB,198001,,247700,54400,1,50.368010,-4.137410\n"
    "PL1 9ZZ,PL1  9ZZ,PL1 9ZZ,198001,200912,247700,54400,1,50.368010,-4.137410\n"
    "PL1 9ZY,PL1  9ZY,PL1 9ZY,199001,,,,9,99.999999,0.000000\n"
)


def test_the_ons_postcode_directory_skips_terminated_and_unlocated_postcodes() -> None:
    found = read_gazetteer(io.StringIO(ONSPD))
    assert found.entries == [GazetteerEntry(PC, "PL1 2AB", 50.36801, -4.13741, 100.0)]
    assert (found.terminated, found.without_location) == (1, 1)


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("", "line 1", "empty"),
        ("postcode,x,y\n", "line 1", "no latitude column"),
        ("name,lat\n", "line 1", "no longitude column"),
        ("name,lat,lon\nPL1 2AB,abc,-4.1\n", "line 2: lat", "'abc' is not a number"),
        ("name,lat,lon\nPL1 2AB,nan,-4.1\n", "line 2: lat", "is not a number"),
        ("name,lat,lon\nA,50,-4\nB,95,-4\n", "line 3: lat", "out of range"),
        ("name,lat,lon\nA,50\n", "line 2", "2 columns, the header has 3"),
        ("name,lat,lon,kind\nA,50,-4,street\n", "line 2: kind", "neither postcode nor place"),
        ("name,lat,lon,kind\nHoe,50,-4,postcode\n", "line 2: name", "not a UK postcode"),
        ("name,lat,lon\n,50,-4\n", "line 2: name", "1-200 characters"),
        ("name,lat,lon,accuracy_m\nA,50,-4,-1\n", "line 2: accuracy_m", "out of range"),
    ],
)
def test_a_bad_file_is_refused_naming_the_line(text: str, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_gazetteer(io.StringIO(text))
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.hint


def test_a_file_is_read_as_utf8_with_or_without_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "places.csv"
    path.write_bytes("\ufeffname,lat,lon\nSt Ives Bay,50.2,-5.45\n".encode())
    assert read_gazetteer_file(path).entries[0].name == "St Ives Bay"
    path.write_bytes(b"name,lat,lon\n\xff,50,-4\n")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        read_gazetteer_file(path)
    with pytest.raises(InvalidInput, match="cannot read"):
        read_gazetteer_file(tmp_path / "missing.csv")
