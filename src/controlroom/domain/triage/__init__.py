"""Triage: from what somebody said to where the contact belongs, with reasons."""

from controlroom.domain.triage.contact_text import ContactText, make_contact_text, parse_channel
from controlroom.domain.triage.decision import (
    Channel,
    Decision,
    Level,
    Reason,
    ReasonKind,
    Span,
    Thrive,
    ThriveFactor,
)
from controlroom.domain.triage.engine import triage

__all__ = [
    "Channel",
    "ContactText",
    "Decision",
    "Level",
    "Reason",
    "ReasonKind",
    "Span",
    "Thrive",
    "ThriveFactor",
    "make_contact_text",
    "parse_channel",
    "triage",
]
