"""Building MAIT messages from contacts: one for each partner agency, each valid against the
schema, carrying what a partner needs (reference, grade, location, caller, vulnerability,
account, timeline) and refusing what cannot be sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from controlroom.adapters.mait.partners_file import load_mait_directory
from controlroom.adapters.mait.xml_codec import from_xml, to_xml
from controlroom.domain.contacts import Caller, Close, UpdateNarrative
from controlroom.domain.errors import InvalidInput
from controlroom.domain.mait import MaitDirectory, MaitInvalid, MessageType, Service
from controlroom.domain.mait.checks import MAX_SUMMARY
from controlroom.domain.policy import Policy
from controlroom.services.mait import build_mait_message
from tests.services.mait_contacts import HANDLER, SCENARIOS, START, build_contact

NOW = START + timedelta(minutes=3)


@pytest.fixture(scope="module")
def directory(policy: Policy) -> MaitDirectory:
    found = load_mait_directory("dcp-p-042", policy)
    assert found is not None
    return found


# agency, partner id, service, what the reference is
CASES = [
    ("ambulance-999", "SWASFT", Service.AMBULANCE, "DC-20261207-0042"),
    ("fire-999", "DSFRS", Service.FIRE, "DC-20261207-0043"),
    ("coastguard-999", "HMCG", Service.COASTGUARD, "C-1001"),
    ("highways", "NH", Service.HIGHWAYS, "C-1001"),
]


@pytest.mark.parametrize(("agency", "partner", "service", "reference"), CASES)
def test_a_contact_for_each_partner_makes_a_schema_valid_create(
    policy, directory, agency, partner, service, reference
):
    contact = build_contact(policy, SCENARIOS[agency])
    message = build_mait_message(
        contact, agency, policy=policy, directory=directory, now=NOW, message_id=f"M-{agency}"
    )
    document = to_xml(message)  # validated against the XSD on the way out

    assert message.header.recipient.id == partner
    assert message.header.sender.id == "DCP"
    assert message.incident is not None
    assert message.incident.service is service
    assert message.incident.reference == reference  # the incident's, else the contact's id
    assert message.incident.summary == SCENARIOS[agency].text
    assert f"<OrganisationID>{partner}</OrganisationID>".encode() in document
    assert from_xml(document) == message


def test_the_ambulance_message_carries_location_caller_grade_and_vulnerability(policy, directory):
    contact = build_contact(policy, SCENARIOS["ambulance-999"])
    message = build_mait_message(
        contact, "ambulance-999", policy=policy, directory=directory, now=NOW, message_id="M-1"
    )
    incident = message.incident
    assert incident is not None and incident.location is not None
    assert (incident.location.latitude, incident.location.longitude) == (50.371234, -4.142346)
    assert incident.location.accuracy_m == 12
    assert incident.location.source == "AML"
    assert incident.caller is not None
    assert incident.caller.telephone == "+447700900123"  # a number to call back on
    assert incident.caller.name == "Ann Smith"
    assert incident.vulnerabilities == ("distress_or_trauma", "older_person")
    assert incident.assessment is not None
    assert incident.assessment.grade == "immediate"
    assert incident.assessment.grade_name == policy.grades["immediate"].name
    assert any(r.paragraph == "4.11.1(a)" for r in incident.assessment.reasons)
    texts = [entry.text for entry in incident.timeline]
    assert texts[0] == "Contact received"
    assert "Incident logged: DC-20261207-0042" in texts
    assert "Vulnerability flagged: distress or trauma" in texts


def test_a_landline_address_goes_with_its_uprn(policy, directory):
    contact = build_contact(policy, SCENARIOS["fire-999"])
    message = build_mait_message(
        contact, "fire-999", policy=policy, directory=directory, now=NOW, message_id="M-2"
    )
    assert message.incident is not None and message.incident.location is not None
    assert message.incident.location.address == "12 Fore Street, Exeter EX4 3AN"
    assert message.incident.location.uprn == "100040212345"
    assert b"<UPRN>100040212345</UPRN>" in to_xml(message)


def test_a_contact_without_number_or_location_sends_neither(policy, directory):
    contact = build_contact(policy, SCENARIOS["highways"])
    message = build_mait_message(
        contact, "highways", policy=policy, directory=directory, now=NOW, message_id="M-3"
    )
    assert message.incident is not None
    assert message.incident.location is None
    assert message.incident.caller is not None
    assert message.incident.caller.telephone is None
    document = to_xml(message)
    assert b"<Location>" not in document and b"<Telephone>" not in document


def test_an_agency_that_is_not_a_partner_is_refused_naming_the_partners(policy, directory):
    contact = build_contact(policy, SCENARIOS["ambulance-999"])
    with pytest.raises(MaitInvalid) as caught:
        build_mait_message(
            contact, "rspca", policy=policy, directory=directory, now=NOW, message_id="M-4"
        )
    assert caught.value.field == "agency"
    assert "ambulance-999" in (caught.value.hint or "")
    with pytest.raises(MaitInvalid, match="unknown agency"):
        build_mait_message(
            contact, "no-such", policy=policy, directory=directory, now=NOW, message_id="M-4"
        )


def test_update_and_close_follow_the_create(policy, directory):
    contact = build_contact(policy, SCENARIOS["ambulance-999"])
    kwargs = {"policy": policy, "directory": directory}
    create = build_mait_message(contact, "ambulance-999", now=NOW, message_id="M-10", **kwargs)
    breathing = UpdateNarrative("He is breathing again but not awake")
    contact.apply(breathing, actor=HANDLER, now=NOW, policy=policy)
    update = build_mait_message(
        contact,
        "ambulance-999",
        now=NOW + timedelta(minutes=1),
        message_id="M-11",
        message_type=MessageType.UPDATE,
        relates_to="M-10",
        recipient_reference="SWAS-778812",
        **kwargs,
    )
    assert update.header.relates_to == create.header.message_id
    assert update.incident is not None
    assert update.incident.summary == "He is breathing again but not awake"
    assert update.incident.recipient_reference == "SWAS-778812"
    assert "Account updated" in [entry.text for entry in update.incident.timeline]

    with pytest.raises(MaitInvalid) as caught:  # nothing says why yet
        build_mait_message(
            contact,
            "ambulance-999",
            now=NOW,
            message_id="M-12",
            message_type=MessageType.CLOSE,
            relates_to="M-10",
            **kwargs,
        )
    assert caught.value.field == "closure_reason"
    contact.apply(
        Close("ambulance on scene; police not needed"), actor=HANDLER, now=NOW, policy=policy
    )
    close = build_mait_message(
        contact,
        "ambulance-999",
        now=NOW + timedelta(minutes=5),
        message_id="M-12",
        message_type=MessageType.CLOSE,
        relates_to="M-10",
        **kwargs,
    )
    assert close.incident is not None and close.incident.closure is not None
    assert "ambulance on scene" in close.incident.closure.reason
    assert b"<MessageType>CLOSE</MessageType>" in to_xml(close)


def test_an_update_without_the_message_it_follows_is_refused(policy, directory):
    contact = build_contact(policy, SCENARIOS["fire-999"])
    with pytest.raises(MaitInvalid) as caught:
        build_mait_message(
            contact,
            "fire-999",
            policy=policy,
            directory=directory,
            now=NOW,
            message_id="M-20",
            message_type=MessageType.UPDATE,
        )
    assert caught.value.field == "header.relates_to"


def test_a_long_account_is_shortened_and_says_where_the_rest_is(policy, directory):
    contact = build_contact(policy, SCENARIOS["ambulance-999"])
    long_text = "He fell down the stairs and " * 400
    contact.apply(UpdateNarrative(long_text), actor=HANDLER, now=NOW, policy=policy)
    message = build_mait_message(
        contact, "ambulance-999", policy=policy, directory=directory, now=NOW, message_id="M-30"
    )
    assert message.incident is not None
    summary = message.incident.summary
    assert len(summary) <= MAX_SUMMARY
    assert summary.startswith("He fell down the stairs")
    assert summary.endswith(
        "[shortened: Devon & Cornwall Police holds the full account under DC-20261207-0042]"
    )
    to_xml(message)


def test_a_contact_id_that_cannot_be_a_reference_asks_for_the_incident(policy, directory):
    contact = build_contact(policy, SCENARIOS["highways"], contact_id="telephony:" + "x" * 60)
    with pytest.raises(MaitInvalid) as caught:
        build_mait_message(
            contact, "highways", policy=policy, directory=directory, now=NOW, message_id="M-40"
        )
    assert caught.value.field == "contact_id"
    assert "log the incident first" in (caught.value.hint or "")


# what a contact accepts as text: anything but control characters, with tab and line breaks
_CONTACT_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")) | st.sampled_from(
    "\t\n\r"
)
_ANY_TEXT = st.text(_CONTACT_CHARS, min_size=1, max_size=5000)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(narrative=_ANY_TEXT, name=st.text(_CONTACT_CHARS, max_size=300))
def test_whatever_a_contact_holds_makes_a_sendable_message(policy, directory, narrative, name):
    scenario = SCENARIOS["ambulance-999"]
    try:
        caller = Caller(scenario.caller.number, name)
        contact = build_contact(policy, replace(scenario, caller=caller))
        contact.apply(UpdateNarrative(narrative), actor=HANDLER, now=NOW, policy=policy)
    except InvalidInput:
        assume(False)  # the contact itself refuses it: nothing to send
    message = build_mait_message(
        contact, "ambulance-999", policy=policy, directory=directory, now=NOW, message_id="M-50"
    )
    assert from_xml(to_xml(message)) == message
