"""Console sessions: signing in with a password, signing out, checking a session.

A session is identified by a random id the browser holds in a signed cookie (``web/console``);
what makes it valid is kept in the audit log, so nothing else needs storing and every step is
audited in the same transaction as it happens:

- ``console:session:login`` (subject ``user:<name>``) starts a session, naming its id and
  how the person signed in (a password, or single sign-on through the force's provider), and
  the account's failures not yet reported, if any;
- ``console:session:login_failed`` (subject ``user:<name>``, existing accounts only) reports
  wrong passwords in summary: the first at once, then at most one row each 15 minutes with the
  number since the last;
- ``console:session:locked`` (subject ``user:<name>``) records that the account's failures
  reached the limit: from then on, addresses that have failed themselves wait before trying it;
- ``console:session:throttled`` (subject ``address:<client>``) records that an address's
  failures reached the limit: it waits before any further attempt;
- ``console:session:logout`` (subject ``session:<id>``) ends the session for good.

Failures are counted, and attempts refused before any password is hashed, by
``services/login_limits.py`` under the rules of ``domain/login_backoff.py``. A disabled
account's sessions stop at once (the account is read on every request).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from controlroom.domain.access import Principal, Unauthenticated
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.login_backoff import Backoff, LoginLimits
from controlroom.services import login_limits
from controlroom.services.accounts import authenticate_password
from controlroom.services.contacts import UowFactory
from controlroom.services.login_limits import AddressWaits, AttemptStore, Counted
from controlroom.services.ports import SecretHasher

LOGIN = "console:session:login"
LOGIN_FAILED = "console:session:login_failed"
LOCKED = "console:session:locked"
THROTTLED = "console:session:throttled"
LOGOUT = "console:session:logout"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_SESSION_ID = re.compile(r"[0-9a-f]{32}")
#: Who records a failed sign-in: the console itself, as nobody is signed in.
CONSOLE = Actor("console", Role.INTEGRATION)


#: The longest an account's count makes addresses that have failed wait.
ACCOUNT_LONGEST_WAIT = timedelta(minutes=1)


@dataclass(frozen=True)
class LoginRules:
    """How wrong passwords slow further attempts (domain/login_backoff.py)."""

    limits: LoginLimits = field(default_factory=LoginLimits)


def login_rules(max_failures: int = 5, longest_wait_minutes: int = 15) -> LoginRules:
    """The rules for a limit of ``max_failures`` in a row (per address and per account), each
    further one doubling the wait from one second, up to ``longest_wait_minutes`` for an
    address and :data:`ACCOUNT_LONGEST_WAIT` for an account."""
    first = timedelta(seconds=1)
    address = Backoff(max_failures, first, timedelta(minutes=longest_wait_minutes))
    account = Backoff(max_failures, first, min(address.longest_delay, ACCOUNT_LONGEST_WAIT))
    return LoginRules(LoginLimits(address=address, account=account))


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


def _address_subject(client: str) -> str:
    return f"address:{client or 'unknown'}"


def _well_formed(username: str) -> str | None:
    name = (username or "").strip().lower()
    return name if _NAME.fullmatch(name) else None


def check_attempt(
    uow_factory: UowFactory,
    attempts: AttemptStore,
    username: str,
    *,
    client: str,
    now: datetime,
    rules: LoginRules,
    known_browser: bool = False,
    waits: AddressWaits | None = None,
) -> bool:
    """Whether ``username`` is an active account with a password, once an attempt from
    ``client`` naming it may be checked now; ``TooManyAttempts`` (saying how long to wait)
    otherwise. Reads only; hashes nothing. An attempt naming no such account needs no
    password check: :func:`refuse_unknown` answers it. An address found waiting is noted in
    ``waits`` (see ``login_limits.AddressWaits``)."""
    name, now = _well_formed(username), require_utc(now)
    limits = rules.limits
    login_limits.check(
        attempts, client, name, now, limits, known_browser=known_browser, waits=waits
    )
    if name is None:
        return False
    with uow_factory(read_only=True) as uow:
        user = uow.users.get_by_name(name)
    return user is not None and user.active and user.password_hash is not None


def refuse_unknown(
    uow_factory: UowFactory,
    attempts: AttemptStore,
    username: str,
    *,
    client: str,
    now: datetime,
    rules: LoginRules,
) -> Unauthenticated:
    """Count an attempt naming no active account with a password as a wrong password (no
    hashing: there is nothing to check it against); the error to answer, the same as for a
    wrong password. The caller makes the answer take as long as a check would."""
    name, now = _well_formed(username), require_utc(now)
    counted = login_limits.failed(attempts, client, name, now, rules.limits)
    _audit_failure(uow_factory, counted, None, client, now)  # no account to report on
    return Unauthenticated("the name or password is wrong")


def log_in(
    uow_factory: UowFactory,
    hasher: SecretHasher,
    username: str,
    password: str,
    *,
    now: datetime,
    rules: LoginRules,
    attempts: AttemptStore,
    client: str = "",
    known_browser: bool = False,
) -> Session:
    """A new session for the user with this name and password.

    Raises ``login_limits.TooManyAttempts`` while the client address, or the account and
    the address, must wait (whatever the password; it is not checked), and
    :class:`Unauthenticated` for a wrong name or password, which is counted and reported in
    summary. The answer never says whether the name exists. ``known_browser``: the attempt
    comes from a browser that signed in to this account before (it is then not held by the
    account's count, only by its address's).
    """
    now = require_utc(now)
    name = _well_formed(username)
    login_limits.check(attempts, client, name, now, rules.limits, known_browser=known_browser)
    try:
        if name is None:
            raise Unauthenticated("the name or password is wrong")
        principal = authenticate_password(uow_factory(), hasher, name, password)
    except Unauthenticated:
        counted = login_limits.failed(attempts, client, name, now, rules.limits)
        _audit_failure(uow_factory, counted, name, client, now)
        raise
    unreported = login_limits.succeeded(attempts, client, principal.name)
    return _start(uow_factory, principal, now, client, "password", unreported)


def _audit_failure(
    uow_factory: UowFactory, counted: Counted, name: str | None, client: str, now: datetime
) -> None:
    """The audit rows a failure calls for, if any: the failures of an existing account (at
    most one row a window; ``name`` None: no account to report on) and the start of a delay
    for the account or the address. No write at all when there is nothing to write."""
    by_address, by_account = counted.address, counted.account
    account_rows = False
    if name is not None and by_account is not None:
        account_rows = bool(by_account.report or by_account.delay_began)
    if not (account_rows or by_address.delay_began):
        return
    with uow_factory() as uow:
        user = uow.users.get_by_name(name) if account_rows and name is not None else None
        if user is not None and by_account is not None:
            subject, in_a_row = _user_subject(user.name), by_account.record.failures
            if by_account.report:
                details = {"client": client, "failures": by_account.report}
                details["failures_in_a_row"] = in_a_row
                uow.audit.append(CONSOLE, LOGIN_FAILED, subject, details, now)
            if by_account.delay_began:
                wait = int((by_account.record.next_at - now).total_seconds())
                details = {"client": client, "failures_in_a_row": in_a_row, "wait_seconds": wait}
                uow.audit.append(CONSOLE, LOCKED, subject, details, now)
        if by_address.delay_began:
            wait = int((by_address.record.next_at - now).total_seconds())
            details = {"failures_in_a_row": by_address.record.failures, "wait_seconds": wait}
            uow.audit.append(CONSOLE, THROTTLED, _address_subject(client), details, now)
        uow.commit()


def _start(
    uow_factory: UowFactory,
    principal: Principal,
    now: datetime,
    client: str,
    method: str,
    unreported: int = 0,
) -> Session:
    session_id = secrets.token_hex(16)
    with uow_factory() as uow:
        details: dict[str, object] = {"session_id": session_id, "role": principal.role.value}
        details |= {"client": client, "method": method}
        if unreported:
            details["failures_before"] = unreported
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
