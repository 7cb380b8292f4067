"""Console sessions: signing in with a password, lock-out, signing out, checking a session.

A session is identified by a random id the browser holds in a signed cookie (``web/console``);
what makes it valid is kept in the audit log, so nothing else needs storing and every step is
audited in the same transaction as it happens:

- ``console:session:login`` (subject ``user:<name>``) starts a session, naming its id and
  how the person signed in (a password, or single sign-on through the force's provider);
- ``console:session:login_failed`` (subject ``user:<name>``) records a wrong name or password;
- ``console:session:locked`` (subject ``user:<name>``) records that the failures in a row
  reached the limit: the account cannot sign in until the lock-out has passed;
- ``console:session:logout`` (subject ``session:<id>``) ends the session for good.

A disabled account's sessions stop at once (the account is read on every request).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from controlroom.domain.access import Principal, Unauthenticated
from controlroom.domain.audit import AuditEntry
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import DomainError
from controlroom.services.accounts import authenticate_password
from controlroom.services.contacts import UowFactory
from controlroom.services.ports import SecretHasher

LOGIN = "console:session:login"
LOGIN_FAILED = "console:session:login_failed"
LOCKED = "console:session:locked"
LOGOUT = "console:session:logout"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_SESSION_ID = re.compile(r"[0-9a-f]{32}")
#: Who records a failed sign-in: the console itself, as nobody is signed in.
CONSOLE = Actor("console", Role.INTEGRATION)


class LockedOut(DomainError):
    """Too many wrong passwords in a row: the account may not sign in for a while."""

    code = "locked_out"


@dataclass(frozen=True)
class LoginRules:
    """How many wrong passwords in a row lock an account, and for how long."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Session:
    """A signed-in person: who, the session's id, and when it began."""

    principal: Principal
    session_id: str
    started_at: datetime


def _user_subject(name: str) -> str:
    return f"user:{name}"


def _session_subject(session_id: str) -> str:
    return f"session:{session_id}"


def locked_until(entries: list[AuditEntry], rules: LoginRules, now: datetime) -> datetime | None:
    """When the lock on an account ends, from its latest audit entries (oldest first); None
    when it is not locked at ``now``."""
    for entry in reversed(entries):
        if entry.tag == LOGIN:
            return None
        if entry.tag == LOCKED:
            until = entry.at + rules.lockout
            return until if until > now else None
    return None


def failures_in_a_row(entries: list[AuditEntry], rules: LoginRules) -> int:
    """Wrong passwords since the last sign-in, lock or lock-out's end."""
    count = 0
    for entry in reversed(entries):
        if entry.tag == LOGIN_FAILED:
            count += 1
        elif entry.tag in (LOGIN, LOCKED):
            break
    return count


def log_in(
    uow_factory: UowFactory,
    hasher: SecretHasher,
    username: str,
    password: str,
    *,
    now: datetime,
    rules: LoginRules,
    client: str = "",
) -> Session:
    """A new session for the user with this name and password.

    Raises :class:`LockedOut` while the account is locked (whatever the password), and
    :class:`Unauthenticated` for a wrong name or password, which is audited and may lock the
    account. The answer never says whether the name exists.
    """
    now = require_utc(now)
    name = (username or "").strip().lower()
    if not _NAME.fullmatch(name):
        raise Unauthenticated("the name or password is wrong")
    subject = _user_subject(name)
    with uow_factory(read_only=True) as uow:
        recent = uow.audit.tail(rules.max_failures + 2, subject=subject)
    until = locked_until(recent, rules, now)
    if until is not None:
        raise LockedOut(
            "this account is locked after too many wrong passwords",
            hint=f"try again after {until:%H:%M} UTC, or ask a supervisor or administrator",
        )
    try:
        principal = authenticate_password(uow_factory(), hasher, name, password)
    except Unauthenticated:
        with uow_factory() as uow:
            recent = uow.audit.tail(rules.max_failures + 2, subject=subject)
            failures = failures_in_a_row(recent, rules) + 1
            details = {"client": client, "failures_in_a_row": failures}
            uow.audit.append(CONSOLE, LOGIN_FAILED, subject, details, now)
            if failures >= rules.max_failures:
                minutes = int(rules.lockout.total_seconds() // 60)
                uow.audit.append(CONSOLE, LOCKED, subject, {"minutes": minutes}, now)
            uow.commit()
        raise
    return _start(uow_factory, principal, now, client, "password")


def _start(
    uow_factory: UowFactory, principal: Principal, now: datetime, client: str, method: str
) -> Session:
    session_id = secrets.token_hex(16)
    with uow_factory() as uow:
        details = {"session_id": session_id, "role": principal.role.value, "client": client}
        details["method"] = method
        uow.audit.append(principal.actor, LOGIN, _user_subject(principal.name), details, now)
        uow.commit()
    return Session(principal, session_id, now)


class IdentityProvider(Protocol):
    """A single sign-on provider (OpenID Connect; ``adapters/oidc.py``)."""

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> str:
        """Where to send the browser to sign in."""

    def identity(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, Any]:
        """The verified claims of the ID token for ``code``; ``Unauthenticated`` otherwise."""


def sign_on(
    uow_factory: UowFactory,
    claims: Mapping[str, Any],
    *,
    username_claim: str,
    now: datetime,
    client: str = "",
) -> Session:
    """A new session for the controlroom account the provider's verified ``claims`` name (by
    ``username_claim``, lower-cased). The account must exist and be active; its role is
    controlroom's own, whatever the provider says. Audited like a password sign-in."""
    now = require_utc(now)
    raw = claims.get(username_claim)
    name = raw.strip().lower() if isinstance(raw, str) else ""
    if "@" in name and not _NAME.fullmatch(name):
        name = name.split("@", 1)[0]
    with uow_factory(read_only=True) as uow:
        user = uow.users.get_by_name(name) if _NAME.fullmatch(name) else None
    if user is None or not user.active:
        raise Unauthenticated(
            f"no active controlroom account for {name or 'this sign-in'!r}",
            hint="an administrator adds it with controlroom users add",
        )
    principal = Principal(user.name, user.role, user_id=user.id)
    return _start(uow_factory, principal, now, client, "single sign-on")


def log_out(uow_factory: UowFactory, session: Session, *, now: datetime) -> None:
    """End ``session`` for good (audited); ending it again changes nothing."""
    now = require_utc(now)
    subject = _session_subject(session.session_id)
    with uow_factory() as uow:
        if uow.audit.tail(1, subject=subject):
            return
        details = {"user": session.principal.name}
        uow.audit.append(session.principal.actor, LOGOUT, subject, details, now)
        uow.commit()


def resume(
    uow_factory: UowFactory,
    *,
    session_id: str,
    user_id: str,
    started_at: datetime,
    now: datetime,
    lifetime: timedelta,
) -> Session:
    """The session a browser presents, if it is still valid: not expired, not signed out, and
    its account still active (with the account's role now). :class:`Unauthenticated` otherwise.
    """
    now = require_utc(now)
    if not _SESSION_ID.fullmatch(session_id) or not started_at <= now < started_at + lifetime:
        raise Unauthenticated("the session has ended", hint="sign in again")
    with uow_factory(read_only=True) as uow:
        user = uow.users.get(user_id)
        ended = bool(uow.audit.tail(1, subject=_session_subject(session_id)))
    if user is None or not user.active or ended:
        raise Unauthenticated("the session has ended", hint="sign in again")
    return Session(Principal(user.name, user.role, user_id=user.id), session_id, started_at)
