"""Accounts and tokens on the in-memory unit of work: each change audited, access checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from controlroom.domain.access import (
    AccessDenied,
    Conflict,
    Permission,
    Principal,
    Unauthenticated,
)
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.errors import InvalidInput, NotFound
from controlroom.services.accounts import (
    add_user,
    authenticate_password,
    authenticate_token,
    authorise,
    bearer_token,
    create_token,
    disable_user,
    hash_token_secret,
    list_tokens,
    list_users,
    revoke_token,
)
from tests.fakes.uow import FakeHasher, FakeUnitOfWork

ADMIN = Actor("cli:root", Role.ADMIN)
NOW = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    return FakeUnitOfWork()


def test_add_user_writes_the_user_and_one_audit_row(uow: FakeUnitOfWork) -> None:
    user = add_user(uow, ADMIN, "alice", "call_handler", now=NOW)
    assert user.role is Role.CALL_HANDLER and user.password_hash is None
    assert uow.commits == 1
    (entry,) = uow.store.audit
    assert entry.tag == AuditTag.USER_CREATE
    assert (entry.actor, entry.role, entry.subject) == ("cli:root", "admin", "user:alice")
    assert entry.details == {
        "user_id": user.id,
        "name": "alice",
        "role": "call_handler",
        "password": "none",
    }
    assert uow.audit.verify().ok


def test_a_password_is_stored_hashed_and_checked(uow: FakeUnitOfWork) -> None:
    hasher = FakeHasher()
    add_user(uow, ADMIN, "bob", Role.SUPERVISOR, "correct horse battery", hasher=hasher)
    stored = uow.users.get_by_name("bob")
    assert stored is not None and stored.password_hash is not None
    assert "correct horse" not in stored.password_hash
    assert "correct horse" not in str(uow.store.audit[0].details)
    principal = authenticate_password(uow, hasher, "bob", "correct horse battery")
    assert principal == Principal("bob", Role.SUPERVISOR, user_id=stored.id)
    for name, password in [("bob", "wrong password!"), ("nobody", "x"), ("BOB!", "x")]:
        with pytest.raises(Unauthenticated):
            authenticate_password(uow, hasher, name, password)


def test_a_short_password_or_a_missing_hasher_is_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput, match="shorter"):
        add_user(uow, ADMIN, "bob", Role.SUPERVISOR, "short", hasher=FakeHasher())
    with pytest.raises(InvalidInput, match="hasher"):
        add_user(uow, ADMIN, "bob", Role.SUPERVISOR, "long enough password")
    assert uow.store.users == {} and uow.store.audit == []


@pytest.mark.parametrize("name", ["", "Alice", "al ice", "-x", "a" * 65, "é"])
def test_bad_names_are_refused(uow: FakeUnitOfWork, name: str) -> None:
    with pytest.raises(InvalidInput):
        add_user(uow, ADMIN, name, Role.AUDITOR)


def test_unknown_roles_are_refused(uow: FakeUnitOfWork) -> None:
    with pytest.raises(InvalidInput, match="unknown role"):
        add_user(uow, ADMIN, "alice", "root")


def test_a_duplicate_user_is_a_conflict_and_changes_nothing(uow: FakeUnitOfWork) -> None:
    add_user(uow, ADMIN, "alice", Role.AUDITOR)
    with pytest.raises(Conflict):
        add_user(uow, ADMIN, "alice", Role.ADMIN)
    assert len(uow.store.users) == 1 and len(uow.store.audit) == 1


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_admins_manage_users_and_tokens(uow: FakeUnitOfWork, role: Role) -> None:
    actor = Actor("someone", role)
    with pytest.raises(AccessDenied):
        add_user(uow, actor, "alice", Role.AUDITOR)
    with pytest.raises(AccessDenied):
        list_users(uow, actor)
    with pytest.raises(AccessDenied):
        create_token(uow, actor, "telephony", Role.INTEGRATION)
    with pytest.raises(AccessDenied):
        revoke_token(uow, actor, "0" * 16)
    with pytest.raises(AccessDenied):
        list_tokens(uow, actor)
    assert uow.store.audit == []


def test_a_token_authenticates_until_revoked(uow: FakeUnitOfWork) -> None:
    user = add_user(uow, ADMIN, "alice", Role.CALL_HANDLER)
    token_id, token = create_token(uow, ADMIN, "alice", now=NOW)
    assert token.startswith(f"cr_{token_id}_")
    stored = uow.tokens.get(token_id)
    assert stored is not None
    assert stored.secret_hash == hash_token_secret(token.split("_", 2)[2])
    assert token.split("_", 2)[2] not in repr(uow.store)
    principal = authenticate_token(uow, token, now=NOW)
    assert principal == Principal("alice", Role.CALL_HANDLER, user_id=user.id, token_id=token_id)
    revoked = revoke_token(uow, ADMIN, token_id, now=NOW)
    assert revoked.revoked_at == NOW
    with pytest.raises(Unauthenticated):
        authenticate_token(uow, token, now=NOW)
    tags = [entry.tag for entry in uow.store.audit]
    assert tags == [AuditTag.USER_CREATE, AuditTag.TOKEN_CREATE, AuditTag.TOKEN_REVOKE]
    assert uow.store.audit[1].details == {
        "token_id": token_id,
        "name": "alice",
        "role": "call_handler",
    }
    assert revoke_token(uow, ADMIN, token_id) == revoked  # again: no change, no audit row
    assert len(uow.store.audit) == 3


def test_an_integration_token_needs_no_user(uow: FakeUnitOfWork) -> None:
    token_id, token = create_token(uow, ADMIN, "telephony", Role.INTEGRATION)
    principal = authenticate_token(uow, f"  {token}\n")
    assert principal == Principal("telephony", Role.INTEGRATION, token_id=token_id)


def test_a_human_token_needs_a_user_with_that_role(uow: FakeUnitOfWork) -> None:
    with pytest.raises(NotFound) as caught:
        create_token(uow, ADMIN, "bob", Role.CALL_HANDLER)
    assert "users add bob" in (caught.value.hint or "")
    with pytest.raises(NotFound):
        create_token(uow, ADMIN, "bob")
    add_user(uow, ADMIN, "bob", Role.AUDITOR)
    with pytest.raises(InvalidInput, match="has role auditor"):
        create_token(uow, ADMIN, "bob", Role.SUPERVISOR)
    assert len(uow.store.tokens) == 0


def test_a_disabled_users_tokens_stop_working(uow: FakeUnitOfWork) -> None:
    add_user(uow, ADMIN, "carol", Role.SUPERVISOR)
    _, token = create_token(uow, ADMIN, "carol")
    authenticate_token(uow, token)
    disable_user(uow, ADMIN, "carol", now=NOW)
    with pytest.raises(Unauthenticated):
        authenticate_token(uow, token)
    with pytest.raises(InvalidInput, match="disabled"):
        create_token(uow, ADMIN, "carol")
    assert uow.store.audit[-1].tag == AuditTag.USER_DISABLE
    with pytest.raises(NotFound):
        disable_user(uow, ADMIN, "nobody")


@pytest.mark.parametrize(
    "presented",
    [None, "", "Bearer x", "cr_", "cr_0123456789abcdef_short", "xx_0123456789abcdef_" + "a" * 43],
)
def test_malformed_tokens_are_refused(uow: FakeUnitOfWork, presented: str | None) -> None:
    with pytest.raises(Unauthenticated):
        authenticate_token(uow, presented)


def test_a_wrong_secret_or_unknown_id_is_refused(uow: FakeUnitOfWork) -> None:
    token_id, token = create_token(uow, ADMIN, "telephony", Role.INTEGRATION)
    wrong = f"cr_{token_id}_{'A' * 43}"
    with pytest.raises(Unauthenticated):
        authenticate_token(uow, wrong)
    with pytest.raises(Unauthenticated):
        authenticate_token(uow, token.replace(token_id, "f" * 16))


def test_last_used_is_written_at_most_once_a_minute(uow: FakeUnitOfWork) -> None:
    token_id, token = create_token(uow, ADMIN, "telephony", Role.INTEGRATION, now=NOW)
    commits = uow.commits
    authenticate_token(uow, token, now=NOW)
    authenticate_token(uow, token, now=NOW + timedelta(seconds=30))
    stored = uow.tokens.get(token_id)
    assert stored is not None and stored.last_used_at == NOW
    authenticate_token(uow, token, now=NOW + timedelta(minutes=2))
    stored = uow.tokens.get(token_id)
    assert stored is not None and stored.last_used_at == NOW + timedelta(minutes=2)
    assert uow.commits == commits + 2
    assert len(uow.store.audit) == 1  # use is not a change worth an audit row


def test_list_tokens_hides_revoked_on_request(uow: FakeUnitOfWork) -> None:
    first, _ = create_token(uow, ADMIN, "telephony", Role.INTEGRATION, now=NOW)
    second, _ = create_token(uow, ADMIN, "aml", Role.INTEGRATION, now=NOW + timedelta(seconds=1))
    revoke_token(uow, ADMIN, first)
    assert [t.id for t in list_tokens(uow, ADMIN)] == [first, second]
    assert [t.id for t in list_tokens(uow, ADMIN, include_revoked=False)] == [second]
    with pytest.raises(NotFound):
        revoke_token(uow, ADMIN, "f" * 16)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("Bearer", None),
        ("Bearer   ", None),
        ("Basic abc", None),
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
    ],
)
def test_bearer_token(header: str | None, expected: str | None) -> None:
    assert bearer_token(header) == expected


def test_authorise_authenticates_then_checks_the_permission(uow: FakeUnitOfWork) -> None:
    _, token = create_token(uow, ADMIN, "telephony", Role.INTEGRATION)
    principal = authorise(uow, f"Bearer {token}", Permission.TELEPHONY_INGEST)
    assert principal.name == "telephony"
    with pytest.raises(AccessDenied):
        authorise(uow, f"Bearer {token}", Permission.CONTACT_READ)
    with pytest.raises(Unauthenticated):
        authorise(uow, None, Permission.TRIAGE_RUN)
    with pytest.raises(Unauthenticated):
        authorise(uow, "Bearer cr_nonsense", Permission.TRIAGE_RUN)
