"""A room model from the force's own contacts over a period.

Channels: every route into 999 (voice, Silent Solution, landline open line, 999 BSL, Relay UK,
emergencySMS) is the **999** queue; 101 calls are **101**; online reports (Open311 requests
included, stored as online reports) and live chats are **digital**.

Per channel: arrivals are the contacts offered in each force-local half hour of the week,
divided by how many times that half hour occurs in the period (a mean per week). Kinds:
999 contacts are ``silent`` (Silent Solution, open line), ``relay`` (BSL, Relay UK,
emergencySMS), ``inappropriate_advised`` / ``_warned`` / ``_terminated`` (handed to the §4.12
procedure, by how far it went), ``emergency`` (a genuine emergency: an incident logged, an
emergency inferred, or triaged as one) or ``other_999``; 101 and digital contacts are their
triage route (``police_non_emergency``, ``other_agency``...) or ``no_triage``. A kind's share is
of the contacts not abandoned (an abandoned one never shows what it was). Handling time is
answered to ended; patience is estimated as :mod:`.fitting` says.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from controlroom.domain.contacts import ContactRecord, ProcedureName, State
from controlroom.domain.contacts.states import RELAY_CHANNELS, SILENT_CHANNELS
from controlroom.domain.errors import InvalidInput
from controlroom.domain.nuisance.from_contacts import call_summary
from controlroom.domain.planning.fitting import fitted_as, handling_from, patience_from
from controlroom.domain.planning.model import (
    INTERVAL_SECONDS,
    INTERVALS_PER_DAY,
    INTERVALS_PER_WEEK,
    Channel,
    ChannelModel,
    ContactKind,
    DistributionKind,
    Duration,
    RoomModel,
)
from controlroom.domain.room_figures import route_of
from controlroom.domain.time_range import check_days
from controlroom.domain.triage import Channel as ContactChannel

#: The shortest period a model is built from: every half hour of the week must occur.
MIN_DAYS = 7


def period_of(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants from the start of force-local day ``first`` to the end of ``last``."""
    check_days(first, last)
    if last < first:
        raise InvalidInput("the period ends before it starts", field="to")
    start = datetime.combine(first, time(), zone).astimezone(UTC)
    return start, datetime.combine(last + timedelta(days=1), time(), zone).astimezone(UTC)


def planning_channel(channel: ContactChannel) -> Channel:
    """The queue a contact channel joins."""
    if channel.is_emergency_line:
        return Channel.EMERGENCY
    if channel is ContactChannel.ONE_ZERO_ONE:
        return Channel.NON_EMERGENCY
    return Channel.DIGITAL


def _exp(mean: float) -> Duration:
    return Duration(DistributionKind.EXPONENTIAL, mean)


@dataclass(frozen=True)
class Standard:
    """A channel's answer standard: ``share`` answered within ``seconds``."""

    seconds: float
    share: float


@dataclass(frozen=True)
class RecordsOptions:
    """What the records cannot say, and is assumed (each can be changed; docs/planning.md).

    ``patience``: a channel's patience when fewer than five of its contacts were abandoned
    (None: nobody abandons). ``handling``: a kind's handling time when none of its contacts
    has both an answer and an end. ``standards``: each channel's answer standard."""

    patience: Mapping[Channel, Duration | None] = field(
        default_factory=lambda: {
            Channel.EMERGENCY: _exp(180.0),
            Channel.NON_EMERGENCY: _exp(300.0),
            Channel.DIGITAL: None,
        }
    )
    handling: Mapping[Channel, Duration] = field(
        default_factory=lambda: {
            Channel.EMERGENCY: _exp(240.0),
            Channel.NON_EMERGENCY: _exp(360.0),
            Channel.DIGITAL: _exp(600.0),
        }
    )
    standards: Mapping[Channel, Standard] = field(
        default_factory=lambda: {
            Channel.EMERGENCY: Standard(10.0, 0.9),
            Channel.NON_EMERGENCY: Standard(60.0, 0.8),
            Channel.DIGITAL: Standard(600.0, 0.8),
        }
    )


@dataclass(frozen=True)
class KindFigures:
    """One kind of contact as found in the records."""

    name: str
    contacts: int
    share: float
    samples: int
    handling: Duration
    fitted: str
    inappropriate: bool
    genuine_emergency: bool


@dataclass(frozen=True)
class ChannelFigures:
    """One channel as found in the records."""

    channel: Channel
    offered: int
    answered: int
    abandoned: int
    genuine_emergencies: int
    inappropriate: int
    kinds: tuple[KindFigures, ...]
    patience: Duration | None
    patience_from: str


@dataclass(frozen=True)
class RecordsModel:
    """The model (without handler groups: the records hold no roster) and what it rests on."""

    model: RoomModel
    start: datetime
    end: datetime
    weeks: float
    channels: tuple[ChannelFigures, ...]


@dataclass
class _Tally:
    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    genuine: int = 0
    inappropriate: int = 0
    arrivals: list[int] = field(default_factory=lambda: [0] * INTERVALS_PER_WEEK)
    kinds: Counter[str] = field(default_factory=Counter)
    samples: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    waits_answered: list[float] = field(default_factory=list)
    waits_abandoned: list[float] = field(default_factory=list)


def kind_of(record: ContactRecord) -> tuple[str, bool, bool]:
    """The kind of a contact: its name, whether it is an inappropriate 999 contact, and
    whether it was a genuine emergency."""
    genuine = call_summary(record).genuine_emergency
    if not record.channel.is_emergency_line:
        return route_of(record), False, genuine
    if record.channel in SILENT_CHANNELS:
        return "silent", False, genuine
    if record.channel in RELAY_CHANNELS:
        return "relay", False, genuine
    if any(entry.to_procedure is ProcedureName.INAPPROPRIATE for entry in record.history):
        if record.state is State.TERMINATED:
            return "inappropriate_terminated", True, False
        if record.warning is not None:
            return "inappropriate_warned", True, False
        return "inappropriate_advised", True, False
    return ("emergency", False, True) if genuine else ("other_999", False, False)


