"""Caller history and nuisance cases on SQLAlchemy Core, over the unit of work's connection.

``contact_calls`` keeps each contact in brief (a :class:`CallSummary`), written whenever the
contact is saved (:func:`upsert_call`). The caller-history look-up on call arrival is one index
range scan on ``(number, offered_at)`` or ``(imei, offered_at)``; the rows it reads become
``CallSummary`` values through a bounded memo keyed by the row itself, so a repeat caller's
calls are built once per process, not on every call. Cases are stored whole as JSON and saved
with a version check; their numbers and IMEIs are in ``nuisance_identifiers``, each linked to
one case only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Dialect,
    Row,
    Select,
    and_,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.records_json import _decode, _encode
from controlroom.adapters.db.tables import contact_calls, nuisance_cases, nuisance_identifiers
from controlroom.domain.contacts import ContactRecord
from controlroom.domain.errors import Conflict, InvalidInput
from controlroom.domain.nuisance import (
    CallSummary,
    CaseRecord,
    CaseState,
    Identifier,
    IdentifierKind,
    NuisanceCase,
    OutcomeKind,
    call_summary,
)
from controlroom.domain.policy import Route, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_IMEI = re.compile(r"[0-9]{14,16}")
#: How many stored calls the row memo keeps (about 1 KB each, so at most about 130 MB).
SUMMARY_MEMO = 131_072
#: The latest time a look-up can ask for, in microseconds (the year 9999).
_END = 253_402_300_799_000_000
CASE_FORMAT = 1

_c = contact_calls.c
_COLUMNS = (
    _c.contact_id,
    _c.number,
    _c.imei,
    _c.channel,
    _c.offered_at,
    _c.answered_at,
    _c.ended_at,
    _c.outcome,
    _c.silent,
    _c.dtmf_55,
    _c.speech,
    _c.warned,
    _c.terminated,
    _c.incident,
    _c.vulnerability,
    _c.route,
    _c.abusive,
    _c.hoax,
)
_WINDOW = and_(
    _c.offered_at >= bindparam("since", type_=BigInteger),
    _c.offered_at <= bindparam("until", type_=BigInteger),
)
_BY_NUMBER = select(*_COLUMNS).where(_c.number == bindparam("value"), _WINDOW)
_BY_IMEI = select(*_COLUMNS).where(_c.imei == bindparam("value"), _WINDOW)
_MARKED = or_(_c.hoax, _c.abusive, _c.terminated, _c.warned, _c.vulnerability != "")


def to_micros(at: datetime) -> int:
    """``at`` (timezone-aware) as whole microseconds since 1970-01-01 UTC."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r} cannot be stored; give a UTC time")
    return (at - EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The UTC time ``value`` microseconds after 1970-01-01."""
    return EPOCH + timedelta(microseconds=value)


def imei_of(record: ContactRecord) -> str | None:
    """The handset's IMEI from the contact's location evidence (the latest giving one)."""
    for evidence in reversed(record.location):
        value = evidence.payload.get("imei")
        if value is not None and _IMEI.fullmatch(value):
            return value
    return None


def call_values(summary: CallSummary) -> dict[str, Any]:
    """``summary`` as a ``contact_calls`` row."""
    return {
        "contact_id": summary.contact_id,
        "number": summary.number,
        "imei": summary.imei,
        "channel": summary.channel.value,
        "offered_at": to_micros(summary.offered_at),
        "answered_at": None if summary.answered_at is None else to_micros(summary.answered_at),
        "ended_at": None if summary.ended_at is None else to_micros(summary.ended_at),
        "outcome": summary.outcome.value,
        "silent": summary.silent,
        "dtmf_55": summary.dtmf_55,
        "speech": summary.speech,
        "warned": summary.warned,
        "terminated": summary.terminated,
        "incident": summary.incident,
        "vulnerability": ",".join(sorted(flag.value for flag in summary.vulnerability)),
        "route": None if summary.route is None else summary.route.value,
        "abusive": summary.abusive,
        "hoax": summary.hoax,
    }


def contact_call_values(record: ContactRecord) -> dict[str, Any]:
    """The ``contact_calls`` row for a stored contact (markers unset)."""
    return call_values(call_summary(record, imei=imei_of(record)))


def _upsert_statement(module: Any) -> Any:
    statement = module.insert(contact_calls)
    kept = {"contact_id", "abusive", "hoax"}
    changed = {c.name: statement.excluded[c.name] for c in contact_calls.c if c.name not in kept}
    return statement.on_conflict_do_update(index_elements=[_c.contact_id], set_=changed)


#: The upsert of a contact's row, per dialect, built once (it runs on every contact saved).
_UPSERT = {"postgresql": _upsert_statement(postgresql), "sqlite": _upsert_statement(sqlite)}


def upsert_call(connection: Connection, record: ContactRecord) -> None:
    """Write the contact's ``contact_calls`` row, keeping any abusive and hoax markers."""
    connection.execute(_UPSERT[connection.dialect.name], contact_call_values(record))


class PendingCalls:
    """``contact_calls`` rows of the contacts saved in a transaction, written together (one
    row per contact, however often it was saved) before the transaction next reads the table,
    and before it commits."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._rows: dict[str, dict[str, Any]] = {}

    def add(self, record: ContactRecord) -> None:
        """Note the contact's row as it is now."""
        self._rows[record.id] = contact_call_values(record)

    def flush(self) -> None:
        """Write the rows noted since the last flush."""
        if self._rows:
            rows, self._rows = list(self._rows.values()), {}
            self._connection.execute(_UPSERT[self._connection.dialect.name], rows)

    def forget(self) -> None:
        """The transaction ended (a rollback): drop what was noted."""
        self._rows = {}


@cache
def _driver_sql(statement: Select[Any], dialect: Dialect) -> tuple[str, tuple[str, ...] | None]:
    """``statement`` compiled for ``dialect``, and its parameter names in order when the
    driver takes them by position (SQLite's ``?``)."""
    compiled = statement.compile(dialect=dialect)
    positions = compiled.positiontup
    return compiled.string, None if not dialect.positional else tuple(positions or ())


def driver_rows(
    connection: Connection, statement: Select[Any], params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` as plain tuples, read through the driver's own cursor in the
    unit of work's transaction. Only the look-up on call arrival reads this way: skipping the
    result machinery saves a fixed cost per query and about a microsecond a row."""
    if not connection.in_transaction():
        connection.begin()
    sql, names = _driver_sql(statement, connection.dialect)
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, [params[n] for n in names] if names is not None else params)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


@lru_cache(maxsize=SUMMARY_MEMO)
def summary_of(row: tuple[Any, ...]) -> CallSummary:
    """The :class:`CallSummary` a ``contact_calls`` row (in ``_COLUMNS`` order) stands for."""
    (cid, number, imei, channel, offered, answered, ended, outcome) = row[:8]
    (silent, dtmf_55, speech, warned, terminated, incident, flags, route, abusive, hoax) = row[8:]
    return CallSummary(
        contact_id=cid,
        offered_at=from_micros(offered),
        outcome=OutcomeKind(outcome),
        number=number,
        imei=imei,
        channel=Channel(channel),
        answered_at=None if answered is None else from_micros(answered),
        ended_at=None if ended is None else from_micros(ended),
        silent=bool(silent),
        speech=bool(speech),
        dtmf_55=bool(dtmf_55),
        warned=bool(warned),
        terminated=bool(terminated),
        vulnerability=frozenset(VulnerabilityFlag(flag) for flag in flags.split(",") if flag),
        route=None if route is None else Route(route),
        incident=bool(incident),
        abusive=bool(abusive),
        hoax=bool(hoax),
    )


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
        params = {"since": to_micros(since), "until": _END if until is None else to_micros(until)}
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


# -- nuisance cases -------------------------------------------------------------------------


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
