"""Statements that take a list find the rows it names on each database; on PostgreSQL the
statement sent is the same whatever the list's length (parsed and prepared once)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, event, select

from controlroom.adapters.db.lists import one_of, per_dialect
from controlroom.adapters.db.tables import telephony_events
from tests.adapters.db.conftest import MakeUow

ID = telephony_events.c.event_id
BY_ID = per_dialect(lambda dialect: select(ID).where(one_of(ID, "ids", dialect)).order_by(ID))


def test_a_list_finds_what_it_names(make_uow: MakeUow, database_engine: Engine) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with make_uow() as uow:
        for n in range(5):
            uow.processed_events.add(
                f"ev-{n}", event_type="t", received_at=at, status_code=200, response={}
            )
        uow.commit()
    statement = BY_ID[database_engine.dialect.name]
    sent: set[str] = set()

    def remember(*args: Any) -> None:
        sent.add(args[2])

    with database_engine.connect() as connection:
        event.listen(connection, "before_cursor_execute", remember)
        for wanted in (["ev-1"], ["ev-4", "ev-0", "missing"], [], [f"ev-{n}" for n in range(60)]):
            found = connection.execute(statement, {"ids": wanted}).scalars().all()
            assert found == sorted(set(wanted) & {f"ev-{n}" for n in range(5)})
    if database_engine.dialect.name == "postgresql":
        assert len(sent) == 1 and "= ANY (" in sent.pop()
