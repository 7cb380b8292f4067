"""A partner's acknowledgement is matched to the message it answers, or refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from controlroom.domain.mait import (
    Acknowledgement,
    AckStatus,
    Header,
    Incident,
    MaitInvalid,
    MaitMessage,
    MessageType,
    Organisation,
    Service,
    acknowledgement_of,
)

AT = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)
POLICE = Organisation("DCP", "Devon & Cornwall Police")
AMBULANCE = Organisation("SWASFT", "South Western Ambulance Service")
FIRE = Organisation("DSFRS", "Devon & Somerset Fire and Rescue Service")
SENT = Header("M-1", MessageType.CREATE, AT, POLICE, AMBULANCE)


def reply(
    relates_to: str = "M-1",
    sender: Organisation = AMBULANCE,
    status: AckStatus = AckStatus.RECEIVED,
) -> MaitMessage:
    return MaitMessage(
        Header("A-1", MessageType.ACK, AT, sender, POLICE, relates_to=relates_to),
        acknowledgement=Acknowledgement(status, "SWAS-1"),
    )


def test_the_partners_acknowledgement_of_the_message_is_its_answer() -> None:
    ack = acknowledgement_of(reply(status=AckStatus.ACCEPTED), SENT)
    assert ack.status is AckStatus.ACCEPTED
    assert ack.recipient_reference == "SWAS-1"


def test_an_acknowledgement_of_another_message_is_refused() -> None:
    with pytest.raises(MaitInvalid) as caught:
        acknowledgement_of(reply(relates_to="M-9"), SENT)
    assert caught.value.field == "header.relates_to"
    assert "'M-9', not 'M-1'" in caught.value.message


def test_an_acknowledgement_from_another_organisation_is_refused() -> None:
    with pytest.raises(MaitInvalid) as caught:
        acknowledgement_of(reply(sender=FIRE), SENT)
    assert caught.value.field == "header.sender.id"
    assert "comes from DSFRS" in caught.value.message


def test_a_message_that_is_not_an_acknowledgement_is_refused() -> None:
    create = MaitMessage(
        Header("M-5", MessageType.CREATE, AT, AMBULANCE, POLICE),
        Incident("SWAS-1", Service.POLICE, "Assault on crew", "Crew assaulted", AT),
    )
    with pytest.raises(MaitInvalid, match="expected an ACK message, got CREATE"):
        acknowledgement_of(create, SENT)
