"""A discrete-event simulation of the room, in the standard library alone.

Contacts arrive on each channel as a Poisson process whose rate is constant within a half hour
(the superposition of the channels is drawn as one stream, each arrival then given its channel).
A free handler whose group has the channel's skill answers at once (groups with fewer skills
first); otherwise the contact waits in its channel's queue, first come first served, until a
handler frees up or the caller's patience runs out. A handler who frees up takes the oldest
waiting contact of the highest-priority channel among the group's skills (999, then 101, then
digital); nobody is interrupted once answered. When a roster goes down, free handlers leave at
once and busy ones when they finish; when it goes up, the new handlers take waiting contacts.

Callers who give up are taken out lazily, when a handler reaches them in the queue, which is the
same as taking them out when they hang up, since they hold no handler. Arrivals are drawn a half
hour at a time, so memory depends on the queue lengths, not on the number of contacts.
"""

from __future__ import annotations

import math
import random
from bisect import bisect
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import accumulate

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.model import INTERVAL_SECONDS, INTERVALS_PER_WEEK, RoomModel
from controlroom.domain.planning.results import SimulationResult
from controlroom.domain.planning.sampling import Sampler, sampler
from controlroom.domain.planning.tally import (
    BINS,
    COARSE_WIDTH,
    FINE_BINS,
    FINE_LIMIT,
    FINE_PER_SECOND,
    LAST_BIN,
    Tally,
)
from controlroom.domain.planning.validation import validate_model

MAX_WEEKS = 520


