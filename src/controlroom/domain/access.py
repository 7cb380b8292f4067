"""Who may do what: permissions, the role table, principals, accounts, and the one check.

Every endpoint and command that needs a permission calls :func:`access_check`; nothing else
decides. Roles are those of :class:`~controlroom.domain.contacts.values.Role`. The table
(:data:`ROLE_PERMISSIONS`) is documented in docs/access.md and tested role by role.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType

from controlroom.domain.contacts.values import Actor, Role
from controlroom.domain.errors import Conflict as Conflict  # re-exported for callers
from controlroom.domain.errors import DomainError, InvalidInput


class AccessDenied(DomainError):
    """An authenticated principal whose role lacks the permission asked for."""

    code = "forbidden"


class Unauthenticated(DomainError):
    """No credentials, or credentials that are unknown, revoked or malformed."""

    code = "unauthenticated"


class Permission(StrEnum):
    """Something a principal may be allowed to do, named ``area:verb``."""

    TRIAGE_RUN = "triage:run"
    CONTACT_READ = "contact:read"
    CONTACT_ACT = "contact:act"
    CONTACT_SUPERVISE = "contact:supervise"
    TELEPHONY_INGEST = "telephony:ingest"
    AUDIT_READ = "audit:read"
    AUDIT_VERIFY = "audit:verify"
    USERS_MANAGE = "users:manage"
    TOKENS_MANAGE = "tokens:manage"
    REPORTS_READ = "reports:read"
    PARTNER_ACKNOWLEDGE = "partner:acknowledge"


P = Permission
_CALL_HANDLER = frozenset({P.TRIAGE_RUN, P.CONTACT_READ, P.CONTACT_ACT})

#: The permissions of each role. Administrators run the system but handle no calls; auditors
#: read contacts and the audit log; integrations feed telephony events, ask for triage and
#: pass on partners' MAIT acknowledgements.
ROLE_PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {
        Role.CALL_HANDLER: _CALL_HANDLER,
        Role.SUPERVISOR: _CALL_HANDLER | {P.CONTACT_SUPERVISE, P.REPORTS_READ},
        Role.AUDITOR: frozenset({P.CONTACT_READ, P.AUDIT_READ, P.AUDIT_VERIFY}),
        Role.ADMIN: frozenset({P.USERS_MANAGE, P.TOKENS_MANAGE, P.AUDIT_READ, P.AUDIT_VERIFY}),
        Role.INTEGRATION: frozenset({P.TELEPHONY_INGEST, P.TRIAGE_RUN, P.PARTNER_ACKNOWLEDGE}),
    }
)


@dataclass(frozen=True)
class Principal:
    """Who an authenticated request acts for: a user or an integration, its role, and the
    token it presented (``None`` for a password log-in or a local command)."""

    name: str
    role: Role
    user_id: str | None = None
    token_id: str | None = None

    def __post_init__(self) -> None:
        # Actor checks the name and coerces a role given as a string.
        object.__setattr__(self, "role", Actor(self.name, self.role).role)

    @property
    def actor(self) -> Actor:
        """The principal as the actor that histories and audit rows record."""
        return Actor(self.name, self.role)


def access_check(who: Principal | Actor | None, permission: Permission | str) -> None:
    """Return when ``who`` holds ``permission``; raise otherwise.

    :class:`Unauthenticated` when ``who`` is ``None`` (nobody authenticated), and
    :class:`AccessDenied` naming the role and the permission when the role lacks it.
    """
    try:
        wanted = Permission(permission)
    except ValueError:
        raise InvalidInput(f"unknown permission {permission!r}", field="permission") from None
    if who is None:
        raise Unauthenticated(
            "authentication required",
            hint="send 'Authorization: Bearer <token>'; create one with controlroom tokens create",
        )
    role = Role(who.role)
    if wanted in ROLE_PERMISSIONS.get(role, frozenset()):
        return
    name = who.name if isinstance(who, Principal) else who.id
    holders = [r.value for r, granted in ROLE_PERMISSIONS.items() if wanted in granted]
    raise AccessDenied(
        f"{name} (role {role.value}) does not have permission {wanted.value}",
        hint="roles with it: " + ", ".join(holders),
    )


def permissions_for(role: Role | str) -> frozenset[Permission]:
    """The permissions ``role`` holds (for display; decisions go through :func:`access_check`)."""
    return ROLE_PERMISSIONS[Role(role)]


@dataclass(frozen=True)
class UserAccount:
    """A person who signs in: unique lower-case name, role, optional password hash."""

    id: str
    name: str
    role: Role
    created_at: datetime
    password_hash: str | None = None
    disabled_at: datetime | None = None

    @property
    def active(self) -> bool:
        """False once the account is disabled."""
        return self.disabled_at is None


@dataclass(frozen=True)
class ApiToken:
    """An API token as stored: only a hash of its secret is kept. ``user_id`` is set when the
    token belongs to a user account; an integration's token has none."""

    id: str
    name: str
    role: Role
    secret_hash: str
    created_at: datetime
    user_id: str | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        """False once the token is revoked."""
        return self.revoked_at is None
