"""Authentication for the API: ``require(permission)``, a dependency every route but the
health check uses.

It reads ``Authorization: Bearer <token>``, finds the principal through the accounts service
and checks the permission with the one access check. A missing, malformed, unknown or revoked
token answers 401 (with ``WWW-Authenticate: Bearer``); a valid token whose role lacks the
permission answers 403 naming the role and the permission. Both go through the one error
handler (``web/errors.py``).

A token found good is trusted again by this process for ``CONTROLROOM_TOKEN_TRUST_SECONDS``
(2 s) without a database look-up (``services/token_cache.py``): a revoked token or a disabled
account is refused within that time. A token refused is refused again for that time without
a look-up. The permission is checked on every request.

Checking a token costs one SHA-256 and (unless remembered) one read by primary key, no slow
hash and no audit row, whether it is good or not: a flood of wrong tokens costs no more than the
same flood of good ones, and a token's 256 random bits cannot be guessed, so no address or
account is slowed or locked for wrong tokens (which would let anyone stop an integration).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPBearer

from controlroom.domain.access import Permission, Principal, Unauthenticated, access_check
from controlroom.services.accounts import authenticate_token, bearer_token
from controlroom.services.contacts import UowFactory
from controlroom.services.token_cache import CheckedTokens

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

    async def __call__(
        self, request: Request, _: Annotated[object, Depends(bearer_scheme)] = None
    ) -> Principal:
        """The principal behind the request's token, if it holds the permission."""
        header = request.headers.get("authorization")
        presented, now = bearer_token(header), datetime.now(UTC)
        checked = tokens_of(request.app)
        principal = checked.get(presented, now)
        if principal is None:
            refusal = checked.refusal(presented, now)
            if refusal is not None:
                raise refusal
            try:
                principal = await run_in_threadpool(_look_up, uow_factory(request), header, now)
            except Unauthenticated as exc:
                if presented:
                    checked.refuse(presented, exc, now)
                raise
            checked.put(str(presented), principal, now)
        access_check(principal, self.permission)
        return principal


def _look_up(factory: UowFactory, header: str | None, now: datetime) -> Principal:
    reader, recorder = factory(read_only=True), factory()
    return authenticate_token(reader, bearer_token(header), now=now, recorder=recorder)


def tokens_of(app: FastAPI) -> CheckedTokens:
    """The application's tokens found good recently (services/token_cache.py)."""
    state = app.state
    checked: CheckedTokens | None = getattr(state, "checked_tokens", None)
    if checked is None:
        trust = state.settings.token_trust_seconds
        checked = state.checked_tokens = CheckedTokens(trust_seconds=trust)
    return checked


def require(permission: Permission) -> Require:
    """A dependency answering the principal behind the request's token, if it holds
    ``permission``; 401 or 403 otherwise. Use as ``Depends(require(Permission.X))``."""
    return Require(permission)
