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
    CompoundSelect,
    Connection,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
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


def _marked(c: Any) -> ColumnElement[bool]:
    return or_(c.hoax, c.abusive, c.terminated, c.warned, c.vulnerability != "")


def _emergency(c: Any) -> ColumnElement[bool]:
    """A genuine emergency (``CallSummary.genuine_emergency``)."""
    return or_(c.incident, c.route == "emergency", c.outcome == "emergency")


def _notable(c: Any) -> ColumnElement[bool]:
    """Calls that weigh in every detection (``domain.nuisance.notable``)."""
    return or_(_marked(c), _emergency(c))


_MARKED = _marked(_c)
_EMERGENCY = _emergency(_c)


def _latest(column: Any) -> CompoundSelect[Any]:
    """The newest ``newest`` calls of one identifier in the window (``part`` 0), and every
    notable call of it in the window (``part`` 1): two index range scans, one round trip."""
    newest = (
        select(*_COLUMNS, literal(0).label("part"))
        .where(column == bindparam("value"), _WINDOW)
        .order_by(_c.offered_at.desc())
        .limit(bindparam("newest", type_=Integer))
        .subquery()
    )
    notable = select(*_COLUMNS, literal(1).label("part"))
    return union_all(
        select(newest), notable.where(column == bindparam("value"), _WINDOW, _notable(_c))
    )


_LATEST = {"number": _latest(_c.number), "imei": _latest(_c.imei)}
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
    ) -> list[CallSummary]:
        """The calls from ``number`` or ``imei`` (either, merged, when both are given) offered
        from ``since`` to ``until`` (both inclusive), oldest first."""
        if number is None and imei is None:
            raise InvalidInput("give a number or an IMEI", field="identifier")
        self._pending.flush()
        params: dict[str, Any] = {"since": to_micros(since)}
        params["until"] = _END if until is None else to_micros(until)
        found: dict[str, CallSummary] = {}
        for statement, value in ((_BY_NUMBER, number), (_BY_IMEI, imei)):
            if value is None:
                continue
            for row in driver_rows(self._connection, statement, {"value": value, **params}):
                summary = summary_of(row)
                found.setdefault(summary.contact_id, summary)
        calls = list(found.values())
        if number is not None and imei is not None:
            calls.sort(key=lambda call: (call.offered_at, call.contact_id))
        return calls

    def latest(
        self, identifier: Identifier, *, since: datetime, until: datetime, newest: int
    ) -> tuple[list[CallSummary], bool]:
        """The ``newest`` calls from ``identifier`` offered from ``since`` to ``until`` (both
        inclusive) and every :func:`~controlroom.domain.nuisance.notable` one before them,
        oldest first; and whether that is all its calls in that time. One query."""
        self._pending.flush()
        kind = "number" if identifier.kind is IdentifierKind.NUMBER else "imei"
        params = {"value": identifier.value, "since": to_micros(since), "newest": newest + 1}
        params["until"] = to_micros(until)
        parts: tuple[list[CallSummary], list[CallSummary]] = ([], [])
        for row in driver_rows(self._connection, _LATEST[kind], params):
            parts[row[-1]].append(summary_of(row[:-1]))
        recent, notable = parts
        recent.sort(key=_in_order)
        everything = len(recent) <= newest
        found = {call.contact_id: call for call in (*notable, *recent[-newest:])}
        return sorted(found.values(), key=_in_order), everything

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
        ``imeis`` offered from its start (``starts``) to ``until``, by the database.

        The windows all end at ``until``, so they nest: the database counts each call once,
        in the band between consecutive window starts it falls in (newest band first), and
        each window adds up the bands inside it."""
        self._pending.flush()
        latest_first = sorted(WINDOWS, key=lambda name: starts[name], reverse=True)
        params = _span(numbers, imeis, starts[latest_first[-1]], until)
        params |= {f"band_{i}": to_micros(starts[n]) for i, n in enumerate(latest_first[:-1])}
        params["exclude"] = exclude or ""
        query = _totals_query(bool(numbers), bool(imeis))
        rows = [tuple(row) for row in self._connection.execute(query, params)]
        return {
            name: _window_counts(name, starts[name], [r for r in rows if r[0] <= band])
            for band, name in enumerate(latest_first)
        }

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


def _in_order(call: CallSummary) -> tuple[datetime, str]:
    return call.offered_at, call.contact_id


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
def _totals_query(numbers: bool, imeis: bool) -> Select[Any]:
    inside = [
        (_c.offered_at >= bindparam(f"band_{i}", type_=BigInteger), i)
        for i in range(len(WINDOWS) - 1)
    ]
    band = case(*inside, else_=len(WINDOWS) - 1).label("band")
    sums = [func.sum(case((column, 1), else_=0)) for column in _MEASURES.values()]
    where = and_(_callers(numbers, imeis), _c.contact_id != bindparam("exclude"))
    return select(band, _c.outcome, func.count(), *sums).where(where).group_by(band, _c.outcome)


def _window_counts(name: str, since: datetime, rows: Sequence[tuple[Any, ...]]) -> WindowCounts:
    """One window's counts from the rows ``(band, outcome, calls, *measures)`` inside it."""
    outcomes: dict[OutcomeKind, int] = {}
    for row in rows:
        kind = OutcomeKind(row[1])
        outcomes[kind] = outcomes.get(kind, 0) + int(row[2])
    sums = {m: sum(int(row[3 + i] or 0) for row in rows) for i, m in enumerate(_MEASURES)}
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
