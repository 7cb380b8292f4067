"""The database schema, as SQLAlchemy Core tables. Migrations (``migrations/versions``) create
it; :func:`~controlroom.adapters.db.migrate.check_drift` keeps the two in step.

Times are stored in UTC (:class:`UTCDateTime`). A contact is stored whole as JSON
(``records_json``), with the columns lists and look-ups filter on beside it. ``contact_calls``
keeps each contact in brief for caller history, its times as whole microseconds since
1970-01-01 UTC so the look-up on call arrival reads plain integers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
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
    # the landline reconnection look-up: a number's contacts by the time they hung up
    Index("ix_contacts_caller_number_ended_at", "caller_number", "ended_at"),
    # a caller's contacts, newest first: matching AML messages and emergencySMS to contacts
    Index("ix_contacts_caller_number_offered_at", "caller_number", "offered_at"),
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
    # the SHA-256 of the details as written (kept when they become a tombstone), and the
    # chain version: 1 hashes the details, 2 this digest (migration 0011; docs/audit.md)
    Column("details_digest", String(64), nullable=False, server_default=""),
    Column("chain_version", Integer, nullable=False, server_default="1"),
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

#: The columns of ``contact_calls`` after ``number`` and ``offered_at``: the look-up by number
#: reads them from its index alone (a covering index), so a repeat caller's calls are read from
#: a few adjacent index pages rather than one table page each.
CALL_DETAILS = (
    "contact_id",
    "imei",
    "channel",
    "answered_at",
    "ended_at",
    "outcome",
    "silent",
    "dtmf_55",
    "speech",
    "warned",
    "terminated",
    "incident",
    "vulnerability",
    "route",
    "abusive",
    "hoax",
)

#: One row per contact, in brief, for caller history (docs/nuisance.md): written whenever the
#: contact is saved, in the same transaction. Times are microseconds since 1970-01-01 UTC;
#: ``vulnerability`` is a comma list of flags ("" for none). ``abusive`` and ``hoax`` are the
#: handler's markers and survive the contact being saved again. No foreign key to ``contacts``:
#: the row is derived from the contact and rebuilt with it. The index on ``offered_at`` alone
#: (for the supervisors' view of busy numbers) is a BRIN index on PostgreSQL: small, suited to
#: rows arriving in time order, and never preferred to ``(number, offered_at)`` for a look-up.
contact_calls = Table(
    "contact_calls",
    metadata,
    Column("contact_id", String(128), primary_key=True),
    Column("number", String(16), nullable=True),
    Column("imei", String(16), nullable=True),
    Column("channel", String(32), nullable=False),
    Column("offered_at", BigInteger, nullable=False),
    Column("answered_at", BigInteger, nullable=True),
    Column("ended_at", BigInteger, nullable=True),
    Column("outcome", String(32), nullable=False),
    Column("silent", Boolean, nullable=False),
    Column("dtmf_55", Boolean, nullable=False),
    Column("speech", Boolean, nullable=False),
    Column("warned", Boolean, nullable=False),
    Column("terminated", Boolean, nullable=False),
    Column("incident", Boolean, nullable=False),
    Column("vulnerability", String(255), nullable=False),
    Column("route", String(32), nullable=True),
    Column("abusive", Boolean, nullable=False),
    Column("hoax", Boolean, nullable=False),
    Index("ix_contact_calls_number_offered_at", "number", "offered_at", *CALL_DETAILS),
    Index("ix_contact_calls_imei_offered_at", "imei", "offered_at"),
    Index(None, "offered_at", postgresql_using="brin"),
)

#: Nuisance cases: the whole case as JSON (``record``), with what lists filter on beside it:
#: ``identifiers`` (as shown), ``state``, ``step`` (the step waiting, else the highest taken)
#: and ``kind`` (a comma list of the kinds assessed).
nuisance_cases = Table(
    "nuisance_cases",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("identifiers", String(400), nullable=False),
    Column("state", String(16), nullable=False),
    Column("step", String(64), nullable=True),
    Column("kind", String(100), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", JSON, nullable=False),
    Index(None, "state"),
)

#: Every number and IMEI linked to a case: each belongs to one case only.
nuisance_identifiers = Table(
    "nuisance_identifiers",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("value", String(16), nullable=False),
    Column("case_id", String(128), ForeignKey("nuisance_cases.id"), nullable=False),
    PrimaryKeyConstraint("kind", "value"),
    CheckConstraint("kind IN ('number', 'imei')", name="kind"),
    Index(None, "case_id"),
)

#: Online reports (Digital 101, Open311): the public reference of each ``online_report``
#: contact, its report type, and (``details``, never published) the reporter's answers,
#: location and contact details. ``listed`` is false for a report type that gives no reference.
online_reports = Table(
    "online_reports",
    metadata,
    Column("reference", String(32), primary_key=True),
    Column("token", String(32), nullable=True, unique=True),
    Column("contact_id", String(128), ForeignKey("contacts.id"), nullable=False, unique=True),
    Column("service_code", String(64), nullable=False),
    Column("listed", Boolean, nullable=False),
    Column("escalated", Boolean, nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Column("details", JSON, nullable=False),
    Index(None, "service_code"),
    Index(None, "requested_at"),
)

#: Sign-in failures counted per client address (``address:<ip>``) and per account
#: (``account:<name>``), shared by every instance (domain/login_backoff.py).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UTCDateTime, nullable=False),
    Column("next_at", UTCDateTime, nullable=False),
    Column("reported_at", UTCDateTime, nullable=True),
    Column("unreported", Integer, nullable=False),
    Index(None, "last_failure_at"),
)


#: The force's gazetteer: postcodes and places with coordinates, imported from CSV
#: (``controlroom location gazetteer-import``) and searched from the console's location box.
gazetteer = Table(
    "gazetteer",
    metadata,
    Column("kind", String(16), nullable=False),
    Column("key", String(200), nullable=False),
    Column("name", String(200), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("accuracy_m", Float, nullable=False),
    Column("source", String(200), nullable=False),
    PrimaryKeyConstraint("kind", "key", name="pk_gazetteer"),
    Index(None, "key"),
)

#: Incident references (domain/references.py): ``last`` is the number last issued in a scope
#: (the force's prefix and local day), raised in the transaction that logs the incident, so
#: every instance issues distinct numbers; ``incident_references`` finds the contact of each.
reference_counters = Table(
    "reference_counters",
    metadata,
    Column("scope", String(32), primary_key=True),
    Column("last", Integer, nullable=False),
)

incident_references = Table(
    "incident_references",
    metadata,
    Column("reference", String(40), primary_key=True),
    # no foreign key: the contact row is written at the commit, after this one
    Column("contact_id", String(128), nullable=False),
    Column("issued_at", UTCDateTime, nullable=False),
    Index(None, "contact_id"),
)

#: The outbox (domain/outbox.py): a message written in the transaction of the change it
#: reports, then delivered at least once by the delivery worker. ``sequence`` numbers one
#: contact's messages to one destination, so a later one is never delivered before an earlier.
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("destination", String(64), nullable=False),
    Column("kind", String(64), nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("contact_id", String(128), nullable=True),
    Column("sequence", Integer, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Index(None, "state", "next_attempt_at"),
    Index("ix_outbox_contact", "destination", "contact_id", "sequence", unique=True),
)

#: Partners' acknowledgements of the MAIT messages sent to them (docs/interop.md).
mait_acknowledgements = Table(
    "mait_acknowledgements",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ack_id", String(64), nullable=False, unique=True),
    Column("message_id", String(64), nullable=False),
    Column("contact_id", String(128), nullable=True),
    Column("agency", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("recipient_reference", String(64), nullable=True),
    Column("reason", Text, nullable=False),
    Column("sent_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Index("ix_mait_acknowledgements_message", "message_id"),
    Index("ix_mait_acknowledgements_contact", "contact_id"),
)
