"""Alembic migrations of the controlroom schema (run them with ``controlroom db upgrade``)."""