def interval_of(at: datetime, zone: ZoneInfo) -> int:
    """The force-local half hour of the week ``at`` falls in (Monday 00:00 is 0)."""
    local = at.astimezone(zone)
    return local.weekday() * INTERVALS_PER_DAY + local.hour * 2 + local.minute // 30


class RecordsBuilder:
    """Counts contacts one at a time (memory grows only with the samples kept), then builds
    the model. Contacts offered outside ``[start, end)`` are ignored."""

    def __init__(self, start: datetime, end: datetime, zone: ZoneInfo) -> None:
        if end - start < timedelta(days=MIN_DAYS):
            raise InvalidInput(
                f"a model needs at least {MIN_DAYS} days of records",
                field="to",
                hint="choose a period of a week or more (four weeks or more is better)",
            )
        self.start, self.end, self.zone = start, end, zone
        self.tallies = {channel: _Tally() for channel in Channel}
        self.counted = 0

    def add(self, record: ContactRecord) -> None:
        """Count one contact."""
        stamps = record.timestamps
        if not self.start <= stamps.offered < self.end:
            return
        self.counted += 1
        tally = self.tallies[planning_channel(record.channel)]
        tally.offered += 1
        tally.arrivals[interval_of(stamps.offered, self.zone)] += 1
        if record.state is State.ABANDONED:
            tally.abandoned += 1
            if stamps.ended is not None:
                tally.waits_abandoned.append((stamps.ended - stamps.offered).total_seconds())
            return
        name, inappropriate, genuine = kind_of(record)
        tally.kinds[name] += 1
        tally.genuine += int(genuine)
        tally.inappropriate += int(inappropriate)
        if stamps.answered is None:
            return
        tally.answered += 1
        tally.waits_answered.append((stamps.answered - stamps.offered).total_seconds())
        if stamps.ended is not None and stamps.ended >= stamps.answered:
            tally.samples[name].append((stamps.ended - stamps.answered).total_seconds())

    def occurrences(self) -> list[int]:
        """How many times each half hour of the week occurs in the period."""
        seen = [0] * INTERVALS_PER_WEEK
        at = self.start
        step = timedelta(seconds=INTERVAL_SECONDS)
        while at < self.end:
            seen[interval_of(at, self.zone)] += 1
            at += step
        return seen

    def build(self, options: RecordsOptions | None = None) -> RecordsModel:
        """The model of the contacts counted."""
        options = options or RecordsOptions()
        seen = self.occurrences()
        channels, figures = [], []
        for channel, tally in self.tallies.items():
            model, found = _channel(channel, tally, seen, options)
            channels.append(model)
            figures.append(found)
        weeks = (self.end - self.start) / timedelta(days=7)
        local = f"{self.start.astimezone(self.zone):%Y-%m-%d}"
        last = f"{(self.end - timedelta(seconds=1)).astimezone(self.zone):%Y-%m-%d}"
        source = f"records {local} to {last} ({self.counted} contacts, {weeks:.1f} weeks)"
        notes = tuple(f"{item.channel.value} patience: {item.patience_from}" for item in figures)
        room = RoomModel(channels=tuple(channels), groups=(), source=source, notes=notes)
        return RecordsModel(room, self.start, self.end, weeks, tuple(figures))


def _channel(
    channel: Channel, tally: _Tally, seen: list[int], options: RecordsOptions
) -> tuple[ChannelModel, ChannelFigures]:
    arrivals = tuple(
        round(count / times, 4) if times else 0.0
        for count, times in zip(tally.arrivals, seen, strict=True)
    )
    kept = sum(tally.kinds.values())
    default = options.handling[channel]
    kinds: list[KindFigures] = []
    for name, count in sorted(tally.kinds.items(), key=lambda item: (-item[1], item[0])):
        samples = tally.samples.get(name, [])
        fitted = handling_from(samples)
        inappropriate = name.startswith("inappropriate_")
        genuine = channel is Channel.EMERGENCY and name == "emergency"
        kinds.append(
            KindFigures(
                name,
                count,
                count / kept,
                len(samples),
                fitted or default,
                fitted_as(fitted, len(samples)),
                inappropriate,
                genuine,
            )
        )
    if not kinds:
        kinds.append(
            KindFigures("unknown", 0, 1.0, 0, default, "no contacts: default", False, False)
        )
    patience = patience_from(tally.waits_abandoned, tally.waits_answered)
    if patience is not None:
        said = f"exponential, estimated from {len(tally.waits_abandoned)} abandoned contacts"
    else:
        patience = options.patience.get(channel)
        assumed = "nobody abandons" if patience is None else f"mean {patience.mean:g} s"
        said = f"assumed ({assumed}): fewer than 5 abandoned contacts"
    standard = options.standards[channel]
    model = ChannelModel(
        channel=channel,
        arrivals=arrivals,
        kinds=tuple(
            ContactKind(k.name, k.share, k.handling, k.inappropriate, k.genuine_emergency)
            for k in kinds
        ),
        patience=patience,
        answer_within_seconds=standard.seconds,
        target_share=standard.share,
    )
    found = ChannelFigures(
        channel,
        tally.offered,
        tally.answered,
        tally.abandoned,
        tally.genuine,
        tally.inappropriate,
        tuple(kinds),
        patience,
        said,
    )
    return model, found
