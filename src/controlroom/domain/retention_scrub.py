"""Anonymising a stored contact record (its JSON, as ``records_json`` writes it).

Two levels, both idempotent (scrubbing a scrubbed record changes nothing):

- :func:`scrub_free_text`: every piece of free text — the narrative, notes (a chat's transcript
  among them), the handler's reasons and observations, triage's explanations and the words
  they quote, history details — becomes :data:`MARKER`.
- :func:`anonymise`: that, and the caller's number and name, and every piece of location
  evidence's content (its source and time stay).

What statistics need stays: channel, procedure and state, times, grades, routes, agencies,
outcomes, vulnerability flags, the actors (staff) and the history's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: What replaces removed text.
MARKER = "[removed under the retention policy]"

#: Keys whose string values are free text, wherever they appear in a record.
FREE_TEXT_KEYS = frozenset(
    {
        "narrative",
        "text",
        "note",
        "reason",
        "explanation",
        "summary",
        "seriousness",
        "condition",
        "age_vulnerability",
    }
)
#: History details kept as they are: codes and flags, not words anybody wrote.
KEPT_DETAILS = frozenset(
    {
        "channel",
        "landline",
        "grade",
        "suggested_grade",
        "suggested_route",
        "flags",
        "flag",
        "discretionary",
        "reference",
        "outcome",
        "agency",
        "to",
        "question",
        "answer",
        "response",
        "source",
    }
)


def scrub_free_text(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with its free text replaced by :data:`MARKER`."""
    scrubbed = _scrub(record)
    assert isinstance(scrubbed, dict)
    return scrubbed


def anonymise(record: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with its free text and everything identifying the caller removed."""
    out = scrub_free_text(record)
    caller = out.get("caller")
    if isinstance(caller, dict):
        caller = dict(caller)
        caller["number"] = None
        if caller.get("name"):
            caller["name"] = MARKER
        out["caller"] = caller
    location = out.get("location")
    if isinstance(location, list):
        out["location"] = [
            {**item, "payload": {}} if isinstance(item, dict) else item for item in location
        ]
    return out


def is_free_text_scrubbed(record: Mapping[str, Any]) -> bool:
    """True when :func:`scrub_free_text` would change nothing."""
    return scrub_free_text(record) == dict(record)


def _scrub(value: Any, key: str | None = None) -> Any:
    if isinstance(value, Mapping):
        if key == "details":  # history details: every value may be text
            return {
                name: item if name in KEPT_DETAILS else _text(item) for name, item in value.items()
            }
        if key == "evidence" and "start" in value:  # the words triage quoted
            return None
        return {name: _scrub(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_scrub(item, key) for item in value]
    if key in FREE_TEXT_KEYS and isinstance(value, str):
        return _text(value)
    return value


def _text(value: Any) -> Any:
    return MARKER if isinstance(value, str) and value else value
