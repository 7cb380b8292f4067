"""Online reports: the public reference and report type of each online_report contact.

Revision ID: 0003
Revises: 0002
Create Date: 2026-03-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "online_reports",
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("token", sa.String(32), nullable=True),
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("service_code", sa.String(64), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("requested_at", UTC_TIME, nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("reference", name="pk_online_reports"),
        sa.UniqueConstraint("token", name="uq_online_reports_token"),
        sa.UniqueConstraint("contact_id", name="uq_online_reports_contact_id"),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name="fk_online_reports_contact_id_contacts"
        ),
    )
    op.create_index("ix_online_reports_service_code", "online_reports", ["service_code"])
    op.create_index("ix_online_reports_requested_at", "online_reports", ["requested_at"])


def downgrade() -> None:
    op.drop_index("ix_online_reports_requested_at", table_name="online_reports")
    op.drop_index("ix_online_reports_service_code", table_name="online_reports")
    op.drop_table("online_reports")
