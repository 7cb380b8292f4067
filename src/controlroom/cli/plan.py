"""``controlroom plan``: capacity planning (docs/planning.md). A model from the stored contacts,
a file or the demo; runs of the simulation with a scenario beside the baseline; handlers
needed per half hour."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from controlroom.cli.db import database_errors, local_actor, settings_or_exit
from controlroom.cli.output import EXIT_BAD_INPUT, fail
from controlroom.domain.access import Principal
from controlroom.domain.contacts.values import Role
from controlroom.domain.errors import DomainError
from controlroom.domain.planning.from_records import RecordsModel
from controlroom.domain.planning.model import Channel, DistributionKind, Duration, RoomModel

#: Runs at least this long (weeks, both runs together) show a progress bar.
PROGRESS_FROM = 8


@click.group()
def plan() -> None:
    """Capacity planning: the room's model, simulated runs and the handlers needed."""


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except DomainError as exc:
        fail(exc, EXIT_BAD_INPUT)


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"error: {name}: {value!r} is not a date; write YYYY-MM-DD", EXIT_BAD_INPUT)


def _patience(values: tuple[str, ...]) -> dict[Channel, Duration | None]:
    """``999=120`` (an exponential patience with that mean) or ``digital=none`` (nobody
    abandons), for each channel named."""
    chosen: dict[Channel, Duration | None] = {}
    for value in values:
        name, _, seconds = value.partition("=")
        try:
            channel = Channel(name.strip())
            mean = None if seconds.strip().lower() == "none" else float(seconds)
        except ValueError:
            fail(
                f"error: --patience: {value!r} is not CHANNEL=SECONDS; "
                "e.g. 999=120, 101=300 or digital=none",
                EXIT_BAD_INPUT,
            )
        if mean is not None and not 0 < mean < 86_400:
            fail(f"error: --patience: {value!r}: give seconds above 0", EXIT_BAD_INPUT)
        chosen[channel] = None if mean is None else Duration(DistributionKind.EXPONENTIAL, mean)
    return chosen


def _from_records(
    first: str, last: str, roster: Path | None, patience: tuple[str, ...]
) -> tuple[RoomModel, RecordsModel | None]:
    """The model of the contacts offered from ``first`` to ``last`` (force-local days)."""
    from controlroom.adapters.planning_file import read_roster
    from controlroom.bootstrap import nuisance_for, policy_for, uow_factory
    from controlroom.domain.planning.from_records import RecordsOptions, Standard, period_of
    from controlroom.services.planning import records_model

    assumed = _patience(patience)
    settings = settings_or_exit()
    begin, end = _day(first, "--from"), _day(last, "--to")
    with database_errors(settings):
        groups = None if roster is None else read_roster(roster)
        policy = policy_for(settings)
        zone = ZoneInfo(nuisance_for(settings, policy).tz)
        level = policy.service_level_101
        defaults = RecordsOptions()
        standards = dict(defaults.standards)
        standards[Channel.NON_EMERGENCY] = Standard(float(level.seconds), level.share)
        # the records are read as a supervisor reads the room's figures (reports:read)
        reader = Principal(local_actor().id, Role.SUPERVISOR)
        start, stop = period_of(begin, end, zone)
        found = records_model(
            uow_factory(settings),
            reader,
            start=start,
            end=stop,
            zone=zone,
            options=RecordsOptions(dict(defaults.patience) | assumed, defaults.handling, standards),
            groups=groups,
        )
    if found.damaged:
        click.echo(f"{len(found.damaged)} damaged contacts left out", err=True)
    return found.model, found.found


def _model(
    model_path: Path | None,
    demo: bool,
    first: str | None,
    last: str | None,
    roster: Path | None,
    patience: tuple[str, ...],
) -> tuple[RoomModel, RecordsModel | None]:
    """The model the options choose (:func:`model_options`)."""
    path = model_path
    from controlroom.adapters.planning_file import read_model, read_roster
    from controlroom.domain.planning.demo import demo_model
    from controlroom.domain.planning.roster import with_groups

    chosen = sum([path is not None, demo, first is not None or last is not None])
    if chosen != 1:
        fail("error: give one model: a MODEL file, --demo, or --from and --to", EXIT_BAD_INPUT)
    if first is not None or last is not None:
        if first is None or last is None:
            fail("error: --from and --to go together", EXIT_BAD_INPUT)
        return _from_records(first, last, roster, patience)
    if patience:
        fail(
            "error: --patience: a model file or the demo states its own patience; "
            "--patience is for a model from the records",
            EXIT_BAD_INPUT,
        )
    with _errors():
        model = demo_model() if demo else read_model(path) if path else demo_model()
        if roster is not None:
            model = with_groups(model, read_roster(roster), f"from {roster}")
    return model, None


