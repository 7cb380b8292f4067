"""The query behind finding contacts by words: every word somewhere in the caller's account
or name (case ignored), newest offered first.

It reads the ``narrative`` and the caller's ``name`` out of each stored record (JSON), so it
scans the contacts table: fine for a control room's volumes, and the look-ups by reference
and number, which a handler uses most, go by index instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, String, cast, func, literal, select

from controlroom.adapters.db.tables import contacts

_ESCAPE = "\\"


def _like(word: str) -> str:
    """``word`` as a LIKE pattern matching it anywhere, its wildcards taken literally."""
    quoted = word.lower().replace(_ESCAPE, _ESCAPE * 2).replace("%", "\\%").replace("_", "\\_")
    return f"%{quoted}%"


def words_query(words: Sequence[str], limit: int) -> Select[Any]:
    """Contacts whose account or caller's name holds every one of ``words``."""
    record = contacts.c.record
    text = func.lower(
        func.coalesce(cast(record["narrative"].as_string(), String), literal(""))
        + literal(" ")
        + func.coalesce(cast(record["caller"]["name"].as_string(), String), literal(""))
    )
    query = select(contacts)
    for word in words:
        query = query.where(text.like(_like(word), escape=_ESCAPE))
    return query.order_by(contacts.c.offered_at.desc(), contacts.c.id.desc()).limit(limit)
