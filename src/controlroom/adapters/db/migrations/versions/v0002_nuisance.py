"""Caller history (contact_calls, filled from the contacts already stored) and nuisance cases.

Revision ID: 0002
Revises: 0001
Create Date: 2026-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from controlroom.adapters.db.call_rows import contact_call_values
from controlroom.adapters.db.records_json import record_from_json

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIME = sa.DateTime(timezone=True)
BATCH = 2_000


def upgrade() -> None:
    op.create_table(
        "contact_calls",
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("number", sa.String(16), nullable=True),
        sa.Column("imei", sa.String(16), nullable=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("offered_at", sa.BigInteger(), nullable=False),
        sa.Column("answered_at", sa.BigInteger(), nullable=True),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("silent", sa.Boolean(), nullable=False),
        sa.Column("dtmf_55", sa.Boolean(), nullable=False),
        sa.Column("speech", sa.Boolean(), nullable=False),
        sa.Column("warned", sa.Boolean(), nullable=False),
        sa.Column("terminated", sa.Boolean(), nullable=False),
        sa.Column("incident", sa.Boolean(), nullable=False),
        sa.Column("vulnerability", sa.String(255), nullable=False),
        sa.Column("route", sa.String(32), nullable=True),
        sa.Column("abusive", sa.Boolean(), nullable=False),
        sa.Column("hoax", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name="pk_contact_calls"),
    )
    op.create_index("ix_contact_calls_number_offered_at", "contact_calls", ["number", "offered_at"])
    op.create_index("ix_contact_calls_imei_offered_at", "contact_calls", ["imei", "offered_at"])
    op.create_index(
        "ix_contact_calls_offered_at", "contact_calls", ["offered_at"], postgresql_using="brin"
    )

    op.create_table(
        "nuisance_cases",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("identifiers", sa.String(400), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_nuisance_cases"),
    )
    op.create_index("ix_nuisance_cases_state", "nuisance_cases", ["state"])

    op.create_table(
        "nuisance_identifiers",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(16), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.CheckConstraint("kind IN ('number', 'imei')", name="ck_nuisance_identifiers_kind"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["nuisance_cases.id"],
            name="fk_nuisance_identifiers_case_id_nuisance_cases",
        ),
        sa.PrimaryKeyConstraint("kind", "value", name="pk_nuisance_identifiers"),
    )
    op.create_index("ix_nuisance_identifiers_case_id", "nuisance_identifiers", ["case_id"])
    _fill_contact_calls()


def _fill_contact_calls() -> None:
    """One contact_calls row for every contact already stored, a batch at a time."""
    bind = op.get_bind()
    contacts = sa.table("contacts", sa.column("id", sa.String), sa.column("record", sa.JSON))
    calls = sa.table("contact_calls", *(sa.column(name) for name in _CALL_COLUMNS))
    last = ""
    while True:
        rows = bind.execute(
            sa.select(contacts.c.id, contacts.c.record)
            .where(contacts.c.id > last)
            .order_by(contacts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = [contact_call_values(record_from_json(row.record)) for row in rows]
        bind.execute(sa.insert(calls), values)
        last = rows[-1].id


_CALL_COLUMNS = (
    "contact_id",
    "number",
    "imei",
    "channel",
    "offered_at",
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


def downgrade() -> None:
    op.drop_table("nuisance_identifiers")
    op.drop_table("nuisance_cases")
    op.drop_table("contact_calls")
