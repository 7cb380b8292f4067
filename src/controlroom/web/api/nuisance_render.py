"""Caller history and nuisance cases as the JSON the API answers (``schemas_nuisance``)."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

from pydantic_core import to_jsonable_python

from controlroom.domain.nuisance import (
    CallSummary,
    CaseRecord,
    Identifier,
    Ladder,
    LadderStep,
    NuisanceFlag,
    provider_note,
)
from controlroom.services.nuisance import CallerLookup, CaseView
from controlroom.services.nuisance_views import current_step


def jsonable(value: Any) -> Any:
    return to_jsonable_python(
        value, fallback=lambda item: dict(item) if isinstance(item, MappingProxyType) else str(item)
    )


def identifier_out(identifier: Identifier) -> dict[str, str]:
    return {"kind": identifier.kind.value, "value": identifier.value}


def render_flag(flag: NuisanceFlag) -> dict[str, Any]:
    """A nuisance flag as ``FlagOut``."""
    return {
        "kind": flag.kind.value,
        "confidence": flag.confidence.value,
        "evidence": list(flag.evidence),
        "contact_ids": list(flag.contact_ids),
        "response": flag.response.value,
        "advice": flag.advice,
        "conflict": flag.conflict,
    }


def render_call(call: CallSummary, tz: str) -> dict[str, Any]:
    """One earlier call as ``CallOut``, its local time in zone ``tz``."""
    markers = (
        ("silent", call.silent),
        ("speech", call.speech),
        ("dtmf_55", call.dtmf_55),
        ("warned", call.warned),
        ("terminated", call.terminated),
        ("incident", call.incident),
        ("genuine_emergency", call.genuine_emergency),
        ("hoax", call.hoax),
        ("abusive", call.abusive),
    )
    return {
        "contact_id": call.contact_id,
        "offered_at": call.offered_at,
        "local_time": f"{call.offered_at.astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M:%S}",
        "duration_s": None if call.duration is None else call.duration.total_seconds(),
        "outcome": call.outcome.value,
        "outcome_label": call.outcome.label,
        "channel": call.channel.value,
        "number": call.number,
        "imei": call.imei,
        "markers": [name for name, on in markers if on],
        "vulnerability": sorted(flag.value for flag in call.vulnerability),
    }


def render_brief(record: CaseRecord, ladder: Ladder) -> dict[str, Any]:
    """A case as ``CaseBriefOut``."""
    return {
        "id": record.id,
        "state": record.state.value,
        "step": current_step(record, ladder),
        "kinds": sorted(kind.value for kind in record.kinds),
        "number": record.number,
        "imei": record.imei,
        "opened_at": record.opened_at,
    }


def render_history(found: CallerLookup, ladder: Ladder, *, calls: bool) -> dict[str, Any]:
    """A caller's history as ``CallerHistoryOut`` (with every call when ``calls``)."""
    history = found.history
    windows = {
        name: jsonable(window) | {"outcomes": {k.value: n for k, n in window.outcomes.items()}}
        for name, window in history.windows.items()
    }
    for window in windows.values():
        window.pop("name", None)
    return {
        "identifiers": [identifier_out(identifier) for identifier in found.identifiers],
        "summary": history.summary,
        "windows": windows,
        "withheld": history.withheld,
        "left_out": history.left_out,
        "flags": [render_flag(flag) for flag in found.flags],
        "recommended_response": found.flags[0].response.value if found.flags else None,
        "cases": [render_brief(record, ladder) for record in found.cases],
        "notes": list(found.notes),
        "calls": [render_call(call, history.tz) for call in history.calls] if calls else [],
    }


def _step(step: LadderStep) -> dict[str, Any]:
    return {
        "id": step.id,
        "name": step.name,
        "description": step.description,
        "needs_approval": step.needs_approval,
        "disconnects": step.disconnects,
        "document": None if step.document is None else step.document.value,
    }


def render_case(view: CaseView) -> dict[str, Any]:
    """A case as ``CaseOut``."""
    record, ladder = view.case, view.config.ladder
    data = jsonable(record)
    kept = ("identifiers", "opened_at", "vulnerable_at", "pending", "steps", "overrides")
    return {
        **render_brief(record, ladder),
        "vulnerability_unresolved": record.vulnerability_unresolved,
        "provider_note": provider_note(record),
        "record": {key: data[key] for key in (*kept, "documents")},
        "history": data["history"],
        "allowed_actions": [action.value for action in view.allowed],
        "next_steps": [_step(step) for step in view.next_steps],
        "ladder": [_step(step) for step in ladder.steps],
        "ladder_options": [
            {
                "step": option.step.id,
                "action": option.action.value,
                "allowed": option.allowed,
                "refusal": option.refusal,
                "hint": option.hint,
            }
            for option in view.options
        ],
        "caller_history": render_history(view.lookup, ladder, calls=True),
    }
