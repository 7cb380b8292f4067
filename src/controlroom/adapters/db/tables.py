"""The database schema, as SQLAlchemy Core tables. Migrations (``migrations/versions``) create
it; :func:`~controlroom.adapters.db.migrate.check_drift` keeps the two in step.

Times are stored in UTC (:class:`UTCDateTime`). A contact is stored whole as JSON
(``records_json``), with the columns lists and look-ups filter on beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, stored in UTC and always read back in UTC.

    SQLite has no time zones, so there the UTC wall time is stored without an offset.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored; give a UTC time")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)


contacts = Table(
    "contacts",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("state", String(32), nullable=False),
    Column("procedure", String(32), nullable=False),
    Column("caller_number", String(16), nullable=True),
    Column("landline", Boolean, nullable=False),
    Column("offered_at", UTCDateTime, nullable=False),
    Column("answered_at", UTCDateTime, nullable=True),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", JSON, nullable=False),
    Index(None, "caller_number"),
    Index(None, "offered_at"),
    Index(None, "answered_at"),
    Index(None, "ended_at"),
    Index(None, "state"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("tag", String(100), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("details", JSON, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "subject"),
    Index(None, "tag"),
    Index(None, "at"),
)

#: One row (id 1): the seq and hash of the last audit entry. Appenders lock it, so the chain
#: has one writer at a time; ``audit verify`` checks the log ends where it says.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="single_row"),
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(255), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled_at", UTCDateTime, nullable=True),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role", String(32), nullable=False),
    Column("user_id", String(32), ForeignKey("users.id"), nullable=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    Index(None, "name"),
    Index(None, "user_id"),
)

telephony_events = Table(
    "telephony_events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("type", String(64), nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
)
