"""Accounts and credentials: users, API tokens, and authenticating them.

A token is shown once, as ``cr_<id>_<secret>``: ``id`` is 16 hex digits that find it, and
``secret`` 256 random bits (URL-safe base64). Only the SHA-256 of the secret is stored; as the
secret is random and long, a plain hash is enough. Passwords go through a
:class:`~controlroom.services.ports.SecretHasher` (argon2 in ``adapters/secrets.py``).

Each change is one unit of work: the change, its audit row, the commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from controlroom.domain.access import (
    ApiToken,
    Permission,
    Principal,
    Unauthenticated,
    UserAccount,
    access_check,
)
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.contacts.values import require_utc
from controlroom.domain.errors import Conflict, InvalidInput, NotFound
from controlroom.services.ports import SecretHasher, UnitOfWork

TOKEN_PREFIX = "cr"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_TOKEN = re.compile(r"cr_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
#: ``last_used_at`` is written at most this often for one token.
LAST_USED_RESOLUTION = timedelta(minutes=1)
MIN_PASSWORD_CHARS = 12


def _now(now: datetime | None) -> datetime:
    return datetime.now(UTC) if now is None else require_utc(now)


def _name(value: str, field: str = "name") -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise InvalidInput(
            f"{field} {value!r} is not valid",
            field=field,
            hint="use 1-64 lower-case letters, digits, '.', '_' or '-', starting with one "
            "of the first two",
        )
    return value


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        known = ", ".join(role.value for role in Role)
        raise InvalidInput(
            f"unknown role {value!r}", field="role", hint=f"use one of: {known}"
        ) from None


def hash_token_secret(secret: str) -> str:
    """The stored form of a token secret: its SHA-256, lower-case hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def add_user(
    uow: UnitOfWork,
    actor: Actor,
    username: str,
    role: Role | str,
    password: str | None = None,
    *,
    hasher: SecretHasher | None = None,
    now: datetime | None = None,
) -> UserAccount:
    """Create a user account (with a password when given; ``hasher`` is then required)."""
    access_check(actor, Permission.USERS_MANAGE)
    name, role, at = _name(username), _role(role), _now(now)
    password_hash = None
    if password is not None:
        if len(password) < MIN_PASSWORD_CHARS:
            raise InvalidInput(
                f"the password is shorter than {MIN_PASSWORD_CHARS} characters",
                field="password",
            )
        if hasher is None:
            raise InvalidInput("a password needs a hasher", field="password")
        password_hash = hasher.hash(password)
    user = UserAccount(secrets.token_hex(8), name, role, at, password_hash)
    with uow:
        if uow.users.get_by_name(name) is not None:
            raise Conflict(f"a user named {name!r} already exists", field="name")
        uow.users.add(user)
        details = {"user_id": user.id, "name": name, "role": role.value}
        details["password"] = "set" if password_hash else "none"
        uow.audit.append(actor, AuditTag.USER_CREATE, f"user:{name}", details, at)
        uow.commit()
    return user


def list_users(uow: UnitOfWork, actor: Actor) -> list[UserAccount]:
    """Every user account, by name."""
    access_check(actor, Permission.USERS_MANAGE)
    with uow:
        return uow.users.list()


def disable_user(
    uow: UnitOfWork, actor: Actor, username: str, *, now: datetime | None = None
) -> UserAccount:
    """Disable an account: its tokens and password stop working at once."""
    access_check(actor, Permission.USERS_MANAGE)
    at = _now(now)
    with uow:
        user = uow.users.get_by_name(username)
        if user is None:
            raise NotFound(f"no user named {username!r}", field="name")
        if not user.active:
            return user
        disabled = replace(user, disabled_at=at)
        uow.users.save(disabled)
        details = {"user_id": user.id, "name": user.name}
        uow.audit.append(actor, AuditTag.USER_DISABLE, f"user:{user.name}", details, at)
        uow.commit()
    return disabled


def create_token(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    role: Role | str | None = None,
    *,
    now: datetime | None = None,
) -> tuple[str, str]:
    """A new API token for a user (``name`` is the user's; the role is theirs) or for an
    integration (no user account; role ``integration``). Returns ``(token_id, token)``: the
    token is shown now and never again."""
    access_check(actor, Permission.TOKENS_MANAGE)
    name, at = _name(name), _now(now)
    wanted = None if role is None else _role(role)
    token_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    with uow:
        user = uow.users.get_by_name(name)
        if user is not None:
            if not user.active:
                raise InvalidInput(f"user {name!r} is disabled", field="name")
            if wanted is not None and wanted is not user.role:
                raise InvalidInput(
                    f"user {name!r} has role {user.role.value}, not {wanted.value}",
                    field="role",
                    hint="a user's token carries the user's role",
                )
            wanted = user.role
        elif wanted is not Role.INTEGRATION:
            raise NotFound(
                f"no user named {name!r}",
                field="name",
                hint=f"add the user first (controlroom users add {name} --role ROLE), "
                "or use --role integration for a system",
            )
        token = ApiToken(
            token_id,
            name,
            wanted,
            hash_token_secret(secret),
            at,
            user_id=None if user is None else user.id,
        )
        uow.tokens.add(token)
        details = {"token_id": token_id, "name": name, "role": wanted.value}
        uow.audit.append(actor, AuditTag.TOKEN_CREATE, f"token:{token_id}", details, at)
        uow.commit()
    return token_id, f"{TOKEN_PREFIX}_{token_id}_{secret}"


