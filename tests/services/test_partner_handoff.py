"""Sending a contact on to partner agencies by MAIT, on SQLite and PostgreSQL: the CREATE in
the outbox with its audit row in one transaction, a second CREATE refused, UPDATE and CLOSE
naming the CREATE, a CLOSE on closing only after a CREATE, nothing when MAIT is not configured;
delivery to a hub that checks the signature and the schema; the partner's acknowledgement."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from controlroom.adapters.db.tables import audit_log, mait_acknowledgements
from controlroom.adapters.db.uow import SqlUnitOfWork
from controlroom.adapters.mait.partners_file import load_mait_directory
from controlroom.adapters.mait.xml_codec import from_xml, parse_acknowledgement, to_xml
from controlroom.adapters.signed_http import SignedHttpTransport
from controlroom.domain.access import AccessDenied, Principal
from controlroom.domain.contacts import (
    Answer,
    Assess,
    Caller,
    Close,
    LogIncident,
    Role,
    UpdateNarrative,
)
from controlroom.domain.errors import Conflict, NotFound
from controlroom.domain.mait import (
    Acknowledgement,
    AckStatus,
    Header,
    MaitMessage,
    MessageType,
    Organisation,
)
from controlroom.domain.mait.delivery import TAG_ACKNOWLEDGED, TAG_SENT
from controlroom.domain.outbox import MessageState, RetryPolicy
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from controlroom.services import contacts as service
from controlroom.services.outbox import deliver_due
from controlroom.services.partner_acks import AckMismatch, record_acknowledgement
from controlroom.services.partner_handoff import (
    PartnerSetup,
    PartnersUnavailable,
    attach_partners,
    send_to_partner,
)
from controlroom.services.partner_view import partner_panel
from tests.mait_receiver import SECRET, MaitHub
from tests.outbox_support import Clock

T0 = datetime(2026, 12, 7, 14, 2, tzinfo=UTC)
HANDLER = Principal("alice", Role.CALL_HANDLER)
HUB = Principal("mait-hub", Role.INTEGRATION)
COLLAPSE = "My husband has collapsed in the kitchen and he isn't breathing properly"
PARTNERS = frozenset({"partner:ambulance-999", "partner:fire-999"})
AMBULANCE = "ambulance-999"


class Factory:
    def __init__(self, engine: Engine, destinations: frozenset[str]) -> None:
        self.engine, self.destinations = engine, destinations

    def __call__(self, *, read_only: bool = False, snapshot: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self.engine,
            read_only=read_only,
            snapshot=snapshot,
            outbox_destinations=self.destinations,
        )


@pytest.fixture
def mait_policy(policy: Policy) -> Iterator[Policy]:
    directory = load_mait_directory("dcp-p-042", policy)
    assert directory is not None
    attach_partners(policy, PartnerSetup(directory, to_xml, from_xml, parse_acknowledgement))
    yield policy
    attach_partners(policy, None)


@pytest.fixture
def factory(database_engine: Engine) -> Factory:
    return Factory(database_engine, PARTNERS)


def call(factory: Factory, policy: Policy, now: datetime = T0) -> str:
    details = service.offer_contact(
        factory,
        HANDLER,
        channel=Channel.NINE_NINE_NINE,
        caller=Caller(number="+447700900123", name="Ann Smith"),
        narrative="",
        now=now,
        policy=policy,
    )
    cid = details.contact.id
    steps = (Answer(), UpdateNarrative(COLLAPSE), Assess("immediate"), LogIncident("immediate"))
    for step, action in enumerate(steps):
        service.do_action(factory, HANDLER, cid, action, now + timedelta(seconds=step), policy)
    return cid


def outbox_rows(factory: Factory) -> list:  # type: ignore[type-arg]
    with factory(read_only=True) as uow:
        return list(uow.outbox.list(state=None, limit=100))[::-1]


def audit_tags(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return [row.tag for row in connection.execute(select(audit_log).order_by(audit_log.c.seq))]


def test_create_is_enqueued_with_its_audit_row_and_a_second_is_refused(
    factory: Factory, mait_policy: Policy, database_engine: Engine
) -> None:
    cid = call(factory, mait_policy)
    sent = send_to_partner(factory, HANDLER, cid, AMBULANCE, T0 + timedelta(minutes=1), mait_policy)
    assert sent.message_type is MessageType.CREATE
    (row,) = outbox_rows(factory)
    assert (row.destination, row.kind, row.idempotency_key) == (
        "partner:ambulance-999",
        "mait.create",
        f"mait:{sent.message_id}",
    )
    assert row.content_type == "application/xml" and row.state is MessageState.PENDING
    message = from_xml(row.body.encode())
    assert message.header.recipient.id == "SWASFT" and message.header.relates_to is None
    assert message.incident is not None and message.incident.summary == COLLAPSE
    assert audit_tags(database_engine)[-1] == TAG_SENT
    with pytest.raises(Conflict, match="has been sent this contact already") as refused:
        send_to_partner(factory, HANDLER, cid, AMBULANCE, T0 + timedelta(minutes=2), mait_policy)
    assert refused.value.hint == "send an update instead"
    assert len(outbox_rows(factory)) == 1, "a refused send leaves nothing behind"


def test_update_and_close_name_the_create_and_close_goes_only_where_a_create_went(
    factory: Factory, mait_policy: Policy
) -> None:
    cid = call(factory, mait_policy)
    with pytest.raises(Conflict, match="not been sent this contact yet"):
        send_to_partner(factory, HANDLER, cid, AMBULANCE, T0, mait_policy, update=True)
    at = T0 + timedelta(minutes=1)
    create = send_to_partner(factory, HANDLER, cid, AMBULANCE, at, mait_policy)
    update = send_to_partner(
        factory, HANDLER, cid, AMBULANCE, T0 + timedelta(minutes=2), mait_policy, update=True
    )
    service.do_action(factory, HANDLER, cid, Close(), T0 + timedelta(minutes=3), mait_policy)
    rows = outbox_rows(factory)
    assert [r.kind for r in rows] == ["mait.create", "mait.update", "mait.close"]
    assert {r.destination for r in rows} == {"partner:ambulance-999"}, "no CLOSE to fire"
    messages = [from_xml(r.body.encode()) for r in rows]
    assert messages[1].header.message_id == update.message_id
    assert [m.header.relates_to for m in messages[1:]] == [create.message_id] * 2
    closing = messages[2]
    assert closing.header.message_type is MessageType.CLOSE
    assert closing.incident is not None and closing.incident.closure is not None
    with pytest.raises(Conflict, match="nothing more is sent"):
        send_to_partner(factory, HANDLER, cid, "fire-999", T0 + timedelta(minutes=4), mait_policy)


def test_closing_a_contact_never_sent_to_a_partner_sends_nothing(
    factory: Factory, mait_policy: Policy
) -> None:
    cid = call(factory, mait_policy)
    service.do_action(factory, HANDLER, cid, Close(), T0 + timedelta(minutes=3), mait_policy)
    assert outbox_rows(factory) == []


def test_nothing_can_be_sent_when_mait_is_not_configured(
    database_engine: Engine, policy: Policy, mait_policy: Policy
) -> None:
    unconfigured = Factory(database_engine, frozenset())
    cid = call(unconfigured, mait_policy)
    with pytest.raises(PartnersUnavailable, match="CONTROLROOM_MAIT_URL is not set"):
        send_to_partner(unconfigured, HANDLER, cid, AMBULANCE, T0, mait_policy)
    panel = partner_panel(unconfigured, HANDLER, cid, mait_policy)
    assert panel is not None and panel.unavailable is not None
    assert "CONTROLROOM_MAIT_URL" in panel.unavailable
    attach_partners(policy, None)
    with pytest.raises(PartnersUnavailable, match=r"no \[mait\] partners"):
        send_to_partner(Factory(database_engine, PARTNERS), HANDLER, cid, AMBULANCE, T0, policy)
    assert outbox_rows(unconfigured) == []


def test_only_a_handler_sends_and_only_to_a_partner(factory: Factory, mait_policy: Policy) -> None:
    cid = call(factory, mait_policy)
    with pytest.raises(AccessDenied):
        send_to_partner(factory, Principal("aud", Role.AUDITOR), cid, AMBULANCE, T0, mait_policy)
    with pytest.raises(Exception, match="does not take MAIT messages"):
        send_to_partner(factory, HANDLER, cid, "police-101", T0, mait_policy)
    with pytest.raises(NotFound):
        send_to_partner(factory, HANDLER, "C-nope", AMBULANCE, T0, mait_policy)


def ack(sent_id: str, status: AckStatus, *, sender: str = "SWASFT", **kw: str) -> bytes:
    header = Header(
        message_id=f"ACK-{sent_id[:8]}-{status.value}-{sender}",
        message_type=MessageType.ACK,
        sent_at=T0 + timedelta(minutes=5),
        sender=Organisation(sender, "Partner"),
        recipient=Organisation("DCP", "Devon & Cornwall Police"),
        relates_to=sent_id,
    )
    return to_xml(MaitMessage(header=header, acknowledgement=Acknowledgement(status, **kw)))


def test_delivered_to_a_hub_that_checks_signature_and_schema_then_acknowledged(
    factory: Factory, mait_policy: Policy, database_engine: Engine
) -> None:
    cid = call(factory, mait_policy)
    sent = send_to_partner(factory, HANDLER, cid, AMBULANCE, T0, mait_policy)
    clock = Clock(datetime.now(UTC))
    with MaitHub() as hub:
        transport = SignedHttpTransport(hub.url, SECRET, setting="CONTROLROOM_MAIT_URL")
        transports = dict.fromkeys(PARTNERS, transport)
        outcome = deliver_due(factory, transports, RetryPolicy(), clock)
    assert outcome.delivered == 1 and hub.refused == []
    taken = hub.messages[f"mait:{sent.message_id}"]
    assert taken.header.message_type is MessageType.CREATE and taken.header.recipient.id == "SWASFT"
    panel = partner_panel(factory, HANDLER, cid, mait_policy)
    assert panel is not None and panel.unavailable is None
    first = panel.rows[0]
    assert (first.agency, first.suggested_by) == (AMBULANCE, "triage"), "triage's partner first"
    assert first.messages[0].state is MessageState.DELIVERED and first.messages[0].ack is None

    accepted = ack(sent.message_id, AckStatus.ACCEPTED, recipient_reference="SWAS-778812")
    recorded = record_acknowledgement(factory, HUB, accepted, T0, mait_policy)
    assert recorded.created and recorded.ack.status is AckStatus.ACCEPTED
    again = record_acknowledgement(factory, HUB, accepted, T0, mait_policy)
    assert not again.created, "the same acknowledgement again is recorded once"
    with database_engine.connect() as connection:
        assert len(connection.execute(select(mait_acknowledgements)).all()) == 1
    assert audit_tags(database_engine)[-1] == TAG_ACKNOWLEDGED
    panel = partner_panel(factory, HANDLER, cid, mait_policy)
    assert panel is not None
    seen = panel.rows[0].messages[0].ack
    assert seen is not None and seen.recipient_reference == "SWAS-778812"

    update = send_to_partner(factory, HANDLER, cid, AMBULANCE, T0, mait_policy, update=True)
    with factory(read_only=True) as uow:
        body = uow.outbox.by_key(f"mait:{update.message_id}")
    assert body is not None
    incident = from_xml(body.body.encode()).incident
    assert incident is not None and incident.recipient_reference == "SWAS-778812"

    rejected = ack(update.message_id, AckStatus.REJECTED, reason="Not our area")
    assert record_acknowledgement(factory, HUB, rejected, T0, mait_policy).ack.reason == (
        "Not our area"
    )
    with pytest.raises(AckMismatch, match=r"comes from DSFRS"):
        record_acknowledgement(
            factory, HUB, ack(sent.message_id, AckStatus.ACCEPTED, sender="DSFRS"), T0, mait_policy
        )
    with pytest.raises(NotFound, match="no MAIT message"):
        record_acknowledgement(
            factory, HUB, ack("never-sent-0001", AckStatus.ACCEPTED), T0, mait_policy
        )
    with pytest.raises(AccessDenied):
        record_acknowledgement(factory, HANDLER, accepted, T0, mait_policy)
