"""Triage: from what somebody said to where the contact belongs, with reasons."""

from controlroom.domain.triage.answered import decide_with_answers
from controlroom.domain.triage.assessment import HandlerAnswers, parse_answers
from controlroom.domain.triage.contact_text import ContactText, make_contact_text, parse_channel
from controlroom.domain.triage.decision import (
    Answer,
    Channel,
    Confidence,
    Decision,
    Level,
    Question,
    Reason,
    ReasonKind,
    Span,
    Thrive,
    ThriveFactor,
)
from controlroom.domain.triage.engine import triage

__all__ = [
    "Answer",
    "Channel",
    "Confidence",
    "ContactText",
    "Decision",
    "HandlerAnswers",
    "Level",
    "Question",
    "Reason",
    "ReasonKind",
    "Span",
    "Thrive",
    "ThriveFactor",
    "decide_with_answers",
    "make_contact_text",
    "parse_answers",
    "parse_channel",
    "triage",
]
