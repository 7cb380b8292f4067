"""The console's route dependency: the signed-in session holding a permission."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from controlroom.domain.access import Permission, access_check
from controlroom.domain.errors import DomainError
from controlroom.services.sessions import Session
from controlroom.web.console.session import current_session, sign_in_redirect
from controlroom.web.console.templating import refusal


class ConsoleResponse(Exception):
    """Raised by a console dependency to answer with ``response`` instead (a redirect to the
    sign-in page, a refusal page)."""

    def __init__(self, response: Response) -> None:
        super().__init__("console response")
        self.response = response


class RequireSession:
    """A dependency: the signed-in session, holding ``permission``; otherwise a redirect to
    the sign-in page, or a refusal page naming what is missing."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(self, request: Request) -> Session:
        session = current_session(request)
        if session is None:
            raise ConsoleResponse(sign_in_redirect(request))
        try:
            access_check(session.principal, self.permission)
        except DomainError as exc:
            raise ConsoleResponse(refusal(request, session, exc)) from None
        return session
