"""Statements that take a list of values, as each database runs them best.

On PostgreSQL ``column = ANY(:list)`` binds the whole list as one array: the statement's text
is the same whatever the list's length, so the driver parses it once and the server prepares
it once. An expanding ``IN`` — what SQLite gets — writes one placeholder per value, so every
length is another statement to parse, plan and cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY

#: The databases statements are built for.
DIALECTS = ("postgresql", "sqlite")

T = TypeVar("T")


def one_of(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column`` is one of the values of the list bound as ``name``, for ``dialect``."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def per_dialect(build: Callable[[str], T]) -> dict[str, T]:
    """``build(dialect)`` for each of :data:`DIALECTS`, to be looked up by the connection's
    dialect name."""
    return {dialect: build(dialect) for dialect in DIALECTS}