def list_tokens(uow: UnitOfWork, actor: Actor, *, include_revoked: bool = True) -> list[ApiToken]:
    """API tokens, oldest first (their secrets are not kept)."""
    access_check(actor, Permission.TOKENS_MANAGE)
    with uow:
        return uow.tokens.list(include_revoked=include_revoked)


def revoke_token(
    uow: UnitOfWork, actor: Actor, token_id: str, *, now: datetime | None = None
) -> ApiToken:
    """Revoke a token; it stops working at once. Revoking it again changes nothing."""
    access_check(actor, Permission.TOKENS_MANAGE)
    at = _now(now)
    with uow:
        token = uow.tokens.get(token_id)
        if token is None:
            raise NotFound(f"no token {token_id!r}", field="token_id")
        if not token.active:
            return token
        revoked = replace(token, revoked_at=at)
        uow.tokens.save(revoked)
        details = {"token_id": token.id, "name": token.name, "role": token.role.value}
        uow.audit.append(actor, AuditTag.TOKEN_REVOKE, f"token:{token.id}", details, at)
        uow.commit()
    return revoked


def _refused() -> Unauthenticated:
    return Unauthenticated(
        "the token is not valid", hint="it may be mistyped, revoked or for a disabled account"
    )


def authenticate_token(
    uow: UnitOfWork,
    presented: str | None,
    *,
    now: datetime | None = None,
    recorder: UnitOfWork | None = None,
) -> Principal:
    """The principal a presented ``cr_<id>_<secret>`` token stands for.

    Raises :class:`Unauthenticated` for a missing, malformed, unknown or revoked token, or one
    whose user is disabled. Notes when the token was last used (at most once a minute): in
    ``uow`` itself, which must then be able to write, or, when ``recorder`` is given, in that
    unit of work after ``uow`` (which may then be read-only) has ended. With a ``recorder``,
    checking a token takes no write lock except the once a minute it is noted.
    """
    if not presented:
        raise Unauthenticated(
            "authentication required", hint="send 'Authorization: Bearer <token>'"
        )
    match = _TOKEN.fullmatch(presented.strip())
    if match is None:
        raise _refused()
    token_id, secret = match.groups()
    at = _now(now)
    with uow:
        token = uow.tokens.get(token_id)
        digest = hash_token_secret(secret)
        if token is None or not hmac.compare_digest(token.secret_hash, digest):
            raise _refused()
        if not token.active:
            raise _refused()
        if token.user_id is not None:
            user = uow.users.get(token.user_id)
            if user is None or not user.active:
                raise _refused()
        stale = token.last_used_at is None or at - token.last_used_at >= LAST_USED_RESOLUTION
        if stale and recorder is None:
            uow.tokens.save(replace(token, last_used_at=at))
            uow.commit()
    if stale and recorder is not None:
        _note_use(recorder, token.id, at)
    return Principal(token.name, token.role, user_id=token.user_id, token_id=token.id)


def _note_use(uow: UnitOfWork, token_id: str, at: datetime) -> None:
    """Record that the token was used at ``at`` (unless a later use was noted meanwhile)."""
    with uow:
        token = uow.tokens.get(token_id)
        if token is not None and (token.last_used_at is None or token.last_used_at < at):
            uow.tokens.save(replace(token, last_used_at=at))
            uow.commit()


def authenticate_password(
    uow: UnitOfWork, hasher: SecretHasher, username: str, password: str
) -> Principal:
    """The principal for a user's name and password; :class:`Unauthenticated` otherwise."""
    with uow:
        user = uow.users.get_by_name(username) if _NAME.fullmatch(username or "") else None
    if user is None or user.password_hash is None or not user.active:
        hasher.hash(password or "-")  # take as long as a real check does
        raise Unauthenticated("the name or password is wrong")
    if not hasher.verify(user.password_hash, password):
        raise Unauthenticated("the name or password is wrong")
    return Principal(user.name, user.role, user_id=user.id)


def bearer_token(authorization: str | None) -> str | None:
    """The token in an ``Authorization: Bearer <token>`` header value, or ``None``."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authorise(
    uow: UnitOfWork,
    authorization: str | None,
    permission: Permission | str,
    *,
    now: datetime | None = None,
    recorder: UnitOfWork | None = None,
) -> Principal:
    """The principal behind an ``Authorization`` header, if it holds ``permission``.

    Raises :class:`Unauthenticated` (no or bad token) or ``AccessDenied`` (the role lacks the
    permission). When the token's last use is to be noted, it is written in ``recorder`` if
    given (``uow`` may then be read-only), else in ``uow``.
    """
    token = bearer_token(authorization)
    principal = authenticate_token(uow, token, now=now, recorder=recorder)
    access_check(principal, permission)
    return principal
