"""Authentication for the API: ``require(permission)``, a dependency every route but the
health check uses.

It reads ``Authorization: Bearer <token>``, finds the principal through the accounts service
and checks the permission with the one access check. A missing, malformed, unknown or revoked
token answers 401 (with ``WWW-Authenticate: Bearer``); a valid token whose role lacks the
permission answers 403 naming the role and the permission. Both go through the one error
handler (``web/errors.py``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from controlroom.domain.access import Permission, Principal
from controlroom.services.accounts import authorise
from controlroom.services.contacts import UowFactory

#: Declares the bearer scheme in the OpenAPI schema; the header itself is read below, so a
#: malformed one is refused by the accounts service like any other bad token.
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="cr_<id>_<secret>",
    description="An API token from `controlroom tokens create`.",
)


def uow_factory(request: Request) -> UowFactory:
    """The application's unit-of-work factory."""
    factory: UowFactory = request.app.state.uow_factory
    return factory


class Require:
    """The dependency for one permission; ``permission`` says which (the access-matrix test
    reads it from each route)."""

    def __init__(self, permission: Permission) -> None:
        self.permission = permission

    def __call__(
        self, request: Request, _: Annotated[object, Depends(bearer_scheme)] = None
    ) -> Principal:
        """The principal behind the request's token, if it holds the permission."""
        header = request.headers.get("authorization")
        return authorise(uow_factory(request)(), header, self.permission, now=datetime.now(UTC))


def require(permission: Permission) -> Require:
    """A dependency answering the principal behind the request's token, if it holds
    ``permission``; 401 or 403 otherwise. Use as ``Depends(require(Permission.X))``."""
    return Require(permission)
