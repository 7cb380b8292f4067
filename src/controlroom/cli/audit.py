"""``controlroom audit``: verify the hash chain and show the latest entries."""

from __future__ import annotations

import json

import click

from controlroom.cli.db import database_errors, local_actor, settings_or_exit
from controlroom.cli.output import EXIT_BAD_INPUT, EXIT_FOUND_PROBLEMS, fail
from controlroom.domain.access import Permission, access_check
from controlroom.domain.audit import AuditEntry, format_time


@click.group()
def audit() -> None:
    """The audit log: check it has not been tampered with, and read it."""


#: Contact problems printed in full; the rest are counted.
SHOWN_PROBLEMS = 20


@audit.command("verify")
def verify_command() -> None:
    """Check the whole chain, then every stored contact against its audit trail; exit 1
    naming the first row edited, inserted or deleted, or each contact changed outside it."""
    from controlroom.bootstrap import uow_factory

    settings = settings_or_exit()
    access_check(local_actor(), Permission.AUDIT_VERIFY)
    with database_errors(settings), uow_factory(settings)(read_only=True) as uow:
        report, contacts = uow.audit.verify_all()
    if report.problem is not None:
        click.echo(f"checked {report.count} rows before the problem")
        fail(f"error: audit log broken at {report.problem}", EXIT_FOUND_PROBLEMS)
    if report.count == 0:
        click.echo("audit log intact: no rows yet")
    else:
        click.echo(
            f"audit log intact: {report.count} rows; "
            f"head row {report.last_seq}, hash {report.last_hash}"
        )
        click.echo(f"redacted under the retention policy: {report.redacted} rows")
    if report.version_1:
        click.echo(
            f"chain version 1 (hashed over their details, written before the upgrade): "
            f"{report.version_1} rows"
        )
    if contacts is None:
        return
    if contacts.ok:
        unsealed = contacts.checked - contacts.sealed
        older = f" ({unsealed} written before records were sealed)" if unsealed else ""
        click.echo(f"contacts match their audit trail: {contacts.checked} checked{older}")
        return
    for problem in contacts.problems[:SHOWN_PROBLEMS]:
        click.echo(f"error: {problem}", err=True)
    more = len(contacts.problems) - SHOWN_PROBLEMS
    if more > 0:
        click.echo(f"error: and {more} more contacts", err=True)
    fail(
        f"error: {len(contacts.problems)} of {contacts.checked} contacts do not match "
        "their audit trail",
        EXIT_FOUND_PROBLEMS,
    )


def _line(entry: AuditEntry) -> str:
    details = json.dumps(dict(entry.details), ensure_ascii=False, sort_keys=True)
    return (
        f"{entry.seq:>6}  {format_time(entry.at)}  {entry.actor} ({entry.role})  "
        f"{entry.tag}  {entry.subject}  {details}"
    )


@audit.command("tail")
@click.option("-n", "count", default=20, show_default=True, help="How many entries.")
@click.option("--subject", default=None, help="Only entries about this, e.g. contact:C-1.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def tail_command(count: int, subject: str | None, as_json: bool) -> None:
    """Show the latest entries, oldest first."""
    from controlroom.bootstrap import uow_factory

    if count < 1:
        fail("error: -n: give 1 or more", EXIT_BAD_INPUT)
    settings = settings_or_exit()
    access_check(local_actor(), Permission.AUDIT_READ)
    with database_errors(settings), uow_factory(settings)(read_only=True) as uow:
        entries = uow.audit.tail(count, subject=subject)
    for entry in entries:
        if as_json:
            row = {
                "seq": entry.seq,
                "at": format_time(entry.at),
                "actor": entry.actor,
                "role": entry.role,
                "tag": entry.tag,
                "subject": entry.subject,
                "details": dict(entry.details),
                "details_digest": entry.details_digest,
                "chain_version": entry.chain_version,
                "prev_hash": entry.prev_hash,
                "hash": entry.hash,
            }
            click.echo(json.dumps(row, ensure_ascii=False))
        else:
            click.echo(_line(entry))
