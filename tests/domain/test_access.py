"""Who may do what: every role against every permission, from a table written out here."""

from __future__ import annotations

import pytest

from controlroom.domain.access import (
    ROLE_PERMISSIONS,
    AccessDenied,
    Permission,
    Principal,
    Unauthenticated,
    access_check,
    permissions_for,
)
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.errors import InvalidInput

P = Permission
R = Role

#: The expected table, written independently of the implementation (docs/access.md).
EXPECTED: dict[Role, set[Permission]] = {
    R.CALL_HANDLER: {P.TRIAGE_RUN, P.CONTACT_READ, P.CONTACT_ACT},
    R.SUPERVISOR: {
        P.TRIAGE_RUN,
        P.CONTACT_READ,
        P.CONTACT_ACT,
        P.CONTACT_SUPERVISE,
        P.REPORTS_READ,
    },
    R.AUDITOR: {P.CONTACT_READ, P.AUDIT_READ, P.AUDIT_VERIFY},
    R.ADMIN: {P.USERS_MANAGE, P.TOKENS_MANAGE, P.AUDIT_READ, P.AUDIT_VERIFY},
    R.INTEGRATION: {P.TELEPHONY_INGEST, P.TRIAGE_RUN, P.PARTNER_ACKNOWLEDGE},
}

CASES = [(role, permission) for role in Role for permission in Permission]


def test_every_role_has_a_row() -> None:
    assert set(ROLE_PERMISSIONS) == set(Role) == set(EXPECTED)


@pytest.mark.parametrize(("role", "permission"), CASES, ids=[f"{r}-{p}" for r, p in CASES])
def test_access_matrix(role: Role, permission: Permission) -> None:
    principal = Principal(f"someone-{role.value}", role, token_id="t1")
    if permission in EXPECTED[role]:
        access_check(principal, permission)
        access_check(principal.actor, permission)
        access_check(principal, permission.value)
    else:
        with pytest.raises(AccessDenied) as caught:
            access_check(principal, permission)
        error = caught.value
        assert error.code == "forbidden"
        assert role.value in error.message and permission.value in error.message
        assert error.hint is not None
        assert {r.value for r in Role if permission in EXPECTED[r]} == set(
            error.hint.removeprefix("roles with it: ").split(", ")
        )


def test_permissions_for_matches_the_table() -> None:
    for role in Role:
        assert permissions_for(role) == EXPECTED[role]
        assert permissions_for(role.value) == EXPECTED[role]


def test_admin_handles_no_calls_and_integration_only_ingests_and_triages() -> None:
    assert not permissions_for(Role.ADMIN) & {P.CONTACT_ACT, P.CONTACT_READ, P.TRIAGE_RUN}
    # a system ingests events and partners' acknowledgements, and triages; it reads no contact
    assert permissions_for(Role.INTEGRATION) == {
        P.TELEPHONY_INGEST,
        P.TRIAGE_RUN,
        P.PARTNER_ACKNOWLEDGE,
    }
    assert permissions_for(Role.SUPERVISOR) > permissions_for(Role.CALL_HANDLER)


def test_nobody_authenticated_is_unauthenticated() -> None:
    with pytest.raises(Unauthenticated) as caught:
        access_check(None, Permission.CONTACT_READ)
    assert caught.value.code == "unauthenticated"


def test_an_unknown_permission_is_refused() -> None:
    with pytest.raises(InvalidInput):
        access_check(Principal("x", Role.ADMIN), "contacts:delete")


def test_denial_names_the_principal() -> None:
    with pytest.raises(AccessDenied, match="alice"):
        access_check(Actor("alice", Role.AUDITOR), Permission.CONTACT_ACT)


def test_a_principal_is_built_from_a_role_name() -> None:
    principal = Principal("telephony", "integration")  # type: ignore[arg-type]
    assert principal.role is Role.INTEGRATION
    assert principal.actor == Actor("telephony", Role.INTEGRATION)
    with pytest.raises(InvalidInput):
        Principal("x", "root")  # type: ignore[arg-type]


def test_the_documented_table_is_the_real_one() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "access.md").read_text()
    header = next(line for line in doc.splitlines() if line.startswith("| Permission |"))
    roles = [cell.strip() for cell in header.strip("|").split("|")][2:]
    assert roles == [role.value for role in Role]
    documented = set()
    for line in doc.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == len(roles) + 2 and cells[0].startswith("`"):
            permission = Permission(cells[0].strip("`"))
            documented.add(permission)
            for role, mark in zip(roles, cells[2:], strict=True):
                assert (mark == "✓") == (permission in EXPECTED[Role(role)]), (permission, role)
    assert documented == set(Permission)
