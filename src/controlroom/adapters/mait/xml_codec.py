"""MAIT messages as XML: written with the standard library, checked against the XSD kept
beside this module (the project's reading of MAIT, docs/mait.md), read back into the model.

:func:`to_xml` never returns a document the schema refuses; :func:`from_xml` and
:func:`parse_acknowledgement` refuse, with a :class:`MaitInvalid` saying where and what, a
document that is not well-formed, declares a DOCTYPE (no entities are ever expanded), breaks
the schema, or breaks a rule of the model.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources

import xmlschema

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
)

NAMESPACE = "urn:controlroom:mait-reading:1"
SCHEMA_FILE = "controlroom-mait-reading-1.xsd"
SCHEMA_VERSION = "1"
#: The largest document :func:`from_xml` reads (a full message is well under 64 KiB).
MAX_DOCUMENT_BYTES = 256 * 1024
_N = f"{{{NAMESPACE}}}"


@cache
def schema() -> xmlschema.XMLSchema10:
    """The XSD, loaded once from the package."""
    source = resources.files(__package__).joinpath(SCHEMA_FILE).read_text("utf-8")
    return xmlschema.XMLSchema10(source)


# -- writing --------------------------------------------------------------------------------


def _time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _degrees(value: float) -> str:
    text = f"{Decimal(repr(value)).quantize(Decimal('0.000001')):f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, _N + tag)
    if text is not None:
        element.text = text
    return element


def _organisation(parent: ET.Element, tag: str, organisation: Organisation) -> None:
    element = _add(parent, tag)
    _add(element, "OrganisationID", organisation.id)
    _add(element, "OrganisationName", organisation.name)


def _header(root: ET.Element, header: Header) -> None:
    element = _add(root, "Header")
    _add(element, "MessageID", header.message_id)
    _add(element, "MessageType", header.message_type.value)
    _add(element, "SentAt", _time(header.sent_at))
    _organisation(element, "Sender", header.sender)
    _organisation(element, "Recipient", header.recipient)
    if header.relates_to is not None:
        _add(element, "RelatesTo", header.relates_to)


def _location(parent: ET.Element, location: Location) -> None:
    element = _add(parent, "Location")
    _add(element, "Latitude", _degrees(location.latitude))
    _add(element, "Longitude", _degrees(location.longitude))
    if location.accuracy_m is not None:
        _add(element, "AccuracyMetres", str(int(location.accuracy_m)))
    if location.source:
        _add(element, "Source", location.source)
    if location.address:
        _add(element, "Address", location.address)
    if location.uprn is not None:
        _add(element, "UPRN", location.uprn)
    if location.positioned_at is not None:
        _add(element, "PositionedAt", _time(location.positioned_at))


def _incident(root: ET.Element, incident: Incident) -> None:
    element = _add(root, "Incident")
    _add(element, "OriginatorReference", incident.reference)
    if incident.recipient_reference is not None:
        _add(element, "RecipientReference", incident.recipient_reference)
    _add(element, "ServiceRequested", incident.service.value)
    _add(element, "Classification", incident.classification)
    _add(element, "CreatedAt", _time(incident.created_at))
    _add(element, "Summary", incident.summary)
    if incident.assessment is not None:
        assessment = _add(element, "Assessment")
        _add(assessment, "Grade", incident.assessment.grade)
        _add(assessment, "GradeName", incident.assessment.grade_name)
        if incident.assessment.summary:
            _add(assessment, "Summary", incident.assessment.summary)
        for reason in incident.assessment.reasons:
            _add(assessment, "Reason", reason.text).set("paragraph", reason.paragraph)
    if incident.location is not None:
        _location(element, incident.location)
    if incident.caller is not None:
        caller = _add(element, "Caller")
        if incident.caller.name:
            _add(caller, "Name", incident.caller.name)
        if incident.caller.telephone is not None:
            _add(caller, "Telephone", incident.caller.telephone)
        if incident.caller.age_band:
            _add(caller, "AgeBand", incident.caller.age_band)
    if incident.vulnerabilities:
        flags = _add(element, "Vulnerabilities")
        for flag in incident.vulnerabilities:
            _add(flags, "Vulnerability", flag)
    if incident.timeline:
        timeline = _add(element, "Timeline")
        for entry in incident.timeline:
            _add(timeline, "Entry", entry.text).set("at", _time(entry.at))
    if incident.closure is not None:
        closure = _add(element, "Closure")
        _add(closure, "ClosedAt", _time(incident.closure.closed_at))
        _add(closure, "Reason", incident.closure.reason)


def to_xml(message: MaitMessage) -> bytes:
    """``message`` as a UTF-8 XML document, validated against the XSD.

    A message the model accepted always validates; if it did not, that is a bug in the model's
    rules, reported as :class:`MaitInvalid` rather than sent.
    """
    if not isinstance(message, MaitMessage):
        raise MaitInvalid("not a MAIT message", field="message")
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(_N + "MAITMessage", {"schemaVersion": SCHEMA_VERSION})
    _header(root, message.header)
    if message.incident is not None:
        _incident(root, message.incident)
    if message.acknowledgement is not None:
        ack = _add(root, "Acknowledgement")
        _add(ack, "Status", message.acknowledgement.status.value)
        if message.acknowledgement.recipient_reference is not None:
            _add(ack, "RecipientReference", message.acknowledgement.recipient_reference)
        if message.acknowledgement.reason:
            _add(ack, "Reason", message.acknowledgement.reason)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    document = f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()
    validate(document)
    return document


# -- reading --------------------------------------------------------------------------------


def _parse(document: bytes) -> ET.Element:
    if not isinstance(document, bytes | bytearray):
        raise MaitInvalid("a MAIT document must be bytes", field="document")
    if len(document) > MAX_DOCUMENT_BYTES:
        raise MaitInvalid(
            f"the document is {len(document):,} bytes; at most {MAX_DOCUMENT_BYTES:,} are read",
            field="document",
        )
    if b"<!DOCTYPE" in document or b"<!ENTITY" in document:
        raise MaitInvalid(
            "the document declares a DOCTYPE or entities",
            field="document",
            hint="MAIT documents carry none; send the message without them",
        )
    try:
        return ET.fromstring(bytes(document))
    except ET.ParseError as exc:
        raise MaitInvalid(
            f"the document is not well-formed XML ({exc})",
            field="document",
            hint="check that the message was sent whole and in UTF-8",
        ) from None


def _path(error: xmlschema.XMLSchemaValidationError) -> str:
    path = error.path or "/"
    return path.replace(_N, "").replace("ns:", "").replace("ns0:", "")


def validate(document: bytes) -> ET.Element:
    """``document``'s root element; :class:`MaitInvalid` unless it is well-formed and valid
    against the XSD."""
    root = _parse(document)
    error = next(iter(schema().iter_errors(root)), None)
    if error is not None:
        reason = (error.reason or str(error.message)).strip()
        raise MaitInvalid(
            f"the document does not match the MAIT schema at {_path(error)}: {reason}",
            field=_path(error),
            hint=f"see {SCHEMA_FILE} and docs/mait.md for the structure",
        )
    return root


def _text(element: ET.Element | None, tag: str) -> str | None:
    found = None if element is None else element.find(_N + tag)
    return None if found is None else (found.text or "")


def _need(element: ET.Element, tag: str) -> str:
    value = _text(element, tag)
    if value is None:  # pragma: no cover - the schema requires it
        raise MaitInvalid(f"{tag} is missing", field=tag)
    return value


def _read_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _optional_time(value: str | None) -> datetime | None:
    return None if value is None else _read_time(value)


def _read_organisation(element: ET.Element, tag: str) -> Organisation:
    found = element.find(_N + tag)
    assert found is not None  # the schema requires it
    return Organisation(_need(found, "OrganisationID"), _need(found, "OrganisationName"))


def _read_header(root: ET.Element) -> Header:
    element = root.find(_N + "Header")
    assert element is not None
    return Header(
        message_id=_need(element, "MessageID"),
        message_type=MessageType(_need(element, "MessageType")),
        sent_at=_read_time(_need(element, "SentAt")),
        sender=_read_organisation(element, "Sender"),
        recipient=_read_organisation(element, "Recipient"),
        relates_to=_text(element, "RelatesTo"),
    )


def _read_location(element: ET.Element | None) -> Location | None:
    if element is None:
        return None
    accuracy = _text(element, "AccuracyMetres")
    return Location(
        latitude=float(_need(element, "Latitude")),
        longitude=float(_need(element, "Longitude")),
        accuracy_m=None if accuracy is None else float(accuracy),
        source=_text(element, "Source") or "",
        address=_text(element, "Address") or "",
        uprn=_text(element, "UPRN"),
        positioned_at=_optional_time(_text(element, "PositionedAt")),
    )


def _read_incident(element: ET.Element) -> Incident:
    assessment = element.find(_N + "Assessment")
    caller = element.find(_N + "Caller")
    flags = element.find(_N + "Vulnerabilities")
    timeline = element.find(_N + "Timeline")
    closure = element.find(_N + "Closure")
    return Incident(
        reference=_need(element, "OriginatorReference"),
        recipient_reference=_text(element, "RecipientReference"),
        service=Service(_need(element, "ServiceRequested")),
        classification=_need(element, "Classification"),
        created_at=_read_time(_need(element, "CreatedAt")),
        summary=_need(element, "Summary"),
        assessment=None
        if assessment is None
        else Assessment(
            grade=_need(assessment, "Grade"),
            grade_name=_need(assessment, "GradeName"),
            summary=_text(assessment, "Summary") or "",
            reasons=tuple(
                Reason(item.get("paragraph", ""), item.text or "")
                for item in assessment.findall(_N + "Reason")
            ),
        ),
        location=_read_location(element.find(_N + "Location")),
        caller=None
        if caller is None
        else Caller(
            name=_text(caller, "Name") or "",
            telephone=_text(caller, "Telephone"),
            age_band=_text(caller, "AgeBand") or "",
        ),
        vulnerabilities=()
        if flags is None
        else tuple(item.text or "" for item in flags.findall(_N + "Vulnerability")),
        timeline=()
        if timeline is None
        else tuple(
            TimelineEntry(_read_time(item.get("at", "")), item.text or "")
            for item in timeline.findall(_N + "Entry")
        ),
        closure=None
        if closure is None
        else Closure(_read_time(_need(closure, "ClosedAt")), _need(closure, "Reason")),
    )


def from_xml(document: bytes) -> MaitMessage:
    """A MAIT document read back into the model: checked against the XSD, then the model."""
    root = validate(document)
    header = _read_header(root)
    incident = root.find(_N + "Incident")
    ack = root.find(_N + "Acknowledgement")
    return MaitMessage(
        header=header,
        incident=None if incident is None else _read_incident(incident),
        acknowledgement=None
        if ack is None
        else Acknowledgement(
            status=AckStatus(_need(ack, "Status")),
            recipient_reference=_text(ack, "RecipientReference"),
            reason=_text(ack, "Reason") or "",
        ),
    )


def parse_acknowledgement(document: bytes) -> MaitMessage:
    """A partner's acknowledgement (an ACK message); :class:`MaitInvalid` for anything else.

    The header's ``relates_to`` names the message acknowledged; the acknowledgement its status
    (received, accepted, rejected), the partner's own reference and reason.
    """
    message = from_xml(document)
    if message.header.message_type is not MessageType.ACK:
        raise MaitInvalid(
            f"expected an ACK message, got {message.header.message_type.value}",
            field="header.message_type",
            hint="only acknowledgements are read back from partners",
        )
    return message
