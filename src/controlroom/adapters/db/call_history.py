"""Caller history on SQLAlchemy Core: ``contact_calls``, over the unit of work's connection.

``contact_calls`` keeps each contact in brief (a :class:`CallSummary`), written whenever the
contact is saved (:class:`PendingCalls`, once per transaction). The caller-history look-up on
call arrival is one index range scan on ``(number, offered_at)`` or ``(imei, offered_at)``;
the rows it reads become ``CallSummary`` values through a bounded memo keyed by the row
itself, so a repeat caller's calls are built once per process, not on every call. A caller
with very many calls is read in part (the newest, and every notable one) and counted by the
database (:meth:`SqlCallHistory.totals`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)

from controlroom.adapters.db.call_rows import (
    CALL_COLUMNS,
    EPOCH,
    PendingCalls,
    call_values,
    contact_call_values,
    driver_rows,
    from_micros,
    summary_of,
    to_micros,
)
from controlroom.adapters.db.tables import contact_calls
from controlroom.domain.contacts import ContactRecord
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance import (
    WINDOWS,
    CallSummary,
    Identifier,
    IdentifierKind,
    OutcomeKind,
    WindowCounts,
)

#: The latest time a look-up can ask for, in microseconds (the year 9999).
_END = 253_402_300_799_000_000
_c = contact_calls.c
_COLUMNS = CALL_COLUMNS
_WINDOW = and_(
    _c.offered_at >= bindparam("since", type_=BigInteger),
    _c.offered_at <= bindparam("until", type_=BigInteger),
)
_BY_NUMBER = select(*_COLUMNS).where(_c.number == bindparam("value"), _WINDOW)
_BY_IMEI = select(*_COLUMNS).where(_c.imei == bindparam("value"), _WINDOW)
_NEWEST = bindparam("newest", type_=Integer)
#: The same, newest first and at most ``newest`` rows (a caller with very many calls).
_NEWEST_BY_NUMBER = _BY_NUMBER.order_by(_c.offered_at.desc()).limit(_NEWEST)
_NEWEST_BY_IMEI = _BY_IMEI.order_by(_c.offered_at.desc()).limit(_NEWEST)
_MARKED = or_(_c.hoax, _c.abusive, _c.terminated, _c.warned, _c.vulnerability != "")
#: A genuine emergency (``CallSummary.genuine_emergency``).
_EMERGENCY = or_(_c.incident, _c.route == "emergency", _c.outcome == "emergency")
#: Calls that weigh in every detection (``domain.nuisance.notable``).
_NOTABLE = or_(_MARKED, _EMERGENCY)
#: What ``WindowCounts`` counts besides the calls and their outcomes.
_MEASURES = {
    "silent": _c.silent,
    "speech": _c.speech,
    "dtmf_55": _c.dtmf_55,
    "warned": _c.warned,
    "terminated": _c.terminated,
    "emergency": _EMERGENCY,
}


class SqlCallHistory:
    """Every contact in brief, in ``contact_calls``; ``pending`` holds the rows of contacts
    saved in this transaction and not yet written, written before any read here."""

    def __init__(self, connection: Connection, pending: PendingCalls | None = None) -> None:
        self._connection = connection
        self._pending = pending or PendingCalls(connection)

    def summaries(
        self,
        *,
        number: str | None = None,
        imei: str | None = None,
        since: datetime,
        until: datetime | None = None,
        newest: int | None = None,
    ) -> list[CallSummary]:
        """The calls from ``number`` or ``imei`` (either, merged, when both are given) offered
        from ``since`` to ``until`` (both inclusive), oldest first; only the ``newest`` of
        each identifier's, when given."""
        if number is None and imei is None:
            raise InvalidInput("give a number or an IMEI", field="identifier")
        self._pending.flush()
        params: dict[str, Any] = {"since": to_micros(since)}
        params["until"] = _END if until is None else to_micros(until)
        statements = (_BY_NUMBER, _BY_IMEI)
        if newest is not None:
            statements, params["newest"] = (_NEWEST_BY_NUMBER, _NEWEST_BY_IMEI), newest
        found: dict[str, CallSummary] = {}
        for statement, value in zip(statements, (number, imei), strict=True):
            if value is None:
                continue
            for row in driver_rows(self._connection, statement, {"value": value, **params}):
                summary = summary_of(row)
                found.setdefault(summary.contact_id, summary)
        calls = list(found.values())
        if (number is not None and imei is not None) or newest is not None:
            calls.sort(key=lambda call: (call.offered_at, call.contact_id))
        return calls

    def notable(
        self, *, numbers: Sequence[str], imeis: Sequence[str], since: datetime, until: datetime
    ) -> list[CallSummary]:
        """The :func:`~controlroom.domain.nuisance.notable` calls from any of ``numbers`` or
        ``imeis`` offered from ``since`` to ``until``, oldest first."""
        self._pending.flush()
        params = _span(numbers, imeis, since, until)
        rows = self._connection.execute(_notable_query(bool(numbers), bool(imeis)), params)
        return [summary_of(tuple(row)) for row in rows]

    def totals(
        self,
        *,
        numbers: Sequence[str],
        imeis: Sequence[str],
        starts: Mapping[str, datetime],
        until: datetime,
        exclude: str | None = None,
    ) -> dict[str, WindowCounts]:
        """Each window of :data:`WINDOWS` counted over every call from any of ``numbers`` or
        ``imeis`` offered from its start (``starts``) to ``until``, by the database."""
        self._pending.flush()
        params = _span(numbers, imeis, min(starts.values()), until)
        params |= {f"start_{name}": to_micros(starts[name]) for name in WINDOWS}
        params["exclude"] = exclude or ""
        query = _totals_query(bool(numbers), bool(imeis))
        found: list[Mapping[str, Any]] = [
            dict(row._mapping) for row in self._connection.execute(query, params)
        ]
        return {name: _window_counts(name, starts[name], found) for name in WINDOWS}

    def upsert(self, record: ContactRecord) -> None:
        """Write the contact's row (the contact repository does this on every save)."""
        self._pending.add(record)
        self._pending.flush()

    def mark(
        self, contact_id: str, *, abusive: bool | None = None, hoax: bool | None = None
    ) -> bool:
        """Set the handler's markers on a stored call; ``False`` when there is no such call."""
        self._pending.flush()
        values = {
            name: value
            for name, value in (("abusive", abusive), ("hoax", hoax))
            if value is not None
        }
        if not values:
            return self.get(contact_id) is not None
        statement = update(contact_calls).where(_c.contact_id == contact_id).values(values)
        return self._connection.execute(statement).rowcount == 1

    def get(self, contact_id: str) -> CallSummary | None:
        """One stored call, or ``None``."""
        self._pending.flush()
        row = self._connection.execute(select(*_COLUMNS).where(_c.contact_id == contact_id))
        found = row.first()
        return None if found is None else summary_of(tuple(found))

    def active(self, since: datetime, *, limit: int) -> list[tuple[Identifier, int]]:
        """Numbers (and, for calls with no number, IMEIs) with two or more calls since
        ``since``, or one the handler marked, warned, terminated or flagged as vulnerable;
        busiest first, at most ``limit`` of each kind."""
        self._pending.flush()
        out: list[tuple[Identifier, int]] = []
        low = to_micros(since)
        for kind, column, extra in (
            (IdentifierKind.NUMBER, _c.number, _c.number.is_not(None)),
            (IdentifierKind.IMEI, _c.imei, and_(_c.imei.is_not(None), _c.number.is_(None))),
        ):
            calls = func.count().label("calls")
            marked = func.sum(case((_MARKED, 1), else_=0))
            query = (
                select(column, calls)
                .where(_c.offered_at >= low, extra)
                .group_by(column)
                .having(or_(func.count() >= 2, marked > 0))
                .order_by(calls.desc(), column)
                .limit(limit)
            )
            out.extend(
                (Identifier(kind, row[0]), int(row[1])) for row in self._connection.execute(query)
            )
        return out


