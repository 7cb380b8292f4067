"""``controlroom retention``: review and apply the policy's retention periods
(docs/retention.md)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import click

from controlroom.cli.db import database_errors, local_actor, settings_or_exit
from controlroom.cli.output import EXIT_BAD_INPUT, EXIT_BAD_POLICY, fail
from controlroom.config import Settings
from controlroom.domain.audit import format_time
from controlroom.domain.retention import Action, Kind, RetentionPolicy


@click.group()
def retention() -> None:
    """Retention by policy: what has expired, and removing or anonymising it."""


def _as_of(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        fail(
            f"error: --as-of: {value!r} is not a date; give YYYY-MM-DD or an ISO-8601 time",
            EXIT_BAD_INPUT,
        )
    if len(value) == 10:
        moment = datetime.combine(moment.date(), time(0), UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > datetime.now(UTC):
        fail(f"error: --as-of: {value} is in the future; give today or an earlier date")
    return moment.astimezone(UTC)


def retention_or_exit(reference: str) -> RetentionPolicy | None:
    """The ``[retention]`` table of a policy (None without one), or each problem on stderr
    and exit 3 (also used by ``controlroom policy check``)."""
    from controlroom.adapters.policy_reading import PolicyFileError
    from controlroom.adapters.retention_config import load_retention_policy

    try:
        return load_retention_policy(Path(reference) if reference.endswith(".toml") else reference)
    except PolicyFileError as exc:
        fail("\n".join(str(problem) for problem in exc.problems), EXIT_BAD_POLICY)


def describe(policy: RetentionPolicy) -> str:
    """The periods in one line: ``contacts 730 d anonymise, ...``."""
    return ", ".join(
        f"{kind.value} {rule.after_days} d {rule.action.value}"
        for kind, rule in policy.rules.items()
    )


def _policy(settings: Settings) -> RetentionPolicy:
    found = retention_or_exit(settings.policy)
    if found is None:
        fail(
            f"error: policy {settings.policy}: no [retention] table, so nothing is reviewed "
            "or removed; add one (docs/retention.md)",
            EXIT_BAD_POLICY,
        )
    return found


def _session(settings: Settings) -> Any:
    from controlroom.adapters.db.retention import SqlRetentionStore
    from controlroom.bootstrap import uow_factory

    make_uow = uow_factory(settings)

    @contextmanager
    def session(read_only: bool) -> Iterator[tuple[Any, SqlRetentionStore]]:
        with make_uow(read_only=read_only) as uow:
            yield uow, SqlRetentionStore(uow.connection, lock=not read_only)

    return session


def _report_json(report: Any, policy: RetentionPolicy, *, applied: bool) -> dict[str, Any]:
    kinds = []
    for (kind, action), tally in sorted(report.tallies.items()):
        kinds.append(
            {
                "kind": kind.value,
                "action": action.value,
                "after_days": policy.rule(kind).after_days,
                "count": tally.count,
                "oldest": format_time(tally.oldest) if tally.oldest else None,
                "held": tally.held,
                "held_reasons": dict(tally.reasons),
            }
        )
    audit = policy.rule(Kind.AUDIT)
    return {
        "as_of": format_time(report.as_of),
        "applied": applied,
        "kinds": kinds,
        "audit": {
            "after_days": audit.after_days,
            "action": Action.KEEP.value,
            "past_period": report.audit_expired,
            "oldest": format_time(report.audit_oldest) if report.audit_oldest else None,
            "redacted": report.audit_rows.redacted,
            "kept_version_1": report.audit_rows.kept_version_1,
        },
    }


def _print(data: dict[str, Any], *, applied: bool) -> None:
    verb = "done" if applied else "would be done"
    click.echo(f"retention as of {data['as_of']} ({verb}):")
    if not data["kinds"]:
        click.echo("  nothing has expired")
    for item in data["kinds"]:
        oldest = f", oldest ended {item['oldest']}" if item["oldest"] else ""
        click.echo(
            f"  {item['kind']} (after {item['after_days']} days): "
            f"{item['action']} {item['count']}{oldest}"
        )
        for reason, count in sorted(item["held_reasons"].items()):
            click.echo(f"    held back: {count} {reason}")
    audit = data["audit"]
    verb = "tombstoned" if applied else "to tombstone"
    kept = audit["kept_version_1"]
    older = f"; {kept} kept whole (written before chain version 2)" if kept else ""
    click.echo(f"  audit rows about them with personal details: {audit['redacted']} {verb}{older}")
    click.echo(
        f"  audit (after {audit['after_days']} days): {audit['past_period']} rows past the "
        "period, kept (rows are never removed)"
    )


@retention.command("review")
@click.option("--as-of", "as_of", default=None, help="Review as of this date (default: now).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def review_command(as_of: str | None, as_json: bool) -> None:
    """Dry run: what would be removed or anonymised, per kind, and what is held back and why.
    Changes nothing."""
    from controlroom.services.retention import review

    moment = _as_of(as_of)
    settings = settings_or_exit()
    policy = _policy(settings)
    with database_errors(settings):
        report = review(_session(settings), policy, moment)
    data = _report_json(report, policy, applied=False)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        _print(data, applied=False)


@retention.command("apply")
@click.option("--as-of", "as_of", default=None, help="Apply as of this date (default: now).")
@click.option("--batch", default=100, show_default=True, help="Records per transaction.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def apply_command(as_of: str | None, batch: int, as_json: bool) -> None:
    """Remove or anonymise what has expired, in transactions of --batch records, each with
    its audit rows; progress on stderr. Safe to run again or after an interruption."""
    from controlroom.services.retention import apply

    if batch < 1 or batch > 10000:
        fail(f"error: --batch: {batch} is out of range; give 1 to 10000")
    moment = _as_of(as_of)
    settings = settings_or_exit()
    policy = _policy(settings)

    def progress(line: str) -> None:
        click.echo(line, err=True)

    with database_errors(settings):
        report = apply(
            _session(settings),
            policy,
            moment,
            actor=local_actor(),
            now=lambda: datetime.now(UTC),
            batch=batch,
            progress=progress,
        )
    data = _report_json(report, policy, applied=True)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        _print(data, applied=True)
    sys.stdout.flush()
