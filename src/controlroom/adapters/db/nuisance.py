"""Nuisance cases on SQLAlchemy Core, over the unit of work's connection.

Cases are stored whole as JSON and saved with a version check; their numbers and IMEIs are in
``nuisance_identifiers``, each linked to one case only. Caller history is in
``call_history.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Connection,
    Row,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.call_rows import driver_rows
from controlroom.adapters.db.records_json import _decode, _encode
from controlroom.adapters.db.tables import nuisance_cases, nuisance_identifiers
from controlroom.domain.errors import Conflict, InvalidInput
from controlroom.domain.nuisance import (
    CaseRecord,
    CaseState,
    Identifier,
    NuisanceCase,
)

CASE_FORMAT = 1


def case_to_json(record: CaseRecord) -> dict[str, Any]:
    """``record`` as a JSON-ready dict, with ``"format": 1``."""
    encoded = _encode(record)
    assert isinstance(encoded, dict)
    return {"format": CASE_FORMAT, **encoded}


def case_from_json(data: Mapping[str, Any]) -> CaseRecord:
    """The case record :func:`case_to_json` gave ``data`` for."""
    body = dict(data)
    found = body.pop("format", None)
    if found != CASE_FORMAT:
        raise ValueError(f"nuisance case format {found!r} is not {CASE_FORMAT}")
    record = _decode(CaseRecord, body)
    assert isinstance(record, CaseRecord)
    return record


def _case_columns(record: CaseRecord) -> dict[str, Any]:
    step = record.pending.step if record.pending else None
    if step is None and record.steps:
        step = record.steps[-1].step
    return {
        "identifiers": ", ".join(str(linked.identifier) for linked in record.identifiers)[:400],
        "state": record.state.value,
        "step": step,
        "kind": ",".join(sorted(kind.value for kind in record.kinds)),
        "opened_at": record.opened_at,
        "updated_at": record.history[-1].at if record.history else record.opened_at,
        "record": case_to_json(record),
    }


_CASE_ID_BY_IDENTIFIER = select(nuisance_identifiers.c.case_id).where(
    nuisance_identifiers.c.kind == bindparam("kind"),
    nuisance_identifiers.c.value == bindparam("value"),
)


class SqlNuisanceCases:
    """Nuisance cases in ``nuisance_cases``, their identifiers in ``nuisance_identifiers``."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._seen: dict[str, int] = {}

    def _case(self, row: Row[Any] | None) -> NuisanceCase | None:
        if row is None:
            return None
        self._seen[row.id] = row.version
        return NuisanceCase(case_from_json(row.record))

    def get(self, case_id: str) -> NuisanceCase | None:
        """The case, or ``None``."""
        query = select(nuisance_cases).where(nuisance_cases.c.id == case_id)
        return self._case(self._connection.execute(query).first())

    def get_for_update(self, case_id: str) -> NuisanceCase | None:
        """The case, its row locked until the transaction ends (on PostgreSQL)."""
        query = select(nuisance_cases).where(nuisance_cases.c.id == case_id).with_for_update()
        return self._case(self._connection.execute(query).first())

    def by_identifier(self, identifier: Identifier) -> NuisanceCase | None:
        """The case ``identifier`` is linked to, or ``None`` (asked on every call arrival)."""
        params = {"kind": identifier.kind.value, "value": identifier.value}
        found = driver_rows(self._connection, _CASE_ID_BY_IDENTIFIER, params)
        return self.get(found[0][0]) if found else None

    def list(self, *, include_closed: bool = False, limit: int = 1000) -> list[NuisanceCase]:
        """Cases, oldest opened first (open, proposed and approved ones unless told)."""
        query = select(nuisance_cases).order_by(nuisance_cases.c.opened_at, nuisance_cases.c.id)
        if not include_closed:
            query = query.where(nuisance_cases.c.state != CaseState.CLOSED.value)
        rows = self._connection.execute(query.limit(limit)).all()
        return [case for case in map(self._case, rows) if case is not None]

    def add(self, case: NuisanceCase) -> None:
        """Store a new case; :class:`Conflict` if the id or an identifier is taken."""
        values = {"id": case.id, "version": 1, **_case_columns(case.record)}
        try:
            with self._connection.begin_nested():
                self._connection.execute(insert(nuisance_cases).values(values))
        except IntegrityError:
            raise Conflict(f"nuisance case {case.id} already exists", field="case_id") from None
        self._seen[case.id] = 1
        self._link(case.record)

    def save(self, case: NuisanceCase) -> None:
        """Store a changed case read in this unit of work, if nobody saved it since."""
        seen = self._seen.get(case.id)
        if seen is None:
            raise InvalidInput(f"nuisance case {case.id} was not read in this unit of work")
        result = self._connection.execute(
            update(nuisance_cases)
            .where(nuisance_cases.c.id == case.id, nuisance_cases.c.version == seen)
            .values(version=seen + 1, **_case_columns(case.record))
        )
        if result.rowcount != 1:
            raise Conflict(
                f"nuisance case {case.id} was changed by somebody else",
                hint="reload it and retry",
            )
        self._seen[case.id] = seen + 1
        self._link(case.record)

    def _link(self, record: CaseRecord) -> None:
        ids = nuisance_identifiers.c
        query = select(ids.kind, ids.value).where(ids.case_id == record.id)
        linked = {(row.kind, row.value) for row in self._connection.execute(query)}
        for item in record.identifiers:
            key = (item.identifier.kind.value, item.identifier.value)
            if key in linked:
                continue
            try:
                with self._connection.begin_nested():
                    self._connection.execute(
                        insert(nuisance_identifiers).values(
                            kind=key[0], value=key[1], case_id=record.id
                        )
                    )
            except IntegrityError:
                raise Conflict(
                    f"{item.identifier} is already linked to another nuisance case",
                    field="identifier",
                    hint="a number or IMEI belongs to one case: use the case it is linked to",
                ) from None
            linked.add(key)
