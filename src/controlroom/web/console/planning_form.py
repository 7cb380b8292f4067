"""The planning page's form, read the same way by the page, its downloads and the API: where
the model comes from (the demo, or a period of records: the last four weeks by default), a
scenario (a share of inappropriate 999 calls moved, handlers added in a window, a surge) and
how many weeks to simulate (at most :data:`PAGE_MAX_WEEKS`, to keep a page quick)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from controlroom.domain.errors import InvalidInput
from controlroom.domain.planning.scenario import Scenario
from controlroom.domain.planning.scenario_data import SCENARIO_FORMAT, scenario_from_data
from controlroom.domain.planning.week import DAYS
from controlroom.web.figures_period import Period, parse_period

#: The most weeks the page simulates (each run; the baseline and the scenario make two).
PAGE_MAX_WEEKS = 4
PAGE_WEEKS = 2
#: The records period by default: the last four weeks, today included.
DEFAULT_DAYS = 28
#: The form's fields and their defaults (a scenario worth trying on the demo model).
DEFAULTS: dict[str, str] = {
    "source": "demo",
    "move_percent": "30",
    "move_to": "101",
    "add_handlers": "2",
    "add_from": "18:00",
    "add_to": "02:00",
    "surge_percent": "20",
    "surge_from": "18:00",
    "surge_to": "04:00",
    "weeks": str(PAGE_WEEKS),
    "seed": "0",
}
DEFAULT_DAYS_OF = {"add_days": ("fri", "sat"), "surge_days": ("sat",)}
_SECTIONS = {"move": "Move", "add_handlers": "Add handlers", "surge": "Surge"}
_CHANGE_FIELD = re.compile(r"changes\[(\d+)\]\.(.+)")


@dataclass(frozen=True)
class PlanForm:
    """What the form asks for, checked."""

    values: Mapping[str, str]
    days: Mapping[str, tuple[str, ...]]
    source: str
    period: Period | None
    scenario: Scenario | None
    weeks: int
    seed: int

    def query(self) -> str:
        """The form as a query string (for the downloads)."""
        pairs: list[tuple[str, str]] = [(k, v) for k, v in self.values.items() if v != ""]
        pairs += [(key, day) for key, days in self.days.items() for day in days]
        return urlencode([*pairs, ("run", "1")])


def _number(values: Mapping[str, str], key: str, label: str) -> float:
    text = values.get(key, "").strip() or "0"
    try:
        return float(text)
    except ValueError:
        raise InvalidInput(f"{label}: {text!r} is not a number", field=key) from None


def _whole(values: Mapping[str, str], key: str, label: str, low: int, high: int) -> int:
    text = values.get(key, "").strip()
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise InvalidInput(
            f"{label}: {text!r} is not a whole number from {low} to {high}", field=key
        )
    return int(text)


def _changes(values: Mapping[str, str], days: Mapping[str, tuple[str, ...]]) -> list[Any]:
    changes: list[dict[str, Any]] = []
    move = _number(values, "move_percent", "Move: percent")
    if move:
        changes.append({"type": "move", "percent": move, "to": values.get("move_to", "101")})
    added = _number(values, "add_handlers", "Add handlers: handlers")
    if added:
        if not added.is_integer():
            raise InvalidInput(
                "Add handlers: give a whole number of handlers", field="add_handlers"
            )
        changes.append(
            {
                "type": "add_handlers",
                "handlers": int(added),
                "days": list(days["add_days"]),
                "from": values.get("add_from", ""),
                "to": values.get("add_to", ""),
            }
        )
    surge = _number(values, "surge_percent", "Surge: percent")
    if surge:
        changes.append(
            {
                "type": "surge",
                "percent": surge,
                "days": list(days["surge_days"]),
                "from": values.get("surge_from", ""),
                "to": values.get("surge_to", ""),
            }
        )
    return changes


def _scenario(values: Mapping[str, str], days: Mapping[str, tuple[str, ...]]) -> Scenario | None:
    changes = _changes(values, days)
    if not changes:
        return None
    for key, label in (("add_days", "Add handlers"), ("surge_days", "Surge")):
        kind = "add_handlers" if key == "add_days" else "surge"
        if not days[key] and any(change["type"] == kind for change in changes):
            raise InvalidInput(f"{label}: choose at least one day", field=key)
    raw = {"format": SCENARIO_FORMAT, "name": "the page's scenario", "changes": changes}
    try:
        return scenario_from_data(raw)
    except InvalidInput as exc:
        # "changes[1].from: ..." becomes "Add handlers: from: ...", in the form's words
        found = _CHANGE_FIELD.match(exc.field or "")
        if found is None:
            raise
        section = _SECTIONS[changes[int(found.group(1))]["type"]]
        message = exc.message.split(": ", 1)[-1]
        raise InvalidInput(
            f"{section}: {found.group(2)}: {message}", field=exc.field, hint=exc.hint
        ) from None


def read_plan_form(
    params: Mapping[str, str], day_lists: Mapping[str, list[str]], zone: ZoneInfo
) -> PlanForm:
    """The form from query parameters (``day_lists``: the checked days of each day field)."""
    values = {key: params.get(key, default) for key, default in DEFAULTS.items()}
    today = datetime.now(zone).date()
    values["from"] = params.get("from") or (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat()
    values["to"] = params.get("to") or today.isoformat()
    asked = "source" in params  # a submitted form always says; a bare link takes the defaults
    days = {
        key: tuple(day for day in DAYS if day in day_lists.get(key, [])) if asked else default
        for key, default in DEFAULT_DAYS_OF.items()
    }
    source = values["source"]
    if source not in ("demo", "records"):
        raise InvalidInput(f"Model: {source!r} is not demo or records", field="source")
    period = parse_period(values["from"], values["to"], None, zone) if source == "records" else None
    return PlanForm(
        values=values,
        days=days,
        source=source,
        period=period,
        scenario=_scenario(values, days),
        weeks=_whole(values, "weeks", "Weeks", 1, PAGE_MAX_WEEKS),
        seed=_whole(values, "seed", "Seed", 0, 2**31 - 1),
    )
