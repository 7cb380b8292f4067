"""The force's gazetteer in the ``gazetteer`` table, shared by every instance using the database.

An import is one transaction: every entry is written, or none is. An entry already there
(the same kind and key) is replaced, so importing a newer edition of a file updates it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, delete, func, insert, or_, select

from controlroom.adapters.db.engine import read_only_options, writer_lock
from controlroom.adapters.db.tables import gazetteer
from controlroom.domain.location.gazetteer import (
    EntryKind,
    GazetteerEntry,
    postcode_key,
    search_key,
)

_T = gazetteer
#: Rows written per statement during an import.
BATCH = 2000
MAX_RESULTS = 50


def _entry(row: Any) -> GazetteerEntry:
    return GazetteerEntry(EntryKind(row.kind), row.name, row.lat, row.lon, row.accuracy_m)


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


class SqlGazetteer:
    """Postcodes and places in the database behind ``engine``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._lock = writer_lock(engine)

    def replace(self, entries: Iterable[GazetteerEntry], *, source: str) -> int:
        """Store ``entries`` (replacing any with the same kind and key) in one transaction;
        how many were written."""
        unique = {(entry.kind, entry.key): entry for entry in entries}
        rows = [
            {
                "kind": kind.value,
                "key": key,
                "name": entry.name,
                "lat": entry.lat,
                "lon": entry.lon,
                "accuracy_m": entry.accuracy_m,
                "source": source,
            }
            for (kind, key), entry in unique.items()
        ]
        if self._lock is not None:
            self._lock.acquire()
        try:
            with self.engine.begin() as connection:
                for start in range(0, len(rows), BATCH):
                    batch = rows[start : start + BATCH]
                    for kind in {row["kind"] for row in batch}:
                        keys = [row["key"] for row in batch if row["kind"] == kind]
                        connection.execute(delete(_T).where(_T.c.kind == kind, _T.c.key.in_(keys)))
                    connection.execute(insert(_T), batch)
        finally:
            if self._lock is not None:
                self._lock.release()
        return len(rows)

    def postcode(self, text: str) -> GazetteerEntry | None:
        """The entry for the postcode ``text`` (any spacing or case), or None."""
        key = postcode_key(text)
        if key is None:
            return None
        query = select(_T).where(_T.c.kind == EntryKind.POSTCODE.value, _T.c.key == key)
        rows = self._read(query)
        return _entry(rows[0]) if rows else None

    def search(self, text: str, *, limit: int = 10) -> list[GazetteerEntry]:
        """Entries whose postcode or name starts with ``text``; an exact match first, then
        postcodes, then places, each in alphabetical order."""
        words = search_key(text)
        if not words:
            return []
        code = postcode_key(text) or " ".join(text.upper().split())
        query = (
            select(_T)
            .where(
                or_(
                    (_T.c.kind == EntryKind.POSTCODE.value)
                    & _T.c.key.like(_like_prefix(code), escape="\\"),
                    (_T.c.kind == EntryKind.PLACE.value)
                    & _T.c.key.like(_like_prefix(words), escape="\\"),
                )
            )
            .order_by((_T.c.key != code) & (_T.c.key != words), _T.c.kind, _T.c.key)
            .limit(max(1, min(limit, MAX_RESULTS)))
        )
        return [_entry(row) for row in self._read(query)]

    def count(self) -> int:
        """How many entries there are."""
        rows = self._read(select(func.count()).select_from(_T))
        return int(rows[0][0])

    def _read(self, query: Any) -> list[Any]:
        with self.engine.connect() as connection:
            connection = connection.execution_options(
                **read_only_options(self.engine, snapshot=False)
            )
            rows = list(connection.execute(query).all())
            connection.rollback()
        return rows
