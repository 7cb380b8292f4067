"""In-memory user accounts and API tokens, for :class:`~tests.fakes.uow.FakeUnitOfWork`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from controlroom.domain.access import ApiToken, UserAccount
from controlroom.domain.errors import Conflict

if TYPE_CHECKING:
    from tests.fakes.uow import FakeStore


class FakeUserRepository:
    """Users in a dict."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def get(self, user_id: str) -> UserAccount | None:
        """The account, or ``None``."""
        return self._store.users.get(user_id)

    def get_by_name(self, name: str) -> UserAccount | None:
        """The account with this name, or ``None``."""
        return next((u for u in self._store.users.values() if u.name == name), None)

    def read_ahead(self, names: Sequence[str]) -> None:
        """Nothing to read ahead: the accounts are in memory."""

    def add(self, user: UserAccount) -> None:
        """Store a new account."""
        if self.get_by_name(user.name) is not None or user.id in self._store.users:
            raise Conflict(f"a user named {user.name!r} already exists", field="name")
        self._store.users[user.id] = user

    def save(self, user: UserAccount) -> None:
        """Store a changed account."""
        self._store.users[user.id] = user

    def list(self) -> list[UserAccount]:
        """Every account, by name."""
        return sorted(self._store.users.values(), key=lambda u: u.name)


class FakeTokenRepository:
    """Tokens in a dict."""

    def __init__(self, store: FakeStore) -> None:
        self._store = store

    def get(self, token_id: str) -> ApiToken | None:
        """The token, or ``None``."""
        return self._store.tokens.get(token_id)

    def add(self, token: ApiToken) -> None:
        """Store a new token."""
        self._store.tokens[token.id] = token

    def save(self, token: ApiToken) -> None:
        """Store a changed token."""
        self._store.tokens[token.id] = token

    def list(self, *, include_revoked: bool = True) -> list[ApiToken]:
        """Tokens, oldest first."""
        tokens = sorted(self._store.tokens.values(), key=lambda t: (t.created_at, t.id))
        return [t for t in tokens if include_revoked or t.active]
