"""What a simulation of the room reports: per channel and half hour of the week (summed over
the weeks simulated) and per handler group, with the derived figures people read."""

from __future__ import annotations

from dataclasses import dataclass

from controlroom.domain.planning.model import Channel


@dataclass(frozen=True)
class ChannelInterval:
    """One channel in one half hour of the week, summed over every simulated week.

    ``wait_p90_seconds`` is the 90th percentile of the waits of answered contacts.
    """

    channel: Channel
    interval: int
    offered: int
    answered: int
    abandoned: int
    answered_in_target: int
    wait_seconds_total: float
    wait_p90_seconds: float

    @property
    def service_level(self) -> float | None:
        """Share of offered contacts answered within the channel's standard (abandoned ones
        count against it); ``None`` when nothing was offered."""
        return self.answered_in_target / self.offered if self.offered else None

    @property
    def mean_wait_seconds(self) -> float | None:
        return self.wait_seconds_total / self.answered if self.answered else None


@dataclass(frozen=True)
class GroupInterval:
    """One handler group in one half hour of the week, summed over every simulated week."""

    group: str
    interval: int
    on_duty_seconds: float
    busy_seconds: float
    inappropriate_seconds: float

    @property
    def occupancy(self) -> float | None:
        return self.busy_seconds / self.on_duty_seconds if self.on_duty_seconds else None


@dataclass(frozen=True)
class SimulationResult:
    """``weeks`` simulated with ``seed``; the same model, weeks and seed give the same result."""

    weeks: int
    seed: int
    channels: tuple[ChannelInterval, ...]
    groups: tuple[GroupInterval, ...]
    #: Each channel's 90th percentile answer time over the whole run (from all its answers).
    run_p90_seconds: tuple[tuple[Channel, float], ...] = ()

    def run_p90(self, channel: Channel) -> float | None:
        """The channel's 90th percentile answer time over the whole run, when recorded."""
        return dict(self.run_p90_seconds).get(channel)

    def for_channel(self, channel: Channel) -> tuple[ChannelInterval, ...]:
        return tuple(row for row in self.channels if row.channel is channel)

    def for_group(self, group: str) -> tuple[GroupInterval, ...]:
        return tuple(row for row in self.groups if row.group == group)

    @property
    def inappropriate_handler_hours(self) -> float:
        """Handler-hours spent on inappropriate 999 contacts over the whole run."""
        return sum(row.inappropriate_seconds for row in self.groups) / 3600.0
