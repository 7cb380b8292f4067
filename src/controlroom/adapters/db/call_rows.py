"""``contact_calls`` rows: how a contact becomes one (written once per transaction by
:class:`PendingCalls`) and how a row becomes a :class:`CallSummary` again (through a bounded
memo keyed by the row, so a repeat caller's calls are built once per process)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Dialect,
    Select,
)
from sqlalchemy.dialects import postgresql, sqlite

from controlroom.adapters.db.tables import contact_calls
from controlroom.domain.contacts import ContactRecord
from controlroom.domain.nuisance import (
    CallSummary,
    OutcomeKind,
    call_summary,
    imei_of,
)
from controlroom.domain.policy import Route, VulnerabilityFlag
from controlroom.domain.triage.decision import Channel

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
#: How many stored calls the row memo keeps (about 1 KB each, so at most about 130 MB).
SUMMARY_MEMO = 131_072
#: The latest time a look-up can ask for, in microseconds (the year 9999).
_END = 253_402_300_799_000_000


_c = contact_calls.c
#: The columns of a ``contact_calls`` row, in the order :func:`summary_of` reads them.
CALL_COLUMNS = (
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


def to_micros(at: datetime) -> int:
    """``at`` (timezone-aware) as whole microseconds since 1970-01-01 UTC."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at!r} cannot be stored; give a UTC time")
    return (at - EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    """The UTC time ``value`` microseconds after 1970-01-01."""
    return EPOCH + timedelta(microseconds=value)


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
def _driver_sql(
    statement: Select[Any] | CompoundSelect[Any], dialect: Dialect
) -> tuple[str, tuple[str, ...] | None, dict[str, Any]]:
    """``statement`` compiled for ``dialect``, its parameter names in order when the driver
    takes them by position (SQLite's ``?``), and the values of the parameters the statement
    sets itself (such as SQLite's ``OFFSET 0`` after a ``LIMIT``)."""
    compiled = statement.compile(dialect=dialect)
    positions = compiled.positiontup
    names = None if not dialect.positional else tuple(positions or ())
    return compiled.string, names, dict(compiled.params)


def driver_rows(
    connection: Connection, statement: Select[Any] | CompoundSelect[Any], params: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """The rows of ``statement`` as plain tuples, read through the driver's own cursor in the
    unit of work's transaction. Only the look-up on call arrival reads this way: skipping the
    result machinery saves a fixed cost per query and about a microsecond a row."""
    if not connection.in_transaction():
        connection.begin()
    sql, names, defaults = _driver_sql(statement, connection.dialect)
    values = defaults | params
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, [values[n] for n in names] if names is not None else values)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


# Values by their stored text, and vulnerability sets by their stored comma list, looked up
# rather than built for every row read (a look-up on call arrival reads hundreds of rows).
_OUTCOMES = {kind.value: kind for kind in OutcomeKind}
_CHANNELS = {channel.value: channel for channel in Channel}
_ROUTES: dict[str | None, Route | None] = {route.value: route for route in Route} | {None: None}


@lru_cache(maxsize=1024)
def _flags(stored: str) -> frozenset[VulnerabilityFlag]:
    return frozenset(VulnerabilityFlag(flag) for flag in stored.split(",") if flag)


@lru_cache(maxsize=SUMMARY_MEMO)
def summary_of(row: tuple[Any, ...]) -> CallSummary:
    """The :class:`CallSummary` a ``contact_calls`` row (in ``CALL_COLUMNS`` order) stands for."""
    (cid, number, imei, channel, offered, answered, ended, outcome) = row[:8]
    (silent, dtmf_55, speech, warned, terminated, incident, flags, route, abusive, hoax) = row[8:]
    return CallSummary.stored(
        contact_id=cid,
        offered_at=EPOCH + timedelta(microseconds=offered),
        outcome=_OUTCOMES[outcome],
        number=number,
        imei=imei,
        channel=_CHANNELS[channel],
        answered_at=None if answered is None else EPOCH + timedelta(microseconds=answered),
        ended_at=None if ended is None else EPOCH + timedelta(microseconds=ended),
        silent=bool(silent),
        speech=bool(speech),
        dtmf_55=bool(dtmf_55),
        warned=bool(warned),
        terminated=bool(terminated),
        vulnerability=_flags(flags),
        route=_ROUTES[route],
        incident=bool(incident),
        abusive=bool(abusive),
        hoax=bool(hoax),
    )
