"""An index for a caller's contacts in time order: ``contacts (caller_number, offered_at)``.

Matching an AML message to its call, and an emergencySMS to its conversation, reads the
newest contacts of one number. With only ``(caller_number, ended_at)`` and ``(offered_at)``
PostgreSQL walked the whole ``offered_at`` index backwards looking for that number's rows, so
every AML message cost more as the table grew.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(
        "ix_contacts_caller_number_offered_at", "contacts", ["caller_number", "offered_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_caller_number_offered_at", table_name="contacts")