def simulate(
    model: RoomModel,
    *,
    weeks: int = 1,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate ``weeks`` weeks of ``model`` from an empty room; ``progress(weeks_done)`` is
    called after each week. The same model, weeks and seed always give the same result."""
    validate_model(model)
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= MAX_WEEKS:
        raise InvalidInput(
            f"weeks: must be a whole number from 1 to {MAX_WEEKS}, not {weeks!r}",
            field="weeks",
            hint="give the number of weeks to simulate (52 for a year)",
        )
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise InvalidInput(f"seed: must be a whole number, not {seed!r}", field="seed")
    order = sorted(range(len(model.channels)), key=lambda n: model.channels[n].channel.priority)
    tally = run(model, weeks=weeks, seed=seed, progress=progress)
    return tally.result(
        [m.channel for m in model.channels],
        [g.name for g in model.groups],
        order=[order.index(n) for n in range(len(model.channels))],
        weeks=weeks,
        seed=seed,
    )


def _split(into: list[float], row: int, k: int, start: float, end: float, stop: int) -> None:
    """Add the part of ``start``..``end`` in each half hour from global interval ``k`` (below
    ``stop``) to ``into[row + interval of the week]``."""
    week = INTERVALS_PER_WEEK
    edge = (k + 1) * float(INTERVAL_SECONDS)
    while start < end and k < stop:
        into[row + k % week] += min(end, edge) - start
        start = edge
        edge += INTERVAL_SECONDS
        k += 1


def run(
    model: RoomModel,
    *,
    weeks: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> Tally:
    """The simulation itself, on a model already validated; returns the raw counts. Channels
    are tally rows in priority order."""
    rng = random.Random(seed)
    rand = rng.random
    log = math.log
    week = INTERVALS_PER_WEEK
    span = float(INTERVAL_SECONDS)
    chans = sorted(model.channels, key=lambda m: m.channel.priority)
    row_of = {m.channel: c for c, m in enumerate(chans)}
    tally = Tally(len(chans), len(model.groups))
    offered, abandoned, zero_waits = tally.offered, tally.abandoned, tally.zero_waits
    waited, waited_in_target, wait_total = tally.waited, tally.waited_in_target, tally.wait_total
    histograms = tally.histograms
    on_duty, busy, inappropriate = tally.on_duty, tally.busy, tally.inappropriate

    targets = [float(m.answer_within_seconds) for m in chans]
    patience: list[Sampler | None] = [
        sampler(m.patience, rng) if m.patience is not None else None for m in chans
    ]
    kind_edges = [tuple(accumulate(k.share for k in m.kinds))[:-1] for m in chans]
    draws = [[sampler(k.handling, rng) for k in m.kinds] for m in chans]
    wasted = [[k.inappropriate for k in m.kinds] for m in chans]
    totals = [sum(m.arrivals[i] for m in chans) for i in range(week)]
    channel_edges = [
        tuple(x / totals[i] for x in accumulate(m.arrivals[i] for m in chans))[:-1]
        if totals[i] > 0
        else ()
        for i in range(week)
    ]

    groups = model.groups
    ng = len(groups)
    skills = [sorted({row_of[s] for s in g.skills if s in row_of}) for g in groups]
    by_specialism = sorted(range(ng), key=lambda g: (len(skills[g]), g))
    takers = [[g for g in by_specialism if c in skills[g]] for c in range(len(chans))]
    rosters = [g.roster for g in groups]
    free = [0] * ng
    present = [0] * ng
    leaving = [0] * ng
    queues: list[deque[tuple[float, float, int]]] = [deque() for _ in chans]
    heap: list[tuple[float, int]] = []
    inf = math.inf
    stop = weeks * week

    for k in range(stop):
        i = k % week
        t0 = k * span
        t1 = t0 + span
        for g in range(ng):
            wanted = rosters[g][i]
            staffed = present[g] - leaving[g]
            if wanted > staffed:
                added = wanted - staffed
                stay = min(leaving[g], added)
                leaving[g] -= stay
                present[g] += added - stay
                for _ in range(added - stay):
                    heappush(heap, (t0, g))  # a new handler frees up at the half hour
            elif wanted < staffed:
                dropped = staffed - wanted
                gone = min(free[g], dropped)
                free[g] -= gone
                present[g] -= gone
                leaving[g] += dropped - gone
            on_duty[g * week + i] += present[g] * span

        rate_gap = span / totals[i] if totals[i] > 0 else 0.0
        edges = channel_edges[i]
        t = min(t1, t0 - rate_gap * log(1.0 - rand())) if rate_gap else t1
        while True:
            if heap and heap[0][0] <= t:
                s, g = heappop(heap)
                if leaving[g]:
                    leaving[g] -= 1
                    present[g] -= 1
                    on_duty[g * week + i] -= t1 - s
                    continue
                found = False
                for c in skills[g]:
                    queue = queues[c]
                    while queue:
                        arrived, deadline, at = queue.popleft()
                        if deadline > s:
                            found = True
                            break
                        abandoned[at] += 1
                    if found:
                        break
                if not found:
                    free[g] += 1
                    continue
                wait = s - arrived
                if wait > 0.0:
                    waited[at] += 1
                    wait_total[at] += wait
                    if wait <= targets[c]:
                        waited_in_target[at] += 1
                    histogram = histograms[at]
                    if histogram is None:
                        histogram = histograms[at] = [0] * BINS
                    histogram[
                        int(wait * FINE_PER_SECOND)
                        if wait < FINE_LIMIT
                        else min(LAST_BIN, FINE_BINS + int((wait - FINE_LIMIT) / COARSE_WIDTH))
                    ] += 1
                else:
                    zero_waits[at] += 1
            else:
                if t >= t1:
                    break
                c = bisect(edges, rand()) if edges else 0
                at = c * week + i
                offered[at] += 1
                s = t
                t -= rate_gap * log(1.0 - rand())
                if t > t1:  # no more arrivals this half hour: finish it, then the next
                    t = t1
                for g in takers[c]:
                    if free[g]:
                        free[g] -= 1
                        break
                else:
                    wait_for = patience[c]
                    queues[c].append((s, s + wait_for() if wait_for else inf, at))
                    continue
                zero_waits[at] += 1
            edges_k = kind_edges[c]
            kind = bisect(edges_k, rand()) if edges_k else 0
            d = draws[c][kind]()
            end = s + d
            heappush(heap, (end, g))
            gi = g * week + i
            if end <= t1:
                busy[gi] += d
                if wasted[c][kind]:
                    inappropriate[gi] += d
            else:
                _split(busy, g * week, k, s, end, stop)
                if wasted[c][kind]:
                    _split(inappropriate, g * week, k, s, end, stop)
        if progress is not None and i == week - 1:
            progress(k // week + 1)

    horizon = stop * span
    for queue in queues:
        for _arrived, deadline, at in queue:
            if deadline <= horizon:
                abandoned[at] += 1
            else:
                tally.waiting_at_end[at] += 1
    return tally
