"""Reading a policy's TOML files, and the problems found in them, named by file and field."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from controlroom.domain.errors import PolicyError

HINT = "fix each field named, then run `controlroom policy check FILE` again"


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy or rulebook file."""

    path: Path
    display: str  # the file's name as shown to the user
    field: str | None  # dotted, e.g. ``agencies[3].contact[0].kind``; None for the whole file
    message: str

    def __str__(self) -> str:
        return ": ".join(part for part in (self.display, self.field, self.message) if part)


class PolicyFileError(PolicyError):
    """A policy or rulebook file that cannot be loaded.

    ``path``, ``field`` and ``message`` describe the first problem; ``problems`` holds them all,
    and ``str()`` gives one ``FILE: field: problem`` line per problem.
    """

    def __init__(
        self,
        path: Path,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = HINT,
        display: str | None = None,
        problems: Sequence[PolicyProblem] = (),
    ) -> None:
        super().__init__(message, field=field, hint=hint)
        self.path = path
        self.display = display if display is not None else str(path)
        self.problems: tuple[PolicyProblem, ...] = tuple(problems) or (
            PolicyProblem(path, self.display, field, message),
        )

    @classmethod
    def from_problems(cls, problems: Sequence[PolicyProblem]) -> PolicyFileError:
        """One error carrying every problem found; the first one gives path, field and message."""
        if not problems:
            problems = [PolicyProblem(Path(), "policy", None, "the policy could not be loaded")]
        first = problems[0]
        return cls(
            first.path, first.message, field=first.field, display=first.display, problems=problems
        )

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)

    def as_dict(self) -> dict[str, str]:
        out = super().as_dict()
        out["file"] = self.display
        return out


# --- reading -----------------------------------------------------------------------------------

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


class Unreadable(Exception):
    def __init__(self, problem: PolicyProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_toml(path: Path, display: str) -> dict[str, Any]:
    """The parsed file; raises :class:`Unreadable` with the one problem that stops reading."""

    def fail(message: str) -> Unreadable:
        return Unreadable(PolicyProblem(path, display, None, message))

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail("file not found") from None
    except IsADirectoryError:
        raise fail("is a directory, not a TOML file") from None
    except PermissionError:
        raise fail("cannot be read: permission denied") from None
    except OSError as exc:
        raise fail(f"cannot be read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise fail(
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at line {line}, column {column}); "
            "save the file with UTF-8 encoding"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason = str(exc)
        if match := _TOML_POSITION.search(reason):
            where = f"line {match.group(1)}, column {match.group(2)}"
            reason = reason[: match.start()]
        else:
            where = f"line {text.count(chr(10)) + 1} (end of file)"
            reason = _TOML_END.sub("", reason)
        raise fail(f"{where}: TOML syntax error: {reason[:1].lower()}{reason[1:]}") from None
