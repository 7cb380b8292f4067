"""The force's gazetteer: postcodes and places with coordinates, shared by every instance.

Revision ID: 0007_gazetteer
Revises: 0006_login_attempts
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_gazetteer"
down_revision: str | None = "0006_login_attempts"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "gazetteer",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key", name="pk_gazetteer"),
    )
    op.create_index("ix_gazetteer_key", "gazetteer", ["key"])


def downgrade() -> None:
    op.drop_index("ix_gazetteer_key", table_name="gazetteer")
    op.drop_table("gazetteer")
