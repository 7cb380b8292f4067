"""What the simulation counts while it runs, in flat lists indexed ``channel * 336 + interval``
(and ``group * 336 + interval``), and how those counts become a :class:`SimulationResult`.

Answer times go into a fixed-bin histogram per channel and interval (half-second bins up to five
minutes, then 30-second bins up to three hours), so memory does not grow with the contacts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from controlroom.domain.planning.model import INTERVALS_PER_WEEK, Channel
from controlroom.domain.planning.results import ChannelInterval, GroupInterval, SimulationResult

FINE_LIMIT = 300.0
FINE_PER_SECOND = 2.0
COARSE_WIDTH = 30.0
FINE_BINS = int(FINE_LIMIT * FINE_PER_SECOND)
BINS = FINE_BINS + int(3 * 3600 / COARSE_WIDTH) + 1
LAST_BIN = BINS - 1


def bin_middle(index: int) -> float:
    """Bin ``index`` holds waits from ``index / 2`` seconds (under five minutes) or from
    ``300 + (index - 600) * 30`` seconds, the last one everything from three hours. The answer
    time a bin stands for: its middle (the lower edge of the last, open, bin)."""
    if index < FINE_BINS:
        return (index + 0.5) / FINE_PER_SECOND
    if index == BINS - 1:
        return FINE_LIMIT + (index - FINE_BINS) * COARSE_WIDTH
    return FINE_LIMIT + (index - FINE_BINS + 0.5) * COARSE_WIDTH


class Tally:
    """Counts for ``channels`` channels and ``groups`` handler groups over a week of intervals."""

    def __init__(self, channels: int, groups: int) -> None:
        size = channels * INTERVALS_PER_WEEK
        self.offered = [0] * size
        self.abandoned = [0] * size
        self.waiting_at_end = [0] * size
        #: answered at once (always within any standard)
        self.zero_waits = [0] * size
        #: answered after waiting, within the standard, and their total wait
        self.waited = [0] * size
        self.waited_in_target = [0] * size
        self.wait_total = [0.0] * size
        self.histograms: list[list[int] | None] = [None] * size
        gsize = groups * INTERVALS_PER_WEEK
        self.on_duty = [0.0] * gsize
        self.busy = [0.0] * gsize
        self.inappropriate = [0.0] * gsize

    @property
    def answered(self) -> list[int]:
        return [a + b for a, b in zip(self.zero_waits, self.waited, strict=True)]

    @property
    def in_target(self) -> list[int]:
        return [a + b for a, b in zip(self.zero_waits, self.waited_in_target, strict=True)]

    def wait_p90(self, index: int) -> float:
        """The 90th percentile answer time of channel-interval ``index`` (0 when none answered)."""
        return _p90(self.zero_waits[index], self.waited[index], self.histograms[index])

    def run_p90(self, row: int) -> float:
        """The 90th percentile answer time of tally row ``row`` over every interval."""
        week = INTERVALS_PER_WEEK
        span = range(row * week, (row + 1) * week)
        merged = [0] * BINS
        for at in span:
            histogram = self.histograms[at]
            if histogram is not None:
                merged = [a + b for a, b in zip(merged, histogram, strict=True)]
        zero = sum(self.zero_waits[at] for at in span)
        return _p90(zero, sum(self.waited[at] for at in span), merged)

    def result(
        self,
        channels: Sequence[Channel],
        groups: Sequence[str],
        *,
        order: Sequence[int],
        weeks: int,
        seed: int,
    ) -> SimulationResult:
        """The result, channels listed as given (``order[n]`` is the tally row of channel n)."""
        week = INTERVALS_PER_WEEK
        answered, in_target = self.answered, self.in_target
        rows = []
        for channel, row in zip(channels, order, strict=True):
            for interval in range(week):
                at = row * week + interval
                rows.append(
                    ChannelInterval(
                        channel=channel,
                        interval=interval,
                        offered=self.offered[at],
                        answered=answered[at],
                        abandoned=self.abandoned[at],
                        answered_in_target=in_target[at],
                        wait_seconds_total=self.wait_total[at],
                        wait_p90_seconds=self.wait_p90(at),
                    )
                )
        group_rows = [
            GroupInterval(
                group=name,
                interval=interval,
                on_duty_seconds=self.on_duty[g * week + interval],
                busy_seconds=self.busy[g * week + interval],
                inappropriate_seconds=self.inappropriate[g * week + interval],
            )
            for g, name in enumerate(groups)
            for interval in range(week)
        ]
        return SimulationResult(
            weeks=weeks,
            seed=seed,
            channels=tuple(rows),
            groups=tuple(group_rows),
            run_p90_seconds=tuple(
                (channel, self.run_p90(row)) for channel, row in zip(channels, order, strict=True)
            ),
        )


def _p90(zero_waits: int, waited: int, histogram: list[int] | None) -> float:
    """The 90th percentile of ``zero_waits`` answers at once and ``waited`` others binned in
    ``histogram`` (0 when none were answered)."""
    answered = zero_waits + waited
    if not answered:
        return 0.0
    rank = math.ceil(0.9 * answered)
    seen = zero_waits
    if seen >= rank or histogram is None:
        return 0.0
    for bin_index, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return bin_middle(bin_index)
    return bin_middle(BINS - 1)
