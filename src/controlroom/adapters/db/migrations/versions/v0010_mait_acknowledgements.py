"""Partners' acknowledgements of the MAIT messages sent to them.

Revision ID: 0010_mait_acknowledgements
Revises: 0009_outbox
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0010_mait_acknowledgements"
down_revision: str | None = "0009_outbox"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mait_acknowledgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ack_id", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("contact_id", sa.String(128), nullable=True),
        sa.Column("agency", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("recipient_reference", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_mait_acknowledgements"),
        sa.UniqueConstraint("ack_id", name="uq_mait_acknowledgements_ack_id"),
    )
    op.create_index("ix_mait_acknowledgements_message", "mait_acknowledgements", ["message_id"])
    op.create_index("ix_mait_acknowledgements_contact", "mait_acknowledgements", ["contact_id"])


def downgrade() -> None:
    op.drop_index("ix_mait_acknowledgements_contact", table_name="mait_acknowledgements")
    op.drop_index("ix_mait_acknowledgements_message", table_name="mait_acknowledgements")
    op.drop_table("mait_acknowledgements")
