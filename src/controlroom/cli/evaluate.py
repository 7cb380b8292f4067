"""``controlroom eval``: measure triage against labelled examples."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

import click
from click.exceptions import Exit

from controlroom.adapters.eval_tsv import read_eval_path
from controlroom.cli.output import (
    EXIT_BAD_INPUT,
    EXIT_BAD_POLICY,
    EXIT_FOUND_PROBLEMS,
    Printer,
    fail,
    load_policy_or_exit,
)
from controlroom.domain.errors import InvalidInput, PolicyError
from controlroom.domain.evaluation import (
    ROUTE_ORDER,
    Example,
    Label,
    Outcome,
    Ratio,
    Scores,
    Split,
    TargetCheck,
    parse_split,
    score,
    select,
)
from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel, make_contact_text, parse_channel
from controlroom.services.triage import triage_contacts

PROGRESS_EVERY = 1000
CHANNELS = ", ".join(channel.value for channel in Channel)

FIGURES: dict[str, tuple[str, str]] = {
    # name -> (title, what the counts are)
    "emergency_recall": ("Emergency recall", "emergency rows routed emergency"),
    "false_emergencies": ("False emergencies", "non-emergency rows routed emergency"),
    "police_matter_accuracy": ("Police matter? accuracy", "non-emergency rows routed correctly"),
}


@click.group("eval")
def eval_group() -> None:
    """Measure triage against labelled examples."""


@eval_group.command("triage", short_help="Score triage against a labelled TSV file or directory.")
@click.argument("file", metavar="PATH", type=click.Path(path_type=Path))
@click.option(
    "--split",
    "split_name",
    default="all",
    show_default=True,
    metavar="SPLIT",
    help="The part of the rows to score: all, heldback, dev (all but held back) or fold=N (1-5).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--misses", is_flag=True, help="List every wrongly routed row.")
@click.option("--targets", is_flag=True, help="Exit 1 when a figure misses its target.")
@click.option(
    "--channel",
    default=Channel.NINE_NINE_NINE.value,
    show_default=True,
    metavar="CHANNEL",
    help=f"The channel every row is taken to have come by: {CHANNELS}.",
)
@click.option(
    "--policy",
    "policy_ref",
    metavar="NAME_OR_PATH",
    default=None,
    help="A shipped policy's name or a policy file [default: CONTROLROOM_POLICY].",
)
def eval_triage(
    file: Path,
    split_name: str,
    as_json: bool,
    misses: bool,
    targets: bool,
    channel: str,
    policy_ref: str | None,
) -> None:
    """Triage every row of PATH (TSV: text, label, agency, source_url, kind) and score it.

    PATH is a file or a directory (every .tsv file directly inside it). Prints counts by
    label, emergency recall, false emergencies, "police matter?" accuracy, 101 recall, the
    confusion table and, for other_agency rows naming an agency, whether triage named it.
    Targets: recall 100%, false emergencies at most 3%, police matter accuracy at least 95%;
    with --targets the exit code is 1 when one is missed.
    """
    try:
        chosen = parse_channel(channel)
        split = parse_split(split_name)
    except InvalidInput as exc:
        fail(exc, EXIT_BAD_INPUT)
    try:
        examples = select(read_eval_path(file), split)
    except InvalidInput as exc:
        fail(_located(exc.message, exc.hint), EXIT_BAD_INPUT)
    if not examples:
        where = "" if split.name == "all" else f" in split {split.name}"
        fail(
            f"error: {file}: no rows to evaluate{where} — add rows under the header", EXIT_BAD_INPUT
        )
    policy = load_policy_or_exit(policy_ref)
    outcomes = list(_outcomes(examples, policy, chosen, str(file)))
    scores = score(outcomes)
    by_file = _scores_by_file(outcomes) if file.is_dir() else {}

    if as_json:
        data: dict[str, object] = {
            "file": str(file),
            "policy": policy.force.policy_reference,
            "channel": chosen.value,
            "split": split.name,
        }
        data.update(scores.as_dict())
        if by_file:
            data["files"] = {name: _file_dict(part) for name, part in by_file.items()}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        out = Printer(sys.stdout)
        print_scores(
            scores, out, source=_source(file, split, by_file), policy=policy, channel=chosen
        )
        print_agencies(scores, out, policy)
        print_files(by_file, out)
        if misses:
            print_misses(scores, out)
    if targets and not scores.meets():
        raise Exit(EXIT_FOUND_PROBLEMS)


def _source(path: Path, split: Split, by_file: dict[str, Scores]) -> str:
    """What the first line says the rows came from: the path, its files count, the split."""
    source = str(path)
    if by_file:
        source += f" ({len(by_file):,} files)"
    if split.name != "all":
        source += f", split {split.name}"
    return source


def _outcomes(
    examples: list[Example], policy: Policy, channel: Channel, source: str
) -> Iterator[Outcome]:
    """Each example with the route triage gave it, triaged in batches (the semantic layer
    reads a batch of texts at once)."""
    batch: list[Example] = []
    for example in _with_progress(examples):
        batch.append(example)
        if len(batch) == BATCH or example is examples[-1]:
            yield from _triaged(batch, policy, channel, source)
            batch = []


def _triaged(
    batch: list[Example], policy: Policy, channel: Channel, source: str
) -> Iterator[Outcome]:
    contacts = []
    for example in batch:
        try:
            contacts.append(
                make_contact_text(example.text, channel, max_chars=policy.limits.max_text_chars)
            )
        except InvalidInput as exc:
            where = f"{example.file or source}, line {example.line}, column 'text'"
            fail(_located(f"{where}: {exc.message}", exc.hint), EXIT_BAD_INPUT)
    try:
        decisions = triage_contacts(contacts, policy)
    except PolicyError as exc:
        fail(exc, EXIT_BAD_POLICY)
    for example, decision in zip(batch, decisions, strict=True):
        yield Outcome(example, decision.route, decision.agency, decision.needs_assessment)


def _scores_by_file(outcomes: list[Outcome]) -> dict[str, Scores]:
    files: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        files.setdefault(outcome.example.file, []).append(outcome)
    return {name: score(part) for name, part in files.items()}


def _file_dict(scores: Scores) -> dict[str, object]:
    return {
        "rows": scores.total,
        "overall": scores.overall.as_dict(),
        "emergency_recall": scores.emergency_recall.as_dict(),
        "false_emergencies": scores.false_emergencies.as_dict(),
    }


def _located(message: str, hint: str | None) -> str:
    """An error whose message already says where (file, line, column), as one line."""
    return f"error: {message}" + (f" — {hint}" if hint else "")


#: Rows triaged together.
BATCH = 64


def _with_progress(examples: list[Example]) -> Iterable[Example]:
    """The examples; on a terminal, with a progress line on stderr every 1,000 rows."""
    stderr = sys.stderr
    isatty = getattr(stderr, "isatty", None)
    if len(examples) < PROGRESS_EVERY or not (isatty and isatty()):
        yield from examples
        return
    total = len(examples)
    for done, example in enumerate(examples, start=1):
        yield example
        if done % PROGRESS_EVERY == 0 or done == total:
            click.echo(f"\rtriaged {done:,} of {total:,} rows", file=stderr, nl=done == total)


def _percent(ratio: Ratio) -> str:
    value = ratio.value
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _target_text(check: TargetCheck) -> str:
    sign = "≥" if check.higher_is_better else "≤"
    target = f"{100 * float(check.target):g}%"
    return f"target {sign} {target}" if check.target != 1 else "target 100%"


def print_scores(
    scores: Scores, out: Printer, *, source: str, policy: Policy, channel: Channel
) -> None:
    """Print the figures with their counts and the confusion table."""
    out.line(
        f"{scores.total:,} rows from {source}, triaged under {policy.force.policy_reference} "
        f"as {channel.value} contacts"
    )
    out.line()
    out.line(out.style("Rows by label", bold=True))
    for label in Label:
        out.line(f"  {label.value:<22}{scores.counts[label]:>6,}")
    out.line(f"  {'total':<22}{scores.total:>6,}")
    out.line()
    out.line(out.style("Figures", bold=True))
    for check in scores.checks():
        title, what = FIGURES[check.name]
        ratio = check.ratio
        mark = out.style("met", fg="green") if check.met else out.style("MISSED", fg="red")
        counts = f"{ratio.hits:,} of {ratio.total:,} {what}"
        out.line(
            f"  {title:<25}{_percent(ratio):>7}  {counts:<52} {_target_text(check):<14} {mark}"
        )
    out.line(
        f"  {'All rows correct':<25}{_percent(scores.overall):>7}  "
        f"{scores.overall.hits:,} of {scores.overall.total:,} rows"
    )
    recall_101 = scores.non_emergency_recall
    out.line(
        f"  {'101 recall':<25}{_percent(recall_101):>7}  "
        f"{recall_101.hits:,} of {recall_101.total:,} non_emergency_police rows routed "
        "police_non_emergency"
    )
    assessed, missed = scores.assessed, scores.missed_emergencies_assessed
    out.line(
        f"  {'Sent to assess':<25}{_percent(assessed):>7}  "
        f"{assessed.hits:,} of {assessed.total:,} rows: triage not sure, the handler asks the "
        "emergency questions"
    )
    out.line(
        f"  {'  missed emergencies':<25}{_percent(missed):>7}  "
        f"{missed.hits:,} of the {missed.total:,} emergencies not routed emergency were sent "
        "to assess"
    )
    out.line()
    out.line(out.style("Confusion table (rows: label, columns: route)", bold=True))
    widths = [max(len(route.value), 6) for route in ROUTE_ORDER]
    head = "".join(f"  {route.value:>{w}}" for route, w in zip(ROUTE_ORDER, widths, strict=True))
    out.line(f"  {'':<22}{head}  {'total':>6}")
    for label in Label:
        row = scores.confusion[label]
        cells = "".join(
            f"  {row[route]:>{w},}" for route, w in zip(ROUTE_ORDER, widths, strict=True)
        )
        out.line(f"  {label.value:<22}{cells}  {scores.counts[label]:>6,}")


def print_agencies(scores: Scores, out: Printer, policy: Policy) -> None:
    """For other_agency rows naming an agency: rows, routed right, and given that agency."""
    if not scores.agencies:
        return
    out.line()
    out.line(out.style("Other agency rows by the agency they name", bold=True))
    width = max(22, *(len(name) for name in scores.agencies))
    out.line(f"  {'agency':<{width}}  {'rows':>5}  {'right route':>11}  {'right agency':>12}")
    for name, counts in scores.agencies.items():
        note = "" if name in policy.agencies else "  (not in the policy's directory)"
        out.line(
            f"  {name:<{width}}  {counts.rows:>5,}  {counts.right_route:>11,}  "
            f"{counts.right_agency:>12,}{note}"
        )


def print_files(by_file: dict[str, Scores], out: Printer) -> None:
    """For a directory: each file's rows, rows correct, emergency recall and false emergencies."""
    if not by_file:
        return
    out.line()
    out.line(out.style("Rows by file", bold=True))
    width = max(len(Path(name).name) for name in by_file)
    head = f"  {'file':<{width}}  {'rows':>5}  {'correct':>15}  {'emergency recall':>16}"
    out.line(f"{head}  {'false emergencies':>17}")
    for name, part in by_file.items():
        correct = f"{part.overall.hits:,} {_percent(part.overall):>6}"
        recall = f"{part.emergency_recall.hits:,}/{part.emergency_recall.total:,}"
        false = f"{part.false_emergencies.hits:,}/{part.false_emergencies.total:,}"
        out.line(
            f"  {Path(name).name:<{width}}  {part.total:>5,}  {correct:>15}  {recall:>16}  "
            f"{false:>17}"
        )


def print_misses(scores: Scores, out: Printer) -> None:
    """List every wrongly routed row: line (with its file, from a directory), label, route, text."""
    out.line()
    out.line(out.style(f"Misses ({len(scores.misses):,})", bold=True))
    if not scores.misses:
        out.line("  none")
    for miss in scores.misses:
        example = miss.example
        where = (
            f"{Path(example.file).name}:{example.line}"
            if example.file
            else f"line {example.line:<5}"
        )
        out.line(
            f"  {where} {example.label.value} → "
            f"{out.style(miss.route.value, fg='red')}: {example.text}"
        )
