"""The supervisor's plots as server-rendered SVG: no script, no library, readable without
colour (every series is also named in a legend and in the figures' tables). Labels are
escaped. The margins hold labels of 15 SVG units (console.css), which a chart at its narrowest
(36rem) still draws at 12px or more; hour labels thin out so that they never touch."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from controlroom.domain.room_figures import HourFigures

WIDTH, HEIGHT = 600, 232
LEFT, BOTTOM, TOP, RIGHT = 50, 34, 12, 12
#: Where an axis label stands from the axis.
LABEL_GAP, LABEL_DROP = 6, 27
#: Distinct colours that read on the dark background (and for colour-blind people, in order).
PALETTE = (
    "#79c0ff",
    "#ffa657",
    "#7ee787",
    "#ff7b72",
    "#d2a8ff",
    "#e3b341",
    "#56d4dd",
    "#f0f3f6",
    "#ff9bce",
)


def _frame(body: list[str], title: str) -> Markup:
    head = (
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    )
    axis = (
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#6e7681"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#6e7681"/>'
    )
    return Markup(head + axis + "".join(body) + "</svg>")


def nice_top(value: float) -> int:
    """``value`` rounded up so that four equal ticks are whole numbers."""
    return max(4, -(-int(value) // 4) * 4)


def _y_ticks(top: float, fmt: str = "{:.0f}") -> list[str]:
    out = []
    inner = HEIGHT - BOTTOM - TOP
    for i in range(5):
        value = top * i / 4
        y = HEIGHT - BOTTOM - inner * i / 4
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            'stroke="#30363d"/>'
            f'<text x="{LEFT - LABEL_GAP}" y="{y + 5:.1f}" text-anchor="end">'
            f"{fmt.format(value)}</text>"
        )
    return out


def answer_histogram(seconds: Sequence[float], *, target: float = 10, width: int = 2) -> Markup:
    """999 answer times in ``width``-second bins up to a minute (the last bin holds the rest),
    with the 10-second target as a vertical line."""
    bins = [0] * 31
    for value in seconds:
        bins[min(int(value // width), len(bins) - 1)] += 1
    top = nice_top(max(bins))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP
    step = inner_w / len(bins)
    body = _y_ticks(top)
    for i, count in enumerate(bins):
        h = inner_h * count / top
        x = LEFT + i * step
        late = i * width >= target
        colour = "#ff7b72" if late else "#7ee787"
        label = f"{i * width}-{(i + 1) * width} s" if i < len(bins) - 1 else "60 s or more"
        body.append(
            f'<rect x="{x + 1:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{step - 2:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{label}: {count}</title></rect>'
        )
        if i % 5 == 0:
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + LABEL_DROP}" text-anchor="middle">'
                f"{i * width}s</text>"
            )
    tx = LEFT + inner_w * (target / width) / len(bins)
    body.append(
        f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{HEIGHT - BOTTOM}" stroke="#ffd33d" '
        f'stroke-width="2" stroke-dasharray="6 3"/><text x="{tx + 4:.1f}" y="{TOP + 12}" '
        'style="fill:#ffd33d">10 s target</text>'
    )
    return _frame(body, "999 answer times against the 10-second target")


def stacked_hours(
    hours: Sequence[HourFigures], attribute: str, series: Sequence[str], title: str
) -> Markup:
    """Contacts per hour, stacked by channel (``by_channel``) or route (``by_route``)."""
    totals = [sum(getattr(h, attribute).values()) for h in hours]
    top = nice_top(max([*totals, 1]))
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP
    step = inner_w / max(len(hours), 1)
    body = _y_ticks(top)
    for i, hour in enumerate(hours):
        counts = getattr(hour, attribute)
        y = HEIGHT - BOTTOM
        x = LEFT + i * step
        for n, name in enumerate(series):
            count = counts.get(name, 0)
            if not count:
                continue
            h = inner_h * count / top
            y -= h
            body.append(
                f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{max(step - 2, 1):.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[n % len(PALETTE)]}">'
                f"<title>{hour.start:%H}:00 {escape(name)}: {count}</title></rect>"
            )
        if len(hours) <= 24 or i % max(len(hours) // 12, 1) == 0:
            body.append(
                f'<text x="{x + step / 2:.1f}" y="{HEIGHT - BOTTOM + LABEL_DROP}" '
                f'text-anchor="middle">{hour.start:%H}</text>'
            )
    return _frame(body, title)


def genuine_share_line(hours: Sequence[HourFigures]) -> Markup:
    """The share of each hour's 999 calls that were genuine emergencies (hours without 999
    calls are gaps)."""
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP
    step = inner_w / max(len(hours), 1)
    body = _y_ticks(100, "{:.0f}%")
    points: list[str] = []
    for i, hour in enumerate(hours):
        x = LEFT + i * step + step / 2
        if hour.calls_999:
            share = hour.genuine_999 / hour.calls_999
            y = HEIGHT - BOTTOM - inner_h * share
            points.append(f"{x:.1f},{y:.1f}")
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#ffa657"><title>'
                f"{hour.start:%H}:00: {hour.genuine_999} of {hour.calls_999}</title></circle>"
            )
        elif len(points) > 1:
            body.append(_polyline(points))
            points = []
        else:
            points = []
        if len(hours) <= 24 or i % max(len(hours) // 12, 1) == 0:
            body.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + LABEL_DROP}" text-anchor="middle">'
                f"{hour.start:%H}</text>"
            )
    if len(points) > 1:
        body.append(_polyline(points))
    y20 = HEIGHT - BOTTOM - inner_h * 0.2
    body.append(
        f'<line x1="{LEFT}" y1="{y20:.1f}" x2="{WIDTH - RIGHT}" y2="{y20:.1f}" stroke="#8b949e" '
        f'stroke-dasharray="4 4"/><text x="{WIDTH - RIGHT}" y="{y20 - 4:.1f}" '
        'text-anchor="end">1 in 5</text>'
    )
    return _frame(body, "Share of 999 calls that were genuine emergencies, by hour")


def _polyline(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="#ffa657" stroke-width="2"/>'


#: The frame and the y axis, for the other pages' plots (web/console/planning_charts.py).
frame = _frame
y_ticks = _y_ticks
