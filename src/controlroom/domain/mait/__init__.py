"""MAIT (Multi Agency Incident Transfer) messages: the model, its field rules and the partner
directory. Pure: the XML lives in ``adapters/mait``, building from a contact in
``services/mait.py`` (docs/mait.md)."""

from controlroom.domain.mait.acks import acknowledgement_of
from controlroom.domain.mait.checks import MaitInvalid
from controlroom.domain.mait.message import (
    Acknowledgement,
    AckStatus,
    Assessment,
    Caller,
    Closure,
    Header,
    Incident,
    Location,
    MaitMessage,
    MessageType,
    Organisation,
    Reason,
    Service,
    TimelineEntry,
)
from controlroom.domain.mait.partners import MaitDirectory, Partner

__all__ = [
    "AckStatus",
    "Acknowledgement",
    "Assessment",
    "Caller",
    "Closure",
    "Header",
    "Incident",
    "Location",
    "MaitDirectory",
    "MaitInvalid",
    "MaitMessage",
    "MessageType",
    "Organisation",
    "Partner",
    "Reason",
    "Service",
    "TimelineEntry",
    "acknowledgement_of",
]
