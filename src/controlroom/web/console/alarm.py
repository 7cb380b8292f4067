"""The console's alarm for escalated written contacts (``services/escalations.py``): its context
for the pages that show it, and the fragment the page reloads when the live feed reports a
change to one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from controlroom.domain.access import Permission
from controlroom.services import escalations
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession
from controlroom.web.console.templating import render

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]


def alarm_context(request: Request, session: Session) -> dict[str, Any]:
    """What ``console/_alarm.html`` shows: the open alarms, now, and the re-alert time."""
    policy = request.app.state.policy
    factory = request.app.state.uow_factory
    return {
        "alarms": escalations.open_alarms(factory, session.principal, policy),
        "now": datetime.now(UTC),
        "realert_seconds": policy.digital_escalation.realert_seconds,
    }


@router.get("/alarms")
def alarms_fragment(request: Request, session: Reader) -> Response:
    """The alarm alone (the page reloads it when an escalated contact changes)."""
    return render(request, "_alarm.html", alarm_context(request, session), session=session)