def model_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ways of choosing a model, shared by the sub-commands."""
    for option in reversed(
        [
            click.argument("model_path", metavar="[MODEL]", required=False, type=Path),
            click.option("--demo", is_flag=True, help="The demo model (made-up figures)."),
            click.option("--from", "first", metavar="DATE", help="Records from this day."),
            click.option("--to", "last", metavar="DATE", help="Records to this day (inclusive)."),
            click.option(
                "--roster", type=Path, help="A roster file (controlroom.roster/1) to use."
            ),
            click.option(
                "--patience",
                multiple=True,
                metavar="CHANNEL=SECONDS",
                help="Records: the patience assumed where too few callers abandoned "
                "(999=180, 101=300, digital=none by default).",
            ),
        ]
    ):
        command = option(command)
    return command


@plan.command("model")
@model_options
@click.option("--out", type=Path, help="Write the model to this file (controlroom.room-model/1).")
def model_command(out: Path | None, **choice: Any) -> None:
    """Show a model: from the records (--from, --to), a MODEL file or the demo; --out saves it."""
    from controlroom.adapters.planning_file import model_to_json
    from controlroom.cli.plan_text import model_lines, records_lines

    model, found = _model(**choice)
    lines = records_lines(found) if found is not None else []
    for line in [*lines, *model_lines(model)]:
        click.echo(line)
    if out is not None:
        _write(out, model_to_json(model))
        click.echo(f"model written to {out}")


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"error: cannot write {path}: {exc.strerror}", EXIT_BAD_INPUT)


@plan.command("run")
@model_options
@click.option("--scenario", type=Path, help="A scenario file (TOML, controlroom.scenario/1).")
@click.option(
    "--weeks", default=4, show_default=True, type=click.IntRange(1, 520), help="Weeks to simulate."
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Random seed (same seed, same run).",
)
@click.option("--csv", "csv_path", type=Path, help="Write the half hours to this CSV file.")
@click.option("--json", "json_path", type=Path, help="Write everything to this JSON file.")
def run_command(
    scenario: Path | None,
    weeks: int,
    seed: int,
    csv_path: Path | None,
    json_path: Path | None,
    **choice: Any,
) -> None:
    """Simulate a model (and a scenario beside it) and print the figures."""
    from controlroom.adapters.scenario_file import read_scenario
    from controlroom.cli.plan_text import comparison_lines
    from controlroom.domain.planning.export import model_to_data, plan_csv, run_data
    from controlroom.services.planning import labelled, run_plan

    model, _ = _model(**choice)
    with _errors():
        changes = None if scenario is None else read_scenario(scenario)
        total = weeks * (1 if changes is None else 2)
        if total >= PROGRESS_FROM:
            with click.progressbar(length=total, label="simulating", file=None) as bar:
                done = [0]

                def progress(weeks_done: int) -> None:
                    bar.update(weeks_done - done[0])
                    done[0] = weeks_done

                result = run_plan(model, changes, weeks=weeks, seed=seed, progress=progress)
        else:
            result = run_plan(model, changes, weeks=weeks, seed=seed)
    for line in comparison_lines(result):
        click.echo(line)
    runs = labelled(result)
    if csv_path is not None:
        _write(csv_path, plan_csv(runs))
        click.echo(f"half hours written to {csv_path}")
    if json_path is not None:
        data = {
            "format": "controlroom.plan-run/1",
            "runs": [run_data(run, model_to_data(run.model)) for run in runs],
        }
        _write(json_path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        click.echo(f"runs written to {json_path}")


@plan.command("staff")
@model_options
@click.option("--csv", "csv_path", type=Path, help="Write the handlers needed to this CSV file.")
def staff_command(csv_path: Path | None, **choice: Any) -> None:
    """The handlers each channel needs in each half hour to meet its standard."""
    from controlroom.cli.plan_text import staffing_csv, staffing_lines
    from controlroom.domain.planning.staffing import handlers_needed

    model, _ = _model(**choice)
    with _errors():
        needs = handlers_needed(model)
    for line in staffing_lines(model, needs):
        click.echo(line)
    if csv_path is not None:
        _write(csv_path, staffing_csv(needs))
        click.echo(f"handlers needed written to {csv_path}")
