"""Domain errors. The web layer maps each kind to one HTTP status; the CLI to one exit code."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    #: short machine-readable code, stable across releases
    code = "domain_error"

    def __init__(self, message: str, *, field: str | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint

    def as_dict(self) -> dict[str, str]:
        """The error as a JSON-friendly mapping: code, message and, when known, field and hint."""
        out = {"code": self.code, "message": self.message}
        if self.field:
            out["field"] = self.field
        if self.hint:
            out["hint"] = self.hint
        return out


class InvalidInput(DomainError):
    """Input that cannot be processed as given (empty text, unknown channel, too long...)."""

    code = "invalid_input"


class PolicyError(DomainError):
    """A policy that is inconsistent: unknown paragraph, agency or grade referenced, bad rule."""

    code = "invalid_policy"


class NotFound(DomainError):
    """A thing looked up by id that does not exist."""

    code = "not_found"


class Conflict(DomainError):
    """A write that clashes with what is stored: a duplicate name, a duplicate event id with a
    different body, or a record changed since it was read (optimistic concurrency)."""

    code = "conflict"


class ConcurrentWrite(Conflict):
    """Another transaction wrote the same thing first, found when this one's writes went to the
    database: doing the whole change again, on what is stored now, may well succeed."""


class ServiceUnavailable(DomainError):
    """An outside service the request needs (e.g. what3words) is not configured or not reachable."""

    code = "service_unavailable"


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached (down, restarting, or the network to it is broken): the
    same request may well succeed in a few seconds."""

    code = "database_unavailable"
    #: Seconds a client is asked to wait before trying again.
    retry_after = 5

    def __init__(self) -> None:
        super().__init__(
            "the database cannot be reached",
            hint=f"try again in {self.retry_after} seconds; the service recovers by itself "
            "when the database is back",
        )


class SchemaMismatch(DomainError):
    """The database's schema is not the one this version runs on: older and not to be upgraded
    by this process, or newer than any this version knows."""

    code = "schema_mismatch"


class PolicyViolation(DomainError):
    """An action the force's policy forbids. Always names the paragraph."""

    code = "policy_violation"

    def __init__(self, message: str, *, paragraph: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.paragraph = paragraph

    def as_dict(self) -> dict[str, str]:
        out = super().as_dict()
        out["paragraph"] = self.paragraph
        return out
