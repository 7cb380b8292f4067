"""Reading a gazetteer CSV: the force's own (``name,lat,lon[,kind][,accuracy_m]``) or the ONS
Postcode Directory's (``pcds``, ``lat``, ``long``, ``doterm``...), told apart by the header.

The whole file is checked before anything is stored: a bad row refuses the file, naming the
line and the column. ONSPD rows for terminated postcodes (``doterm`` set) and for postcodes
without a grid reference (latitude 99.999999) are skipped and counted, as the directory
documents them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from controlroom.domain.errors import InvalidInput
from controlroom.domain.location.gazetteer import (
    PLACE_ACCURACY_M,
    POSTCODE_ACCURACY_M,
    EntryKind,
    GazetteerEntry,
    postcode_key,
)

#: Column names accepted for each field, first match wins (lower case).
NAME_COLUMNS = ("name", "pcds", "pcd", "pcd7", "pcd8", "postcode", "place")
LAT_COLUMNS = ("lat", "latitude")
LON_COLUMNS = ("lon", "long", "lng", "longitude")
#: ONSPD's "no grid reference" latitude.
NO_LOCATION_LAT = 99.999999
FORMAT_HINT = (
    "a header row naming the columns: name,lat,lon (and optionally kind, accuracy_m), "
    "or the ONS Postcode Directory's pcds,lat,long"
)


@dataclass
class GazetteerFile:
    """The entries read from a file and what was skipped."""

    entries: list[GazetteerEntry] = field(default_factory=list)
    terminated: int = 0
    without_location: int = 0


def _column(header: list[str], names: tuple[str, ...], what: str) -> int:
    lowered = [name.strip().lower() for name in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise InvalidInput(
        f"the header has no {what} column (looked for {', '.join(names)})",
        field="line 1",
        hint=FORMAT_HINT,
    )


def _optional(header: list[str], name: str) -> int | None:
    lowered = [column.strip().lower() for column in header]
    return lowered.index(name) if name in lowered else None


def _number(text: str, line: int, column: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInput(
            f"line {line}: {column} {text!r} is not a number",
            field=f"line {line}: {column}",
            hint="a decimal number such as 50.37123",
        )
    return value


def _kind(text: str, name: str, line: int) -> EntryKind:
    if not text.strip():
        return EntryKind.POSTCODE if postcode_key(name) else EntryKind.PLACE
    try:
        kind = EntryKind(text.strip().lower())
    except ValueError:
        raise InvalidInput(
            f"line {line}: kind {text!r} is neither postcode nor place",
            field=f"line {line}: kind",
            hint="postcode or place (or leave it empty)",
        ) from None
    if kind is EntryKind.POSTCODE and postcode_key(name) is None:
        raise InvalidInput(
            f"line {line}: {name!r} is not a UK postcode",
            field=f"line {line}: name",
            hint="a postcode such as PL1 2AB, or kind place",
        )
    return kind


def read_gazetteer(stream: IO[str]) -> GazetteerFile:
    """Every entry of the CSV ``stream``, checked; :class:`InvalidInput` naming the line."""
    rows: Iterator[list[str]] = csv.reader(stream)
    header = next(rows, None)
    if not header:
        raise InvalidInput("the file is empty", field="line 1", hint=FORMAT_HINT)
    at_name = _column(header, NAME_COLUMNS, "name or postcode")
    at_lat = _column(header, LAT_COLUMNS, "latitude")
    at_lon = _column(header, LON_COLUMNS, "longitude")
    at_kind, at_accuracy = _optional(header, "kind"), _optional(header, "accuracy_m")
    at_doterm = _optional(header, "doterm")
    found = GazetteerFile()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise InvalidInput(
                f"line {line}: {len(row)} columns, the header has {len(header)}",
                field=f"line {line}",
                hint="one value per column, quoted when it holds a comma",
            )
        if at_doterm is not None and row[at_doterm].strip():
            found.terminated += 1
            continue
        name = row[at_name].strip()
        lat = _number(row[at_lat], line, header[at_lat].strip())
        lon = _number(row[at_lon], line, header[at_lon].strip())
        if at_doterm is not None and abs(lat - NO_LOCATION_LAT) < 1e-6:
            found.without_location += 1
            continue
        kind = _kind(row[at_kind] if at_kind is not None else "", name, line)
        default = POSTCODE_ACCURACY_M if kind is EntryKind.POSTCODE else PLACE_ACCURACY_M
        accuracy = default
        if at_accuracy is not None and row[at_accuracy].strip():
            accuracy = _number(row[at_accuracy], line, "accuracy_m")
        if kind is EntryKind.POSTCODE:
            name = postcode_key(name) or name
        try:
            found.entries.append(GazetteerEntry(kind, name, lat, lon, accuracy))
        except InvalidInput as exc:
            raise InvalidInput(
                f"line {line}: {exc.message}", field=f"line {line}: {exc.field}", hint=exc.hint
            ) from None
    return found


def read_gazetteer_file(path: Path) -> GazetteerFile:
    """:func:`read_gazetteer` of the UTF-8 file at ``path`` (a BOM is allowed)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror}", field="file", hint="the path of a CSV file"
        ) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            f"{path} is not UTF-8 text", field="file", hint="save the CSV as UTF-8"
        ) from None
    return read_gazetteer(io.StringIO(text, newline=""))
