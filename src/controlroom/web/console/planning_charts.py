"""The planning page's plots: a week by the hour, the baseline and the scenario as two lines
(solid and dashed, so they read without colour), as server-rendered SVG in the style of
:mod:`controlroom.web.console.charts`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from controlroom.domain.planning.week import DAYS
from controlroom.web.console.charts import (
    BOTTOM,
    HEIGHT,
    LABEL_DROP,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    frame,
    y_ticks,
)

BASELINE_COLOUR, SCENARIO_COLOUR = "#79c0ff", "#ffa657"


@dataclass(frozen=True)
class Series:
    """One line: a value per hour of the week (None: a gap)."""

    label: str
    values: Sequence[float | None]
    colour: str
    dashed: bool = False


def _line(series: Series, top: float, scale: float) -> list[str]:
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP
    step = inner_w / max(len(series.values), 1)
    body: list[str] = []
    points: list[str] = []
    dash = ' stroke-dasharray="6 3"' if series.dashed else ""
    for index, value in enumerate(series.values):
        if value is None:
            if len(points) > 1:
                body.append(_polyline(points, series.colour, dash))
            points = []
            continue
        x = LEFT + index * step + step / 2
        y = HEIGHT - BOTTOM - inner_h * min(value * scale, top) / top
        points.append(f"{x:.1f},{y:.1f}")
    if len(points) > 1:
        body.append(_polyline(points, series.colour, dash))
    return body


def _polyline(points: list[str], colour: str, dash: str) -> str:
    return (
        f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
        f'stroke-width="2"{dash}/>'
    )


def _days(count: int) -> list[str]:
    inner_w = WIDTH - LEFT - RIGHT
    step = inner_w / max(count, 1)
    out = []
    for day in range(7):
        x = LEFT + day * 24 * step + 12 * step
        out.append(
            f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + LABEL_DROP}" text-anchor="middle">'
            f"{DAYS[day]}</text>"
        )
        if day:
            edge = LEFT + day * 24 * step
            out.append(
                f'<line x1="{edge:.1f}" y1="{TOP}" x2="{edge:.1f}" y2="{HEIGHT - BOTTOM}" '
                'stroke="#30363d"/>'
            )
    return out


def week_lines(
    series: Sequence[Series], title: str, *, percent: bool = False, target: float | None = None
) -> Markup:
    """Lines over the 168 hours of the week; ``percent`` plots shares as 0-100%, with
    ``target`` (a share) as a dotted line."""
    scale = 100.0 if percent else 1.0
    highest = max((v for s in series for v in s.values if v is not None), default=0.0)
    top = 100.0 if percent else float(max(4, -(-int(highest * 1.1) // 4) * 4))
    body = y_ticks(top, "{:.0f}%" if percent else "{:.0f}")
    body += _days(len(series[0].values) if series else 168)
    for item in series:
        body += _line(item, top, scale)
    if target is not None:
        inner_h = HEIGHT - BOTTOM - TOP
        y = HEIGHT - BOTTOM - inner_h * target * scale / top
        body.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ffd33d" '
            f'stroke-dasharray="2 3"/><text x="{WIDTH - RIGHT}" y="{y - 4:.1f}" '
            f'text-anchor="end" style="fill:#ffd33d">{escape(f"standard {target:.0%}")}</text>'
        )
    return frame(body, title)
