"""Password hashing with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher

from controlroom.adapters.secrets import Argon2Hasher


def test_hash_and_verify() -> None:
    hasher = Argon2Hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    hashed = hasher.hash("correct horse battery staple")
    assert hashed.startswith("$argon2id$") and "correct" not in hashed
    assert hasher.verify(hashed, "correct horse battery staple")
    assert not hasher.verify(hashed, "wrong")
    assert not hasher.verify("not a hash", "wrong")
    assert Argon2Hasher().needs_rehash(hashed)
