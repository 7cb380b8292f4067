"""Helpers the commands share: colour only on a terminal, one-line errors, exit codes, and
the readable form of a triage decision.

Exit codes (see docs/cli.md): 0 ok; 1 a check, an evaluation or some input lines found problems;
2 bad usage or bad input; 3 the policy cannot be loaded.
"""

from __future__ import annotations

import os
import sys
import textwrap
from typing import IO, Any, NoReturn

import click
from click.exceptions import Exit
from pydantic import ValidationError

from controlroom.domain.errors import DomainError
from controlroom.domain.policy import Policy, Route
from controlroom.domain.triage import Decision

EXIT_OK = 0
EXIT_FOUND_PROBLEMS = 1
EXIT_BAD_INPUT = 2
EXIT_BAD_POLICY = 3


def colour_enabled(stream: IO[Any]) -> bool:
    """True when ``stream`` is a terminal and ``NO_COLOR`` is not set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Printer:
    """Writes lines to a text stream, styling them only when colour is enabled."""

    def __init__(self, stream: IO[str], *, colour: bool | None = None) -> None:
        self.stream = stream
        self.colour = colour_enabled(stream) if colour is None else colour

    def style(self, text: str, **styles: Any) -> str:
        """``text`` with click styles (``fg``, ``bold``, ``dim``...) when colour is on."""
        return click.style(text, **styles) if self.colour else text

    def line(self, text: str = "") -> None:
        """Write one line."""
        click.echo(text, file=self.stream, color=self.colour)


def describe_error(error: DomainError) -> str:
    """``error: field: message — hint`` on one line, leaving out the parts that are unknown."""
    text = error.message.replace("\n", " ")
    if error.field and not text.startswith(f"{error.field}:"):
        text = f"{error.field}: {text}"
    if error.hint:
        text = f"{text} — {error.hint}"
    return f"error: {text}"


def error_object(error: DomainError) -> dict[str, str | None]:
    """The error as ``code``, ``message``, ``field`` and ``hint``, always all four keys."""
    return {
        "code": error.code,
        "message": error.message,
        "field": error.field,
        "hint": error.hint,
    }


def fail(error: DomainError | str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print ``error`` on stderr as one line and stop with exit ``code``."""
    message = error if isinstance(error, str) else describe_error(error)
    stderr = sys.stderr
    click.echo(message, file=stderr, color=colour_enabled(stderr))
    raise Exit(code)


def load_policy_or_exit(reference: str | None) -> Policy:
    """The policy named by ``reference`` (a name or a path), or the configured one.

    Prints the loader's error and exits 3 when it cannot be loaded; exits 2 when the
    ``CONTROLROOM_*`` settings themselves are invalid.
    """
    from controlroom.config import load_settings
    from controlroom.triage_setup import policy_for

    try:
        settings = load_settings()
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": str(exc)}
        where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
        fail(f"error: settings: {where}: {first.get('msg', '')}", EXIT_BAD_INPUT)
    if reference is not None:
        settings = settings.model_copy(update={"policy": reference})
    try:
        return policy_for(settings)
    except DomainError as exc:
        described = str(exc)
        if described == exc.message:
            fail(exc, EXIT_BAD_POLICY)
        # The loader describes every problem on its own line, each naming the file.
        lines = [f"error: {line}" for line in described.splitlines()]
        if exc.hint:
            lines[-1] += f" — {exc.hint}"
        fail("\n".join(lines), EXIT_BAD_POLICY)
    except (OSError, ValueError) as exc:
        fail(f"error: policy {settings.policy!r} cannot be loaded: {exc}", EXIT_BAD_POLICY)


# --- decisions --------------------------------------------------------------------------------

ROUTE_WORDS: dict[Route, str] = {
    Route.EMERGENCY: "Emergency",
    Route.POLICE_NON_EMERGENCY: "Police, not an emergency",
    Route.OTHER_AGENCY: "Another agency",
    Route.NOT_POLICE: "Not a police matter",
}
ROUTE_COLOUR: dict[Route, str] = {
    Route.EMERGENCY: "red",
    Route.POLICE_NON_EMERGENCY: "yellow",
    Route.OTHER_AGENCY: "cyan",
    Route.NOT_POLICE: "green",
}


def print_decision(decision: Decision, policy: Policy, out: Printer, *, verbose: bool) -> None:
    """Print ``decision`` for a person: route, grade, agency, THRIVE, flags and reasons."""

    def label(name: str, *, pad: bool = True) -> str:
        return out.style(f"{name + ':':<15}" if pad else f"{name}:", bold=True)

    route = out.style(ROUTE_WORDS[decision.route], fg=ROUTE_COLOUR[decision.route], bold=True)
    out.line(f"{label('Route')}{route} ({decision.route.value})")
    grade = policy.grades.get(decision.grade)
    if grade is None:
        out.line(f"{label('Grade')}{decision.grade}")
    else:
        target = f" — {grade.target}" if grade.target else ""
        out.line(f"{label('Grade')}{grade.name}{target} [{grade.id}]")
    agency = policy.agencies.get(decision.agency) if decision.agency else None
    if agency is None:
        out.line(f"{label('Agency')}{decision.agency or 'none'}")
    else:
        out.line(f"{label('Agency')}{agency.name}")
        for method in agency.contact:
            note = f" ({method.label})" if method.label else ""
            out.line(f"{'':15}{method.kind}: {method.value}{note}")
        if agency.public_advice:
            out.line(f"{'':15}{agency.public_advice}")
    if decision.summary:
        out.line(f"{label('Summary')}{decision.summary}")
    out.line(label("THRIVE", pad=False))
    for name, factor in _thrive_factors(decision):
        level = f"{factor.level.value:<7}"
        if factor.level.value == "high":
            level = out.style(level, bold=True)
        note = f"  {factor.note}" if factor.note else ""
        out.line(f"  {name:<15}{level}{note}".rstrip())
    flags = ", ".join(flag.value.replace("_", " ") for flag in decision.vulnerability)
    out.line(f"{label('Vulnerability')}{flags or 'none identified'}")
    out.line(label("Reasons", pad=False))
    for reason in decision.reasons:
        paragraph = out.style(f"[{reason.paragraph}]", fg="blue")
        line = f"  {paragraph} {reason.rule} — {reason.explanation}"
        if reason.evidence is not None:
            span = reason.evidence
            line += f': "{span.text}" (chars {span.start}–{span.end})'
        out.line(line)
    out.line(f"{label('Policy')}{decision.policy}")
    if verbose:
        _print_paragraphs(decision, policy, out)


def _thrive_factors(decision: Decision) -> list[tuple[str, Any]]:
    thrive = decision.thrive
    return [
        ("threat", thrive.threat),
        ("harm", thrive.harm),
        ("risk", thrive.risk),
        ("investigation", thrive.investigation),
        ("vulnerability", thrive.vulnerability),
        ("engagement", thrive.engagement),
    ]


def _print_paragraphs(decision: Decision, policy: Policy, out: Printer) -> None:
    cited = list(dict.fromkeys(reason.paragraph for reason in decision.reasons))
    out.line()
    out.line(out.style("Paragraphs cited", bold=True))
    for paragraph_id in cited:
        paragraph = policy.paragraphs.get(paragraph_id)
        if paragraph is None:
            out.line(f"  {paragraph_id}  (not in the policy)")
            continue
        title = f"  {paragraph.title}" if paragraph.title else ""
        out.line(out.style(f"  {paragraph.id}{title}", fg="blue"))
        for block in paragraph.text.strip().splitlines():
            out.line(
                textwrap.fill(block, width=96, initial_indent="    ", subsequent_indent="    ")
            )
