"""MAIT XML: every message the model accepts is valid against the XSD and reads back the same;
documents that break the schema or the model are refused saying where; acknowledgements are
read back; the golden example is the one docs/mait.md shows."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from controlroom.adapters.mait.partners_file import load_mait_directory
from controlroom.adapters.mait.xml_codec import (
    NAMESPACE,
    SCHEMA_FILE,
    from_xml,
    parse_acknowledgement,
    schema,
    to_xml,
    validate,
)
from controlroom.domain.mait import (
    Acknowledgement,
    AckStatus,
    Assessment,
    Caller,
    Closure,
    Header,
    Incident,
    Location,
    MaitInvalid,
    MaitMessage,
    MessageType,
    Organisation,
    Reason,
    Service,
    TimelineEntry,
    checks,
)
from controlroom.services.mait import build_mait_message
from tests.services.mait_contacts import SCENARIOS, START, build_contact

FIXTURES = Path(__file__).parent / "fixtures" / "mait"
DOCS = Path(__file__).parents[2] / "docs" / "mait.md"
POLICE = Organisation("DCP", "Devon & Cornwall Police")
AMBULANCE = Organisation("SWASFT", "South Western Ambulance Service")
AT = datetime(2026, 12, 7, 14, 5, tzinfo=UTC)


def header(kind: MessageType = MessageType.CREATE, **changes: object) -> Header:
    relates = None if kind is MessageType.CREATE else "M-1"
    fields: dict[str, object] = {
        "message_id": "M-2" if relates else "M-1",
        "message_type": kind,
        "sent_at": AT,
        "sender": POLICE,
        "recipient": AMBULANCE,
        "relates_to": relates,
    }
    fields.update(changes)
    return Header(**fields)  # type: ignore[arg-type]


def incident(**changes: object) -> Incident:
    fields: dict[str, object] = {
        "reference": "DC-20261207-0042",
        "service": Service.AMBULANCE,
        "classification": "Medical emergency",
        "summary": "Man collapsed, not breathing",
        "created_at": AT,
        "location": Location(50.371234, -4.142346, 12),
    }
    fields.update(changes)
    return Incident(**fields)  # type: ignore[arg-type]


def golden_message(policy) -> MaitMessage:
    directory = load_mait_directory("dcp-p-042", policy)
    assert directory is not None
    contact = build_contact(policy, SCENARIOS["ambulance-999"])
    return build_mait_message(
        contact,
        "ambulance-999",
        policy=policy,
        directory=directory,
        now=START + timedelta(minutes=2),
        message_id="0f5b2c1e-7d3a-4c55-9a41-2b8e6f1d9c07",
    )


# -- the golden example ---------------------------------------------------------------------


def test_the_golden_create_is_what_the_builder_writes(policy) -> None:
    assert to_xml(golden_message(policy)) == (FIXTURES / "create-ambulance.xml").read_bytes()


def test_the_docs_show_the_golden_examples() -> None:
    text = DOCS.read_text(encoding="utf-8")
    shown = re.findall(r"```xml\n(.*?)```", text, flags=re.S)
    for name in ("create-ambulance.xml", "ack-accepted.xml"):
        assert (FIXTURES / name).read_text(encoding="utf-8") in shown, name


def test_the_golden_acknowledgement_reads_back() -> None:
    message = parse_acknowledgement((FIXTURES / "ack-accepted.xml").read_bytes())
    assert message.header.sender.id == "SWASFT"
    assert message.header.relates_to == "0f5b2c1e-7d3a-4c55-9a41-2b8e6f1d9c07"
    assert message.acknowledgement == Acknowledgement(AckStatus.ACCEPTED, "SWAS-778812")


# -- round trip -----------------------------------------------------------------------------


def test_xml_to_model_to_xml_gives_the_same_document() -> None:
    document = (FIXTURES / "create-ambulance.xml").read_bytes()
    assert to_xml(from_xml(document)) == document


# -- refusals -------------------------------------------------------------------------------


def _without(document: bytes, tag: str) -> bytes:
    root = ET.fromstring(document)
    for parent in root.iter():
        for child in list(parent):
            if child.tag == f"{{{NAMESPACE}}}{tag}":
                parent.remove(child)
    return ET.tostring(root, encoding="utf-8")


def _with_text(document: bytes, tag: str, value: str) -> bytes:
    root = ET.fromstring(document)
    found = root.find(f".//{{{NAMESPACE}}}{tag}")
    assert found is not None
    found.text = value
    return ET.tostring(root, encoding="utf-8")


def test_a_document_missing_a_mandatory_element_is_refused_saying_where() -> None:
    document = _without((FIXTURES / "create-ambulance.xml").read_bytes(), "OriginatorReference")
    with pytest.raises(MaitInvalid) as caught:
        from_xml(document)
    assert "/MAITMessage/Incident" in caught.value.message
    assert "OriginatorReference" in caught.value.message
    assert caught.value.hint and "docs/mait.md" in caught.value.hint


@pytest.mark.parametrize(
    ("tag", "value"),
    [
        ("Latitude", "91"),
        ("Longitude", "-180.5"),
        ("Latitude", "50.1234567"),  # more places than MAIT keeps
        ("Classification", "x" * (checks.MAX_CLASSIFICATION + 1)),
        ("Telephone", "07700900123"),
        ("SentAt", "2026-12-07T14:05:00+01:00"),
        ("MessageType", "DELETE"),
    ],
)
def test_a_document_with_a_bad_value_is_refused(tag: str, value: str) -> None:
    document = _with_text((FIXTURES / "create-ambulance.xml").read_bytes(), tag, value)
    with pytest.raises(MaitInvalid) as caught:
        validate(document)
    assert tag in caught.value.message


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Location(91.0, 0.0), "incident.location.latitude"),
        (lambda: Location(50.0, float("nan")), "incident.location.longitude"),
        (lambda: Location(50.0, -4.0, accuracy_m=-1), "incident.location.accuracy_m"),
        (lambda: incident(classification="x" * 201), "incident.classification"),
        (lambda: incident(summary="x" * (checks.MAX_SUMMARY + 1)), "incident.summary"),
        (lambda: incident(summary="  "), "incident.summary"),
        (lambda: incident(reference="DC 42"), "incident.reference"),
        (lambda: Caller(telephone="07700900123"), "incident.caller.telephone"),
        (lambda: Caller(name="Ann\nSmith"), "incident.caller.name"),
        (lambda: incident(summary="bell \x07"), "incident.summary"),
        (lambda: header(recipient=POLICE), "header.recipient.id"),
        (lambda: header(MessageType.UPDATE, relates_to=None), "header.relates_to"),
        (lambda: header(sent_at=datetime(2026, 12, 7, 14, 5)), "header.sent_at"),
        (lambda: Organisation("swasft", "x").check("header.recipient"), "header.recipient.id"),
        (lambda: MaitMessage(header(MessageType.CLOSE), incident()), "incident.closure"),
        (lambda: MaitMessage(header(MessageType.ACK), incident()), "acknowledgement"),
        (lambda: Acknowledgement(AckStatus.REJECTED), "acknowledgement.reason"),
    ],
)
def test_the_model_refuses_what_the_schema_would(make, field: str) -> None:
    with pytest.raises(MaitInvalid) as caught:
        make()
    assert caught.value.field == field
    assert caught.value.message


@pytest.mark.parametrize(
    "document",
    [
        b"<MAITMessage",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><MAITMessage/>',
        "<MAITMessage>é</MAITMessage>".encode("latin-1"),
        b"<Other xmlns='urn:elsewhere'/>",
        b"<MAITMessage>" + b" " * (256 * 1024) + b"</MAITMessage>",
    ],
)
def test_a_document_that_is_not_a_mait_message_is_refused(document: bytes) -> None:
    with pytest.raises(MaitInvalid) as caught:
        from_xml(document)
    assert caught.value.field


# -- acknowledgements -----------------------------------------------------------------------


def test_a_rejection_reads_back_with_its_reason() -> None:
    ack = MaitMessage(
        Header("A-9", MessageType.ACK, AT, AMBULANCE, POLICE, relates_to="M-1"),
        acknowledgement=Acknowledgement(AckStatus.REJECTED, reason="not in our area"),
    )
    read = parse_acknowledgement(to_xml(ack))
    assert read.acknowledgement is not None
    assert read.acknowledgement.status is AckStatus.REJECTED
    assert read.acknowledgement.reason == "not in our area"


def test_a_rejection_without_a_reason_is_refused_on_reading() -> None:
    document = (FIXTURES / "ack-accepted.xml").read_bytes().replace(b"ACCEPTED", b"REJECTED")
    with pytest.raises(MaitInvalid) as caught:
        parse_acknowledgement(document)
    assert caught.value.field == "acknowledgement.reason"


def test_only_acknowledgements_are_read_as_acknowledgements() -> None:
    with pytest.raises(MaitInvalid) as caught:
        parse_acknowledgement((FIXTURES / "create-ambulance.xml").read_bytes())
    assert caught.value.field == "header.message_type"


# -- the schema and the model agree ---------------------------------------------------------


def test_the_schema_limits_are_the_models() -> None:
    types = schema().types
    for name, limit in [
        ("Text40", checks.MAX_GRADE),
        ("Text60", checks.MAX_SOURCE),
        ("Text120", checks.MAX_NAME),
        ("Text200", checks.MAX_CLASSIFICATION),
        ("Text500", checks.MAX_LINE),
        ("Text4000", checks.MAX_SUMMARY),
    ]:
        assert types[name].max_length == limit, name
    assert checks.MAX_PARAGRAPH == checks.MAX_GRADE  # both Text40
    xsd = ET.fromstring(files("controlroom.adapters.mait").joinpath(SCHEMA_FILE).read_bytes())
    x = "{http://www.w3.org/2001/XMLSchema}"
    repeats = {
        (kind.get("name"), element.get("name")): element.get("maxOccurs")
        for kind in xsd.iter(f"{x}complexType")
        for element in kind.iter(f"{x}element")
    }
    assert repeats[("AssessmentType", "Reason")] == str(checks.MAX_REASONS)
    assert repeats[("TimelineType", "Entry")] == str(checks.MAX_TIMELINE)


# -- property: whatever the model accepts, the schema accepts -------------------------------

_LINE = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1
).map(str.strip)


def _text(limit: int, *, lines: bool = False) -> st.SearchStrategy[str]:
    alphabet = st.characters(codec="utf-8", exclude_categories=("Cs", "Cc"))
    base = st.text(alphabet, min_size=1, max_size=limit)
    if lines:
        base = st.lists(base, min_size=1, max_size=3).map("\n".join)
    return base.map(lambda s: s.strip()[:limit].strip()).filter(
        lambda s: bool(s) and (lines or "\n" not in s) and "\u2028" not in s and "\u2029" not in s
    )


_MOMENT = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
)
_ID = st.from_regex(checks.MESSAGE_ID, fullmatch=True)
_ORG = st.builds(
    Organisation, st.from_regex(checks.ORGANISATION_ID, fullmatch=True), _text(checks.MAX_NAME)
)
_LOCATION = st.builds(
    Location,
    st.floats(-90, 90),
    st.floats(-180, 180),
    st.none() | st.floats(0, 1_000_000),
    st.just("") | _text(checks.MAX_SOURCE),
    st.just("") | _text(checks.MAX_ADDRESS, lines=True),
    st.none() | st.from_regex(checks.UPRN, fullmatch=True),
    st.none() | _MOMENT,
)
_ASSESSMENT = st.builds(
    Assessment,
    _text(checks.MAX_GRADE),
    _text(checks.MAX_NAME),
    st.just("") | _text(checks.MAX_LINE, lines=True),
    st.lists(
        st.builds(Reason, _text(checks.MAX_PARAGRAPH), _text(checks.MAX_LINE, lines=True)),
        max_size=checks.MAX_REASONS,
    ).map(tuple),
)
_INCIDENT = st.builds(
    Incident,
    reference=st.from_regex(checks.REFERENCE, fullmatch=True),
    service=st.sampled_from(Service),
    classification=_text(checks.MAX_CLASSIFICATION, lines=True),
    summary=_text(checks.MAX_SUMMARY, lines=True),
    created_at=_MOMENT,
    assessment=st.none() | _ASSESSMENT,
    location=st.none() | _LOCATION,
    caller=st.none()
    | st.builds(
        Caller,
        st.just("") | _text(checks.MAX_NAME),
        st.none() | st.from_regex(checks.TELEPHONE, fullmatch=True),
        st.just("") | _text(checks.MAX_GRADE),
    ),
    vulnerabilities=st.lists(_text(checks.MAX_SOURCE), unique=True, max_size=6).map(tuple),
    timeline=st.lists(
        st.builds(TimelineEntry, _MOMENT, _text(checks.MAX_LINE, lines=True)),
        max_size=checks.MAX_TIMELINE,
    ).map(tuple),
    recipient_reference=st.none() | st.from_regex(checks.REFERENCE, fullmatch=True),
)


@st.composite
def messages(draw: st.DrawFn) -> MaitMessage:
    kind = draw(st.sampled_from(MessageType))
    sender, recipient = draw(st.lists(_ORG, min_size=2, max_size=2, unique_by=lambda o: o.id))
    ids = draw(st.lists(_ID, min_size=2, max_size=2, unique=True))
    relates = None if kind is MessageType.CREATE else ids[1]
    head = Header(ids[0], kind, draw(_MOMENT), sender, recipient, relates)
    if kind is MessageType.ACK:
        status = draw(st.sampled_from(AckStatus))
        reason = draw(_text(checks.MAX_LINE, lines=True)) if status is AckStatus.REJECTED else ""
        ref = draw(st.none() | st.from_regex(checks.REFERENCE, fullmatch=True))
        return MaitMessage(head, acknowledgement=Acknowledgement(status, ref, reason))
    body = draw(_INCIDENT)
    if kind is MessageType.CLOSE:
        body = replace(body, closure=Closure(draw(_MOMENT), draw(_text(checks.MAX_LINE))))
    return MaitMessage(head, body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(messages())
def test_any_valid_message_serialises_to_schema_valid_xml_and_reads_back(message) -> None:
    document = to_xml(message)  # raises unless the XSD accepts it
    assert from_xml(document) == message
