"""The audit chain over a digest of each row's details (chain version 2), so that retention can
replace a row's details by a tombstone and the chain still verifies.

Adds ``details_digest`` (filled here for every existing row) and ``chain_version`` (1 for the
existing rows: their hash still covers their details; new rows are written as version 2), and
replaces the append-only triggers by ones that allow exactly one update: a version 2 row's
details becoming a tombstone, every other column unchanged. A downgrade is refused once rows
of version 2 exist: the older schema cannot verify them.

Revision ID: 0011_audit_detail_digests
Revises: 0010_mait_acknowledgements
Create Date: 2026-12-07
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011_audit_detail_digests"
down_revision: str | None = "0010_mait_acknowledgements"
branch_labels: str | None = None
depends_on: str | None = None

#: Rows read and updated at a time while filling the digests.
BATCH = 1000
REFUSED = (
    "audit_log is append-only: only the details of a chain version 2 row may become a tombstone"
)

_SQLITE_OLD_UPDATE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
)
_SQLITE_TOMBSTONE = (
    "json_valid({0}.details) AND json_type({0}.details, '$.redacted') IS 'object' "
    "AND (SELECT count(*) FROM json_each({0}.details)) = 1"
)
_SQLITE_UPDATE = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN NOT ("
    "OLD.chain_version IS 2 AND NEW.chain_version IS 2 AND NEW.seq IS OLD.seq "
    "AND NEW.actor IS OLD.actor AND NEW.role IS OLD.role AND NEW.tag IS OLD.tag "
    "AND NEW.subject IS OLD.subject AND NEW.at IS OLD.at AND NEW.prev_hash IS OLD.prev_hash "
    "AND NEW.hash IS OLD.hash AND NEW.details_digest IS OLD.details_digest "
    f"AND {_SQLITE_TOMBSTONE.format('NEW')} AND NOT ({_SQLITE_TOMBSTONE.format('OLD')})"
    f") BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
)
_PG_OLD_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$"
)
_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.chain_version = 2
     AND (NEW.seq, NEW.actor, NEW.role, NEW.tag, NEW.subject, NEW.at, NEW.prev_hash, NEW.hash,
          NEW.details_digest, NEW.chain_version)
         IS NOT DISTINCT FROM
         (OLD.seq, OLD.actor, OLD.role, OLD.tag, OLD.subject, OLD.at, OLD.prev_hash, OLD.hash,
          OLD.details_digest, OLD.chain_version)
     AND json_typeof(NEW.details) = 'object'
     AND COALESCE(json_typeof(NEW.details -> 'redacted') = 'object', false)
     AND (SELECT count(*) FROM json_object_keys(NEW.details)) = 1
     AND NOT COALESCE(json_typeof(OLD.details -> 'redacted') = 'object', false)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '{REFUSED}';
END $$
"""


def _digest(details: Any) -> str:
    if isinstance(details, str):  # a driver that hands JSON back as text
        details = json.loads(details)
    text = json.dumps(
        details, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if not postgresql:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    else:
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    op.add_column(
        "audit_log",
        sa.Column("details_digest", sa.String(64), nullable=False, server_default=""),
    )
    op.add_column(
        "audit_log",
        sa.Column("chain_version", sa.Integer(), nullable=False, server_default="1"),
    )
    _fill_digests()
    if postgresql:
        op.execute(_PG_FUNCTION)
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        op.execute(_SQLITE_UPDATE)


def _fill_digests() -> None:
    """Every existing row's details digest, ``BATCH`` rows at a time in seq order."""
    connection = op.get_bind()
    log = sa.table(
        "audit_log",
        sa.column("seq", sa.Integer()),
        sa.column("details", sa.JSON()),
        sa.column("details_digest", sa.String()),
    )
    update = (
        sa.update(log)
        .where(log.c.seq == sa.bindparam("b_seq"))
        .values(details_digest=sa.bindparam("b_digest"))
    )
    after = 0
    while True:
        rows = connection.execute(
            sa.select(log.c.seq, log.c.details)
            .where(log.c.seq > after)
            .order_by(log.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        connection.execute(
            update, [{"b_seq": row.seq, "b_digest": _digest(row.details)} for row in rows]
        )
        after = rows[-1].seq


def downgrade() -> None:
    connection = op.get_bind()
    newer = connection.execute(
        sa.text("SELECT count(*) FROM audit_log WHERE chain_version <> 1")
    ).scalar_one()
    if newer:
        raise RuntimeError(
            "cannot downgrade below 0011_audit_detail_digests: the audit log has rows of chain "
            f"version 2 ({newer}), which the older schema cannot verify; restore a backup "
            "taken before the upgrade instead"
        )
    if connection.dialect.name == "postgresql":
        op.execute(_PG_OLD_FUNCTION)
        op.drop_column("audit_log", "chain_version")
        op.drop_column("audit_log", "details_digest")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("chain_version")
        batch.drop_column("details_digest")
    op.execute(_SQLITE_OLD_UPDATE)
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
