"""In-memory caller history and nuisance cases, for :class:`~tests.fakes.uow.FakeUnitOfWork`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from controlroom.domain.contacts import ContactRecord
from controlroom.domain.errors import Conflict, InvalidInput
from controlroom.domain.nuisance import (
    CallSummary,
    CaseRecord,
    CaseState,
    Identifier,
    IdentifierKind,
    NuisanceCase,
    WindowCounts,
    call_summary,
    count_windows,
    imei_of,
    notable,
)

if TYPE_CHECKING:
    from tests.fakes.uow import FakeStore


def upsert_summary(store: FakeStore, record: ContactRecord) -> None:
    """Store the contact's summary, keeping the handler's markers."""
    summary = call_summary(record, imei=imei_of(record))
    old = store.calls.get(record.id)
    if old is not None:
        summary = replace(summary, abusive=old.abusive, hoax=old.hoax)
    store.calls[record.id] = summary


class FakeCallHistory:
    """Call summaries in a dict."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def summaries(
        self,
        *,
        number: str | None = None,
        imei: str | None = None,
        since: datetime,
        until: datetime | None = None,
    ) -> list[CallSummary]:
        """Calls from ``number`` or ``imei`` offered from ``since`` to ``until``, oldest
        first."""
        if number is None and imei is None:
            raise InvalidInput("give a number or an IMEI", field="identifier")
        found: dict[str, CallSummary] = {}
        for kind, value in (("number", number), ("imei", imei)):
            if value is None:
                continue
            calls = sorted(
                (
                    call
                    for call in self._store.calls.values()
                    if getattr(call, kind) == value
                    and call.offered_at >= since
                    and (until is None or call.offered_at <= until)
                ),
                key=lambda call: (call.offered_at, call.contact_id),
            )
            for call in calls:
                found.setdefault(call.contact_id, call)
        return sorted(found.values(), key=lambda call: (call.offered_at, call.contact_id))

    def _of(
        self, numbers: Sequence[str], imeis: Sequence[str], since: datetime, until: datetime
    ) -> list[CallSummary]:
        return sorted(
            (
                call
                for call in self._store.calls.values()
                if (call.number in numbers or call.imei in imeis)
                and since <= call.offered_at <= until
            ),
            key=lambda call: (call.offered_at, call.contact_id),
        )

    def latest(
        self, identifier: Identifier, *, since: datetime, until: datetime, newest: int
    ) -> tuple[list[CallSummary], bool]:
        """The ``newest`` calls from ``identifier`` and every notable one before them, oldest
        first; and whether that is all its calls from ``since`` to ``until``."""
        numbers = [identifier.value] if identifier.kind is IdentifierKind.NUMBER else []
        imeis = [identifier.value] if identifier.kind is IdentifierKind.IMEI else []
        calls = self._of(numbers, imeis, since, until)
        cut = max(len(calls) - newest, 0)
        kept = [call for call in calls[:cut] if notable(call)] + calls[cut:]
        return kept, cut == 0

    def totals(
        self,
        *,
        numbers: Sequence[str],
        imeis: Sequence[str],
        starts: Mapping[str, datetime],
        until: datetime,
        exclude: str | None = None,
    ) -> dict[str, WindowCounts]:
        """Each window's counts over the calls from any of ``numbers`` or ``imeis``."""
        calls = self._of(numbers, imeis, min(starts.values()), until)
        kept = [call for call in calls if call.contact_id != exclude]
        return count_windows(kept, starts, until)

    def upsert(self, record: ContactRecord) -> None:
        """Store the contact's summary."""
        upsert_summary(self._store, record)

    def mark(
        self, contact_id: str, *, abusive: bool | None = None, hoax: bool | None = None
    ) -> bool:
        """Set the markers of a stored call."""
        call = self._store.calls.get(contact_id)
        if call is None:
            return False
        self._store.calls[contact_id] = replace(
            call,
            abusive=call.abusive if abusive is None else abusive,
            hoax=call.hoax if hoax is None else hoax,
        )
        return True

    def get(self, contact_id: str) -> CallSummary | None:
        """One call, or ``None``."""
        return self._store.calls.get(contact_id)

    def active(self, since: datetime, *, limit: int) -> list[tuple[Identifier, int]]:
        """Numbers (and IMEIs of calls with no number) with two calls or a marked call."""
        groups: dict[Identifier, list[CallSummary]] = {}
        for call in self._store.calls.values():
            if call.offered_at < since:
                continue
            if call.number is not None:
                key = Identifier(IdentifierKind.NUMBER, call.number)
            elif call.imei is not None:
                key = Identifier(IdentifierKind.IMEI, call.imei)
            else:
                continue
            groups.setdefault(key, []).append(call)
        out: list[tuple[Identifier, int]] = []
        for kind in IdentifierKind:
            found = [
                (key, len(calls))
                for key, calls in groups.items()
                if key.kind is kind and (len(calls) >= 2 or any(map(_marked, calls)))
            ]
            found.sort(key=lambda item: (-item[1], item[0].value))
            out.extend(found[:limit])
        return out


