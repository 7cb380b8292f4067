"""The database: SQLite (WAL) by default, or PostgreSQL, through SQLAlchemy and Alembic.

``engine.create_engine_for(url)`` makes an engine; ``migrate.upgrade(url)`` brings the schema
up to date; ``uow.SqlUnitOfWork(engine)`` is the unit of work the use cases run in. See
docs/storage.md.
"""

from controlroom.adapters.db.engine import create_engine_for, normalise_url
from controlroom.adapters.db.uow import NullPublisher, SqlUnitOfWork

__all__ = ["NullPublisher", "SqlUnitOfWork", "create_engine_for", "normalise_url"]
