"""An in-memory gazetteer with the look-ups of ``adapters.db.gazetteer.SqlGazetteer``."""

from __future__ import annotations

from controlroom.domain.location.gazetteer import (
    EntryKind,
    GazetteerEntry,
    postcode_key,
    search_key,
)


class MemoryGazetteer:
    """Entries kept in a list; the same matching rules as the database's."""

    def __init__(self, entries: list[GazetteerEntry]) -> None:
        self.entries = entries

    def postcode(self, text: str) -> GazetteerEntry | None:
        key = postcode_key(text)
        found = [e for e in self.entries if e.kind is EntryKind.POSTCODE and e.key == key]
        return found[0] if found else None

    def search(self, text: str, *, limit: int = 10) -> list[GazetteerEntry]:
        words = search_key(text)
        if not words:
            return []
        code = postcode_key(text) or " ".join(text.upper().split())
        found = [
            e
            for e in self.entries
            if e.key.startswith(code if e.kind is EntryKind.POSTCODE else words)
        ]
        found.sort(key=lambda e: (e.key not in (code, words), e.kind.value, e.key))
        return found[:limit]
