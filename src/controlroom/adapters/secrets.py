"""Password hashing with argon2id (the library's recommended parameters)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    """Hashes and checks passwords with argon2id."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()

    def hash(self, secret: str) -> str:
        """An argon2id hash of ``secret`` (salted; self-describing)."""
        return self._hasher.hash(secret)

    def verify(self, hashed: str, secret: str) -> bool:
        """True when ``secret`` matches ``hashed``; False for a wrong or unreadable hash."""
        try:
            return self._hasher.verify(hashed, secret)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        """True when ``hashed`` was made with weaker parameters than the current ones."""
        return self._hasher.check_needs_rehash(hashed)
