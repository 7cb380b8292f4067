"""Indexes for the look-ups made on every call: reconnection and caller history.

- ``contacts (caller_number, ended_at)`` replaces the index on ``caller_number`` alone. The
  look-up of a landline that may rejoin its contact filters on the number, the state and the
  time it hung up; with single-column indexes SQLite chose the one on ``state`` and read every
  hung-up contact.
- ``contact_calls (number, offered_at, …)`` now holds every column of the row (a covering
  index), so a caller's history is read from a few adjacent index pages alone rather than one
  table page per call.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

#: The columns of ``contact_calls`` after the key, as in ``tables.CALL_DETAILS`` when written.
_CALL_DETAILS = (
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


def upgrade() -> None:
    op.drop_index("ix_contacts_caller_number", table_name="contacts")
    op.create_index("ix_contacts_caller_number_ended_at", "contacts", ["caller_number", "ended_at"])
    op.drop_index("ix_contact_calls_number_offered_at", table_name="contact_calls")
    op.create_index(
        "ix_contact_calls_number_offered_at",
        "contact_calls",
        ["number", "offered_at", *_CALL_DETAILS],
    )


def downgrade() -> None:
    op.drop_index("ix_contact_calls_number_offered_at", table_name="contact_calls")
    op.create_index("ix_contact_calls_number_offered_at", "contact_calls", ["number", "offered_at"])
    op.drop_index("ix_contacts_caller_number_ended_at", table_name="contacts")
    op.create_index("ix_contacts_caller_number", "contacts", ["caller_number"])
