"""A stream of telephony events applied in batches on the database — each batch read ahead
(answers, call markers, the contacts its landlines may rejoin and its AML messages may belong
to) and committed once — answers every event as one event at a time does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter

from controlroom.domain.contacts import Actor, Role
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.services import location_matching as aml
from controlroom.services.call_stream import generate
from controlroom.services.telephony import TelephonyEvent, apply_in, ingest_event
from controlroom.services.telephony_read_ahead import read_ahead
from controlroom.web.schemas_telephony import TelephonyEventIn
from tests.adapters.db.conftest import MakeUow
from tests.fakes.uow import FakeUnitOfWork
from tests.services.test_telephony import SYSTEM

START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)
ADMIN = Actor("cli:test", Role.ADMIN)
BATCH = 16


def _events(calls: int) -> list[TelephonyEvent]:
    # fast enough that many calls overlap, and landlines rejoin within one batch
    stream = generate(calls, seed=7, start=START, speed=20.0, agents=("handler",), run="b")
    adapter: TypeAdapter[Any] = TypeAdapter(TelephonyEventIn)
    return [adapter.validate_python(event.body).to_event() for event in stream.events]


def _outline(answers: list[tuple[int, dict[str, Any]]]) -> list[tuple[Any, ...]]:
    """Each answer without its contact id, and which earlier answer named the same contact."""
    first: dict[str, int] = {}
    out = []
    for n, (status, body) in enumerate(answers):
        contact = body.get("contact_id")
        same = None if contact is None else first.setdefault(contact, n)
        out.append((status, body["result"], body["state"], body["procedure"], same))
    return out


def test_batches_answer_as_one_event_at_a_time(make_uow: MakeUow, policy: Policy) -> None:
    events = _events(400)
    reference = FakeUnitOfWork()
    for uow in (reference, make_uow()):
        accounts.add_user(uow, ADMIN, "handler", Role.CALL_HANDLER, now=START - timedelta(days=1))
    now = START + timedelta(days=1)
    windows = aml.MatchWindows()

    alone = [ingest_event(lambda **_: reference, SYSTEM, e, now, policy) for e in events]

    together: list[tuple[int, dict[str, Any]]] = []
    for i in range(0, len(events), BATCH):
        batch = events[i : i + BATCH]
        with make_uow() as uow:  # as the writer thread applies a batch
            read_ahead(uow, batch, windows)
            together += [apply_in(uow, SYSTEM, e, now, policy, windows)[:2] for e in batch]
            uow.commit()

    assert _outline(together) == _outline(alone)
    seen = {(body["type"], body["result"]) for _, body in together}
    # landlines rejoined on a new call and AML messages matched, in the batches too
    assert {("call.offered", "reconnected"), ("sms.received", "attached")} <= seen
