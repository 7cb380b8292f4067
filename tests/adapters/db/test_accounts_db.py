"""Accounts and tokens through the real unit of work, on each test database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from controlroom.adapters.secrets import Argon2Hasher
from controlroom.domain.access import Conflict, Principal, Unauthenticated
from controlroom.domain.audit import AuditTag
from controlroom.domain.contacts import Actor, Role
from controlroom.services.accounts import (
    add_user,
    authenticate_password,
    authenticate_token,
    create_token,
    disable_user,
    list_tokens,
    list_users,
    revoke_token,
)
from tests.adapters.db.conftest import MakeUow

ADMIN = Actor("cli:root", Role.ADMIN)
NOW = datetime(2026, 2, 1, 9, 0, 0, 250_000, tzinfo=UTC)


def test_users_and_tokens_round_trip(make_uow: MakeUow) -> None:
    hasher = Argon2Hasher()
    alice = add_user(
        make_uow(), ADMIN, "alice", Role.SUPERVISOR, "a long passphrase", hasher=hasher, now=NOW
    )
    assert list_users(make_uow(), ADMIN) == [alice]
    assert authenticate_password(make_uow(), hasher, "alice", "a long passphrase").user_id == (
        alice.id
    )
    token_id, token = create_token(make_uow(), ADMIN, "alice", now=NOW)
    principal = authenticate_token(make_uow(), token, now=NOW + timedelta(minutes=5))
    assert principal == Principal("alice", Role.SUPERVISOR, user_id=alice.id, token_id=token_id)
    (stored,) = list_tokens(make_uow(), ADMIN)
    assert stored.created_at == NOW and stored.last_used_at == NOW + timedelta(minutes=5)
    assert stored.secret_hash not in token
    revoke_token(make_uow(), ADMIN, token_id, now=NOW)
    with pytest.raises(Unauthenticated):
        authenticate_token(make_uow(), token)
    assert list_tokens(make_uow(), ADMIN, include_revoked=False) == []
    disable_user(make_uow(), ADMIN, "alice")
    with pytest.raises(Unauthenticated):
        authenticate_password(make_uow(), hasher, "alice", "a long passphrase")
    with make_uow(read_only=True) as uow:
        report = uow.audit.verify()
        tags = [entry.tag for entry in uow.audit.tail(10)]
    assert report.ok and report.count == 4
    assert tags == [
        AuditTag.USER_CREATE,
        AuditTag.TOKEN_CREATE,
        AuditTag.TOKEN_REVOKE,
        AuditTag.USER_DISABLE,
    ]


def test_a_duplicate_user_is_a_conflict(make_uow: MakeUow) -> None:
    add_user(make_uow(), ADMIN, "bob", Role.AUDITOR)
    with pytest.raises(Conflict):
        add_user(make_uow(), ADMIN, "bob", Role.AUDITOR)
    with make_uow() as uow:
        user = uow.users.get_by_name("bob")
        assert user is not None
        with pytest.raises(Conflict):
            uow.users.add(user)  # the database's own constraint, past the service's check


def test_handlers_read_ahead_by_name_then_read_again_after_a_change(make_uow: MakeUow) -> None:
    carol = add_user(make_uow(), ADMIN, "carol", Role.CALL_HANDLER)
    add_user(make_uow(), ADMIN, "dave", Role.CALL_HANDLER)
    with make_uow() as uow:
        uow.users.read_ahead(["carol", "dave", "nobody", "carol"])
        assert uow.users.get_by_name("carol") == carol
        assert uow.users.get_by_name("nobody") is None
        dave = uow.users.get_by_name("dave")
        assert dave is not None
        uow.users.save(replace(dave, disabled_at=NOW))  # a change: read again from now on
        again = uow.users.get_by_name("dave")
        assert again is not None and again.disabled_at == NOW


def test_an_integration_token(make_uow: MakeUow) -> None:
    token_id, token = create_token(make_uow(), ADMIN, "telephony", "integration")
    principal = authenticate_token(make_uow(), token)
    assert principal == Principal("telephony", Role.INTEGRATION, token_id=token_id)
