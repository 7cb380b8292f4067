"""Incident references: a counter per prefix and day, and each reference issued.

Revision ID: 0008_incident_references
Revises: 0006_login_attempts
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_incident_references"
down_revision: str | None = "0007_gazetteer"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reference_counters",
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_reference_counters"),
    )
    op.create_table(
        "incident_references",
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("issued_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("reference", name="pk_incident_references"),
    )
    op.create_index("ix_incident_references_contact_id", "incident_references", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_incident_references_contact_id", table_name="incident_references")
    op.drop_table("incident_references")
    op.drop_table("reference_counters")
