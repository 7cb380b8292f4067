"""Alembic's environment, configured in code (see ``migrate.py``; no ``alembic.ini``).

Migrations run in one transaction on the connection ``migrate.py`` hands over in
``config.attributes["connection"]``; on PostgreSQL a transaction-level advisory lock keeps two
processes from migrating at once (on SQLite the write transaction does the same).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from controlroom.adapters.db.engine import create_engine_for
from controlroom.adapters.db.tables import metadata

#: The key of the advisory lock migrations take on PostgreSQL.
MIGRATION_LOCK_KEY = 0x636F6E74726F6C


def run_migrations(connection: Connection) -> None:
    """Run the pending migrations on ``connection``."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Run online: on the connection given, or on a new one to the configured URL."""
    if context.is_offline_mode():
        raise RuntimeError("offline (SQL script) migrations are not supported")
    config = context.config
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the migrations")
    engine = create_engine_for(url)
    try:
        with engine.begin() as new_connection:
            run_migrations(new_connection)
    finally:
        engine.dispose()


main()
