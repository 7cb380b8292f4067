"""Sign-in failures per client address and per account, shared by every instance.

Revision ID: 0006_login_attempts
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_login_attempts"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_attempts",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTC_TIME, nullable=False),
        sa.Column("next_at", UTC_TIME, nullable=False),
        sa.Column("reported_at", UTC_TIME, nullable=True),
        sa.Column("unreported", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_attempts"),
    )
    op.create_index("ix_login_attempts_last_failure_at", "login_attempts", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_last_failure_at", table_name="login_attempts")
    op.drop_table("login_attempts")
