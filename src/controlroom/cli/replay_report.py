"""``controlroom replay``'s summary: tables for a person, or one JSON object for a program
(``--json``; bench/restart_drill.py reads it)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from controlroom.services.call_stream import CallStream

if TYPE_CHECKING:
    from controlroom.cli.replay import Tally


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of sorted values (0 when there are none)."""
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summary_data(stream: CallStream, tally: Tally, seconds: float) -> dict[str, Any]:
    """What the summary tables say, as one JSON-ready object (times in milliseconds; a status
    of ``no answer`` is a delivery that got none)."""
    ordered = sorted(tally.latencies)
    return {
        "planned": tally.planned,
        "sent": tally.sent,
        "acknowledged": tally.acked,
        "errors": tally.errors,
        "retries": tally.retries,
        "seconds": round(seconds, 3),
        "ack_ms": {
            "p50": round(1000 * percentile(ordered, 0.5), 1),
            "p99": round(1000 * percentile(ordered, 0.99), 1),
            "max": round(1000 * (ordered[-1] if ordered else 0), 1),
        },
        "duplicates": tally.duplicates,
        "duplicates_answered_identically": tally.same_answer,
        "contacts_created": len(tally.contacts),
        "calls": len(stream.calls),
        "by_type": {kind: dict(row) for kind, row in sorted(tally.by_type.items())},
        "statuses": {str(status or "no answer"): n for status, n in sorted(tally.statuses.items())},
        "results": dict(tally.results.most_common()),
        "channels": dict(Counter(call.channel.value for call in stream.calls).most_common()),
        "problems": [{"count": n, "problem": text} for text, n in tally.problems.most_common()],
        "stopped": tally.fatal,
    }


def summary(stream: CallStream, tally: Tally, seconds: float) -> list[str]:
    """The summary tables."""
    ordered = sorted(tally.latencies)
    rate = tally.acked / seconds if seconds > 0 else 0.0
    lines = [
        f"{'events sent':<34}{tally.sent:,} of {tally.planned:,} in {seconds:,.1f} s "
        f"({rate:,.1f} acknowledged/s)",
        f"{'acknowledged (2xx)':<34}{tally.acked:,}",
        f"{'errors':<34}{tally.errors:,} (retries: {tally.retries:,})",
        f"{'ack latency p50 / p99 / max':<34}{1000 * percentile(ordered, 0.5):.1f} / "
        f"{1000 * percentile(ordered, 0.99):.1f} / {1000 * (ordered[-1] if ordered else 0):.1f} ms",
        f"{'duplicates answered identically':<34}{tally.same_answer:,} of {tally.duplicates:,}",
        f"{'contacts created':<34}{len(tally.contacts):,} (the stream has {len(stream.calls):,}"
        " calls)",
        "",
        f"{'TYPE':<20}{'SENT':>8}{'2XX':>8}{'ERRORS':>8}",
    ]
    for kind, row in sorted(tally.by_type.items()):
        lines.append(f"{kind:<20}{row['sent']:>8,}{row['2xx']:>8,}{row['errors']:>8,}")
    lines += ["", f"{'STATUS':<20}{'COUNT':>8}"]
    lines += [
        f"{status or 'no answer'!s:<20}{n:>8,}" for status, n in sorted(tally.statuses.items())
    ]
    lines += ["", f"{'RESULT':<20}{'COUNT':>8}"]
    lines += [f"{result:<20}{n:>8,}" for result, n in tally.results.most_common()]
    channels = Counter(call.channel.value for call in stream.calls)
    lines += ["", f"{'CHANNEL (calls)':<20}{'COUNT':>8}"]
    lines += [f"{channel:<20}{n:>8,}" for channel, n in channels.most_common()]
    nines = [call for call in stream.calls if call.channel.value == "999"]
    if nines:
        share = 100 * sum(call.emergency for call in nines) / len(nines)
        lines.append(f"999 calls whose account is an emergency: {share:.0f}%")
    if tally.problems:
        lines += ["", "PROBLEMS"]
        lines += [f"  {n:,} x {text}" for text, n in tally.problems.most_common(5)]
    return lines