def _span(
    numbers: Sequence[str], imeis: Sequence[str], since: datetime, until: datetime
) -> dict[str, Any]:
    if not numbers and not imeis:
        raise InvalidInput("give a number or an IMEI", field="identifier")
    span = {"since": to_micros(since), "until": to_micros(until)}
    return span | {"numbers": list(numbers), "imeis": list(imeis)}


def _callers(numbers: bool, imeis: bool) -> ColumnElement[bool]:
    """Calls from the ``numbers`` and the ``imeis`` asked for, in the window asked for; an
    identifier kind not asked for is left out of the query, so each part uses its index."""
    by_number = _c.number.in_(bindparam("numbers", expanding=True))
    by_imei = _c.imei.in_(bindparam("imeis", expanding=True))
    who = or_(by_number, by_imei) if numbers and imeis else by_number if numbers else by_imei
    return and_(who, _WINDOW)


@cache
def _notable_query(numbers: bool, imeis: bool) -> Select[Any]:
    query = select(*_COLUMNS).where(_callers(numbers, imeis), _NOTABLE)
    return query.order_by(_c.offered_at, _c.contact_id)


@cache
def _totals_query(numbers: bool, imeis: bool) -> Select[Any]:
    columns: list[Any] = [_c.outcome]
    for name in WINDOWS:
        inside = _c.offered_at >= bindparam(f"start_{name}", type_=BigInteger)
        columns.append(func.sum(case((inside, 1), else_=0)).label(f"{name}:calls"))
        for measure, column in _MEASURES.items():
            label = f"{name}:{measure}"
            columns.append(func.sum(case((and_(inside, column), 1), else_=0)).label(label))
    where = and_(_callers(numbers, imeis), _c.contact_id != bindparam("exclude"))
    return select(*columns).where(where).group_by(_c.outcome)


def _window_counts(name: str, since: datetime, rows: Sequence[Mapping[str, Any]]) -> WindowCounts:
    outcomes = {
        OutcomeKind(row["outcome"]): int(row[f"{name}:calls"])
        for row in rows
        if row[f"{name}:calls"]
    }
    sums = {m: sum(int(row[f"{name}:{m}"] or 0) for row in rows) for m in _MEASURES}
    return WindowCounts(
        name=name,
        since=since,
        calls=sum(outcomes.values()),
        abandoned=outcomes.get(OutcomeKind.ABANDONED, 0),
        outcomes=MappingProxyType(outcomes),
        **sums,
    )


__all__ = [
    "EPOCH",
    "PendingCalls",
    "SqlCallHistory",
    "call_values",
    "contact_call_values",
    "from_micros",
    "to_micros",
]
