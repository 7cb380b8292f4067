"""Online reports in ``online_reports``, read with their contact's state, over the unit of
work's connection (so a report and its contact are written in one transaction)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, func, insert, select
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.tables import contacts, online_reports
from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.domain.contacts import State
from controlroom.domain.errors import Conflict, InvalidInput
from controlroom.domain.reporting import ReportQuery, ReportRecord, StoredReport

MAX_PAGE = 500
_R = online_reports.c


class SqlReports:
    """Online reports, joined to their contacts for the state and the time of the last change."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, report: StoredReport) -> None:
        """Store a new report; :class:`Conflict` when its reference, token or contact is taken."""
        values = {
            "reference": report.reference,
            "token": report.token,
            "contact_id": report.contact_id,
            "service_code": report.service_code,
            "listed": report.listed,
            "escalated": report.escalated,
            "requested_at": report.requested_at,
            "details": dict(report.details),
        }
        try:
            with self._connection.begin_nested():
                self._connection.execute(insert(online_reports).values(values))
        except IntegrityError:
            raise Conflict(
                f"report {report.reference} clashes with one stored", field="reference"
            ) from None

    def get(self, reference: str) -> ReportRecord | None:
        """The report with ``reference``, or ``None``."""
        return self._one(_joined().where(_R.reference == reference))

    def by_token(self, token: str) -> ReportRecord | None:
        """The report given ``token`` when it was submitted, or ``None``."""
        return self._one(_joined().where(_R.token == token))

    def for_contact(self, contact_id: str) -> ReportRecord | None:
        """The report that made the contact ``contact_id``, or ``None``."""
        return self._one(_joined().where(_R.contact_id == contact_id))

    def list(self, query: ReportQuery, *, limit: int, offset: int) -> list[ReportRecord]:
        """Listed reports matching ``query``, newest first, a page at a time."""
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise InvalidInput(f"limit must be 1-{MAX_PAGE} and offset 0 or more", field="limit")
        ordered = _filtered(_joined(), query).order_by(_R.requested_at.desc(), _R.reference.desc())
        rows = self._connection.execute(ordered.limit(limit).offset(offset))
        return [_record(row) for row in rows]

    def count(self, query: ReportQuery) -> int:
        """How many listed reports match ``query``."""
        counted = select(func.count()).select_from(
            online_reports.join(contacts, contacts.c.id == _R.contact_id)
        )
        return int(self._connection.execute(_filtered(counted, query)).scalar_one())

    def _one(self, query: Select[Any]) -> ReportRecord | None:
        row = self._connection.execute(query).first()
        return None if row is None else _record(row)


def sql_reports(uow: object) -> SqlReports:
    """The reports of a SQL unit of work, inside its ``with`` block."""
    if not isinstance(uow, SqlUnitOfWork):
        raise TypeError(f"online reports are kept in the database, not in {type(uow).__name__}")
    uow.flush()  # the contacts this transaction saved, before their reports are read or added
    return SqlReports(uow.connection)


def _joined() -> Select[Any]:
    return select(online_reports, contacts.c.state, contacts.c.updated_at).join(
        contacts, contacts.c.id == _R.contact_id
    )


def _filtered(query: Select[Any], wanted: ReportQuery) -> Select[Any]:
    query = query.where(_R.listed.is_(True))
    if wanted.references:
        query = query.where(_R.reference.in_(wanted.references))
    if wanted.service_codes:
        query = query.where(_R.service_code.in_(wanted.service_codes))
    if wanted.start is not None:
        query = query.where(_R.requested_at >= wanted.start)
    if wanted.end is not None:
        query = query.where(_R.requested_at <= wanted.end)
    states = wanted.states
    if states is not None:
        query = query.where(contacts.c.state.in_(sorted(state.value for state in states)))
    return query


def _record(row: Row[Any]) -> ReportRecord:
    report = StoredReport(
        reference=row.reference,
        contact_id=row.contact_id,
        service_code=row.service_code,
        requested_at=row.requested_at,
        listed=bool(row.listed),
        escalated=bool(row.escalated),
        token=row.token,
        details=dict(row.details),
    )
    return ReportRecord(report=report, state=State(row.state), updated_at=row.updated_at)
