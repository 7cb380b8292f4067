"""``POST /api/contacts/{id}/answers``: the handler's answers to the §4.11.1 questions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import Field

from controlroom.domain.access import Permission, Principal
from controlroom.domain.policy import Policy
from controlroom.services.answers import record_answers
from controlroom.web.api.contacts import ACT_ERRORS, render
from controlroom.web.auth import require, uow_factory
from controlroom.web.schemas_common import InputModel
from controlroom.web.schemas_contacts import ContactOut

router = APIRouter(prefix="/api/contacts", tags=["contacts"])
Handler = Annotated[Principal, Depends(require(Permission.CONTACT_ACT))]


class AnswersIn(InputModel):
    """The handler's answers, by question id."""

    answers: dict[Annotated[str, Field(max_length=40)], Annotated[str, Field(max_length=40)]] = (
        Field(
            description=(
                "Question id (danger, now, offender, weapon) to yes, no or unknown; questions left "
                "out keep their answer. A yes is evidence that raises the route; a no never lowers "
                "an emergency the caller's words describe; only no to all four lowers a contact no "
                "rule recognised."
            ),
            examples=[{"weapon": "yes", "offender": "no"}],
        )
    )


@router.post(
    "/{contact_id}/answers",
    response_model=ContactOut,
    summary="Record the handler's answers to the emergency questions",
    responses=ACT_ERRORS,
)
def post_answers(
    contact_id: str, body: AnswersIn, request: Request, principal: Handler
) -> dict[str, Any]:
    """Record the answers on the contact (with who gave them and when; a changed answer keeps
    the old one in the history and the audit) and return the contact, whose triage suggestion
    is re-decided with them and cites them as the handler's (``handler: weapon seen — yes``)."""
    policy: Policy = request.app.state.policy
    now = datetime.now(UTC)
    details = record_answers(uow_factory(request), principal, contact_id, body.answers, now, policy)
    return render(details)
