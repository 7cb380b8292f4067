"""``controlroom policy``: check, show and list force policies."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import click
from pydantic import ValidationError

from controlroom.adapters.mait.partners_file import load_mait_directory
from controlroom.adapters.nuisance_config import load_nuisance_config
from controlroom.adapters.policy_file import load_policy, shipped_policies
from controlroom.adapters.policy_reading import PolicyFileError
from controlroom.adapters.reporting_config import load_reporting_config
from controlroom.cli.output import EXIT_BAD_INPUT, EXIT_BAD_POLICY, Printer
from controlroom.cli.retention import describe, retention_or_exit
from controlroom.config import load_settings
from controlroom.domain.errors import PolicyError
from controlroom.domain.mait import MaitDirectory
from controlroom.domain.nuisance import NuisanceConfig
from controlroom.domain.policy import Policy
from controlroom.domain.reporting import ReportingConfig


@click.group()
def policy() -> None:
    """Check, show and list force policies (TOML files: see docs/policy.md)."""


@policy.command()
@click.argument("file", metavar="FILE")
def check(file: str) -> None:
    """Load FILE and its rulebook and report every problem found.

    FILE is a path to a policy .toml file or the name of a shipped policy. Prints a summary and
    exits 0 when the policy is sound; prints one `FILE: field: problem` line per problem on
    stderr and exits 3 when it is not.
    """
    loaded = _load_or_exit(file)
    nuisance = _nuisance_or_exit(file, loaded)
    reporting = _reporting_or_exit(file, loaded)
    mait = _mait_or_exit(file, loaded)
    kept = retention_or_exit(file)
    out = Printer(sys.stdout)
    rules = loaded.rulebook
    out.line(out.style(f"{file}: OK", fg="green", bold=True))
    out.line(f"force:      {loaded.force.name} ({loaded.force.id})")
    out.line(
        f"policy:     {loaded.force.policy_reference} {loaded.force.policy_title}, "
        f"version {loaded.force.version}"
    )
    out.line(
        f"contents:   {len(loaded.paragraphs)} paragraphs, {len(loaded.grades)} grades, "
        f"{len(loaded.scripts)} scripts, {len(loaded.agencies)} agencies, "
        f"{len(loaded.citations)} citations"
    )
    out.line(
        f"rulebook:   {rules.name}: {len(rules.matters)} matter rules, "
        f"{len(rules.overrides)} overrides, {len(rules.time_cues)} time cues, "
        f"{len(rules.vulnerabilities)} vulnerability rules"
    )
    bank = loaded.exemplars
    if bank is None:
        out.line("exemplars:  none (triage runs on its rules alone)")
    else:
        texts = sum(len(situation.texts) for situation in bank.situations)
        out.line(f"exemplars:  {bank.name}: {len(bank.situations)} situations, {texts} texts")
    out.line(f"nuisance:   ladder of {len(nuisance.ladder.steps)} steps")
    out.line(f"reporting:  {len(reporting.report_types)} online report types")
    if mait is None:
        out.line("mait:       none (nothing is sent to partner agencies by MAIT)")
    else:
        partners = ", ".join(p.agency for p in mait.partners) or "no partners"
        out.line(f"mait:       {mait.sender.id}: {partners}")
    out.line(f"retention:  {describe(kept) if kept else 'none (nothing is ever removed)'}")


@policy.command()
@click.argument("reference", metavar="[NAME_OR_PATH]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the whole policy as JSON.")
def show(reference: str | None, as_json: bool) -> None:
    """Show a policy's paragraphs, grades and agency directory.

    NAME_OR_PATH is a shipped policy name or a path to a policy file; by default the configured
    policy (CONTROLROOM_POLICY).
    """
    if reference is None:
        try:
            reference = load_settings().policy
        except ValidationError as exc:
            _fail([f"error: settings: {exc.errors()[0]['msg']}"], EXIT_BAD_INPUT)
    loaded = _load_or_exit(reference)
    if as_json:
        click.echo(json.dumps(policy_as_json(loaded), indent=2, ensure_ascii=False))
        return
    _show_text(loaded)


@policy.command(name="list")
def list_policies() -> None:
    """List the policies that come with controlroom."""
    out = Printer(sys.stdout)
    try:
        configured: str | None = load_settings().policy
    except ValidationError:
        configured = None
    for name, path in shipped_policies().items():
        marker = "*" if name == configured else " "
        try:
            loaded = load_policy(path)
        except PolicyError as exc:
            summary = out.style(f"does not load: {exc.message}", fg="red")
        else:
            summary = f"{loaded.force.name}, {loaded.force.policy_reference}"
        out.line(f"{marker} {name:<16} {summary}")
        out.line(f"  {'':<16} {path}")
    if configured in shipped_policies():
        out.line("(* the configured policy, CONTROLROOM_POLICY)")


def policy_as_json(loaded: Policy) -> dict[str, Any]:
    """The policy as JSON-friendly data: lists for paragraphs, grades, scripts and agencies."""
    rules = loaded.rulebook
    return {
        "force": asdict(loaded.force),
        "emergency_definition": list(loaded.emergency_definition),
        "citations": dict(loaded.citations),
        "limits": asdict(loaded.limits),
        "paragraphs": [asdict(p) for p in loaded.paragraphs.values()],
        "grades": [asdict(g) for g in loaded.grades.values()],
        "scripts": [asdict(s) for s in loaded.scripts.values()],
        "routes": {route.value: asdict(default) for route, default in loaded.routes.items()},
        "agencies": [asdict(a) for a in loaded.agencies.values()],
        "rulebook": {
            "name": rules.name,
            "matters": len(rules.matters),
            "overrides": len(rules.overrides),
            "time_cues": len(rules.time_cues),
            "vulnerabilities": len(rules.vulnerabilities),
        },
    }


def _show_text(loaded: Policy) -> None:
    out = Printer(sys.stdout)
    force = loaded.force
    out.line(out.style(force.name, bold=True))
    out.line(f"{force.policy_reference} {force.policy_title}, version {force.version}")
    out.line()
    out.line(out.style("Paragraphs", bold=True))
    width = max((len(pid) for pid in loaded.paragraphs), default=0)
    for paragraph in loaded.paragraphs.values():
        out.line(f"  {paragraph.id:<{width}}  {paragraph.title or paragraph.text[:70]}")
    out.line()
    out.line(out.style("Emergency definition", bold=True))
    out.line("  " + ", ".join(loaded.emergency_definition))
    out.line()
    out.line(out.style("Grades", bold=True))
    for grade in loaded.grades.values():
        out.line(f"  {grade.id}: {grade.name}. {grade.target}")
    out.line()
    out.line(out.style("Agencies", bold=True))
    for agency in loaded.agencies.values():
        police = " (police)" if agency.police else ""
        out.line(f"  {out.style(agency.id, bold=True)}  {agency.name}{police}")
        out.line(f"      handles: {agency.handles}")
        for method in agency.contact:
            label = f" ({method.label})" if method.label else ""
            out.line(f"      {method.kind}: {method.value}{label}")


def _load_or_exit(reference: str) -> Policy:
    """The policy, or each problem on stderr and exit 3."""
    try:
        return load_policy(Path(reference) if reference.endswith(".toml") else reference)
    except PolicyFileError as exc:
        _fail([str(problem) for problem in exc.problems], EXIT_BAD_POLICY)
    except PolicyError as exc:
        _fail([f"{reference}: {exc.message}"], EXIT_BAD_POLICY)


def _nuisance_or_exit(reference: str, loaded: Policy) -> NuisanceConfig:
    """The policy's nuisance configuration, or each problem on stderr and exit 3."""
    try:
        return load_nuisance_config(
            Path(reference) if reference.endswith(".toml") else reference, loaded
        )
    except PolicyFileError as exc:
        _fail([str(problem) for problem in exc.problems], EXIT_BAD_POLICY)


def _reporting_or_exit(reference: str, loaded: Policy) -> ReportingConfig:
    """The policy's online report types, or each problem on stderr and exit 3."""
    try:
        return load_reporting_config(
            Path(reference) if reference.endswith(".toml") else reference, loaded
        )
    except PolicyFileError as exc:
        _fail([str(problem) for problem in exc.problems], EXIT_BAD_POLICY)


def _mait_or_exit(reference: str, loaded: Policy) -> MaitDirectory | None:
    """The policy's MAIT partners (None without a [mait] table), or each problem and exit 3."""
    try:
        return load_mait_directory(
            Path(reference) if reference.endswith(".toml") else reference, loaded
        )
    except PolicyFileError as exc:
        _fail([str(problem) for problem in exc.problems], EXIT_BAD_POLICY)


def _fail(lines: list[str], code: int) -> NoReturn:
    err = Printer(sys.stderr)
    for line in lines:
        err.line(line)
    raise click.exceptions.Exit(code)
