"""User accounts and API tokens on SQLAlchemy Core."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, Select, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from controlroom.adapters.db.lists import one_of, per_dialect
from controlroom.adapters.db.tables import api_tokens, users
from controlroom.domain.access import ApiToken, UserAccount
from controlroom.domain.contacts.values import Role
from controlroom.domain.errors import Conflict

# Read on every API request: built once, so SQLAlchemy reuses their compiled forms.
_USER_BY_ID = select(users).where(users.c.id == bindparam("b_id"))
_USER_BY_NAME = select(users).where(users.c.name == bindparam("b_name"))
_USERS_BY_NAME = per_dialect(
    lambda dialect: select(users).where(one_of(users.c.name, "b_names", dialect))
)
_TOKEN_BY_ID = select(api_tokens).where(api_tokens.c.id == bindparam("b_id"))


def _user(row: Row[Any]) -> UserAccount:
    return UserAccount(
        row.id, row.name, Role(row.role), row.created_at, row.password_hash, row.disabled_at
    )


class SqlUserRepository:
    """User accounts in ``users``. An account read by name is kept for the rest of the
    transaction (a batch of telephony events names the same few handlers again and again)
    until an account is added or saved."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._by_name: dict[str, UserAccount | None] = {}

    def _one(self, query: Select[Any], params: dict[str, Any] | None = None) -> UserAccount | None:
        row = self._connection.execute(query, params).first()
        return None if row is None else _user(row)

    def get(self, user_id: str) -> UserAccount | None:
        """The account with this id."""
        return self._one(_USER_BY_ID, {"b_id": user_id})

    def get_by_name(self, name: str) -> UserAccount | None:
        """The account with this name."""
        if name not in self._by_name:
            self._by_name[name] = self._one(_USER_BY_NAME, {"b_name": name})
        return self._by_name[name]

    def read_ahead(self, names: Sequence[str]) -> None:
        """Read the accounts with these names in one query, for :meth:`get_by_name`."""
        wanted = [name for name in dict.fromkeys(names) if name not in self._by_name]
        if not wanted:
            return
        self._by_name.update(dict.fromkeys(wanted))
        statement = _USERS_BY_NAME[self._connection.dialect.name]
        for row in self._connection.execute(statement, {"b_names": wanted}):
            self._by_name[row.name] = _user(row)

    def add(self, user: UserAccount) -> None:
        """Insert a new account."""
        self._by_name.clear()
        values = {
            "id": user.id,
            "name": user.name,
            "role": user.role.value,
            "password_hash": user.password_hash,
            "created_at": user.created_at,
            "disabled_at": user.disabled_at,
        }
        try:
            with self._connection.begin_nested():
                self._connection.execute(insert(users).values(values))
        except IntegrityError:
            raise Conflict(f"a user named {user.name!r} already exists", field="name") from None

    def save(self, user: UserAccount) -> None:
        """Update an account's password hash and disabled time."""
        self._by_name.clear()
        self._connection.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(password_hash=user.password_hash, disabled_at=user.disabled_at)
        )

    def list(self) -> list[UserAccount]:
        """Every account, by name."""
        return [
            _user(row) for row in self._connection.execute(select(users).order_by(users.c.name))
        ]


def _token(row: Row[Any]) -> ApiToken:
    return ApiToken(
        row.id,
        row.name,
        Role(row.role),
        row.secret_hash,
        row.created_at,
        row.user_id,
        row.revoked_at,
        row.last_used_at,
    )


class SqlTokenRepository:
    """API tokens in ``api_tokens``."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, token_id: str) -> ApiToken | None:
        """The token with this id."""
        found = self._connection.execute(_TOKEN_BY_ID, {"b_id": token_id}).first()
        return None if found is None else _token(found)

    def add(self, token: ApiToken) -> None:
        """Insert a new token."""
        self._connection.execute(
            insert(api_tokens).values(
                id=token.id,
                name=token.name,
                role=token.role.value,
                user_id=token.user_id,
                secret_hash=token.secret_hash,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
                last_used_at=token.last_used_at,
            )
        )

    def save(self, token: ApiToken) -> None:
        """Update a token's revoked and last-used times."""
        self._connection.execute(
            update(api_tokens)
            .where(api_tokens.c.id == token.id)
            .values(revoked_at=token.revoked_at, last_used_at=token.last_used_at)
        )

    def list(self, *, include_revoked: bool = True) -> list[ApiToken]:
        """Tokens, oldest first."""
        query = select(api_tokens).order_by(api_tokens.c.created_at, api_tokens.c.id)
        if not include_revoked:
            query = query.where(api_tokens.c.revoked_at.is_(None))
        return [_token(row) for row in self._connection.execute(query)]
