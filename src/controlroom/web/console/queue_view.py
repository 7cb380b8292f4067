"""The handler's queue view: "Mine" (the contacts the signed-in person is working, and their
wrap-ups) or the whole room's, remembered for the browser session in a cookie."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from controlroom.domain.access import Permission
from controlroom.services import console as console_service
from controlroom.services.console import RoomQueue
from controlroom.services.sessions import Session
from controlroom.web.console.deps import RequireSession

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[Session, Depends(RequireSession(Permission.CONTACT_READ))]
#: The cookie holding the view ("room"; anything else is "mine"). No expiry: it lasts as long
#: as the browser session, and the script sets it too when ``m`` is pressed.
VIEW_COOKIE = "cr_queue_view"
#: A contact id the form may return to (anything else returns to the bare handler view).
CONTACT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def handler_queue(request: Request, session: Session, now: datetime) -> RoomQueue:
    """The room's queue with the ended contacts still in their handler's wrap-up."""
    seconds = request.app.state.policy.wrap_up.seconds
    return console_service.room_queue(
        request.app.state.uow_factory,
        session.principal,
        now=now,
        wrap_up=timedelta(seconds=seconds),
    )


def queue_view(request: Request, session: Session) -> dict[str, Any]:
    """What the queue template needs to show the chosen view: ``me`` and ``view``."""
    view = "room" if request.cookies.get(VIEW_COOKIE) == "room" else "mine"
    return {"me": session.principal.name, "view": view}


@router.get("/queue/view")
def choose_view(request: Request, _: Reader, view: str = "mine") -> Response:
    """Switch the queue between Mine and Room without the script (the form under the list)."""
    back = request.query_params.get("contact", "")
    target = "/console/handler" + (f"/{back}" if CONTACT_ID.fullmatch(back) else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        VIEW_COOKIE, "room" if view == "room" else "mine", path="/console", samesite="strict"
    )
    return response