def _marked(call: CallSummary) -> bool:
    return call.hoax or call.abusive or call.warned or call.terminated or bool(call.vulnerability)


class FakeNuisanceCases:
    """Cases in a dict, versioned like the database's; identifiers each in one case."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store
        self._seen: dict[str, int] = {}

    def get(self, case_id: str) -> NuisanceCase | None:
        """The case, or ``None``."""
        stored = self._store.cases.get(case_id)
        if stored is None:
            return None
        self._seen[case_id] = stored[0]
        return NuisanceCase(stored[1])

    def get_for_update(self, case_id: str) -> NuisanceCase | None:
        """The same as :meth:`get` (there is one writer)."""
        return self.get(case_id)

    def by_identifier(self, identifier: Identifier) -> NuisanceCase | None:
        """The case ``identifier`` is linked to."""
        case_id = self._store.identifiers.get((identifier.kind.value, identifier.value))
        return None if case_id is None else self.get(case_id)

    def list(self, *, include_closed: bool = False, limit: int = 1000) -> list[NuisanceCase]:
        """Cases, oldest opened first."""
        records = sorted(
            (record for _, record in self._store.cases.values()),
            key=lambda record: (record.opened_at, record.id),
        )
        kept = [r for r in records if include_closed or r.state is not CaseState.CLOSED]
        for record in kept[:limit]:
            self._seen[record.id] = self._store.cases[record.id][0]
        return [NuisanceCase(record) for record in kept[:limit]]

    def add(self, case: NuisanceCase) -> None:
        """Store a new case."""
        if case.id in self._store.cases:
            raise Conflict(f"nuisance case {case.id} already exists", field="case_id")
        self._link(case.record)
        self._store.cases[case.id] = (1, case.record)
        self._seen[case.id] = 1

    def save(self, case: NuisanceCase) -> None:
        """Store a changed case, checking its version."""
        seen = self._seen.get(case.id)
        stored = self._store.cases.get(case.id)
        if seen is None or stored is None or stored[0] != seen:
            raise Conflict(
                f"nuisance case {case.id} was changed by somebody else", hint="reload it and retry"
            )
        self._link(case.record)
        self._store.cases[case.id] = (seen + 1, case.record)
        self._seen[case.id] = seen + 1

    def _link(self, record: CaseRecord) -> None:
        for linked in record.identifiers:
            key = (linked.identifier.kind.value, linked.identifier.value)
            owner = self._store.identifiers.get(key)
            if owner is not None and owner != record.id:
                raise Conflict(
                    f"{linked.identifier} is already linked to another nuisance case",
                    field="identifier",
                )
        for linked in record.identifiers:
            key = (linked.identifier.kind.value, linked.identifier.value)
            self._store.identifiers[key] = record.id
