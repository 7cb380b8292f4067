"""``POST /api/planning/run``: a scenario beside the baseline for supervisors, on the demo
model or the records; bad periods and scenarios are 400s naming the field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.domain.policy import Policy
from tests.planning_support import store_call
from tests.web.conftest import bearer

SCENARIO: dict[str, Any] = {
    "format": "controlroom.scenario/1",
    "name": "deflect",
    "changes": [{"type": "move", "percent": 30, "to": "101"}],
}


@pytest.fixture
def post(app: FastAPI, token_for: Callable[[str], str]) -> Callable[..., Any]:
    client = TestClient(app, raise_server_exceptions=False)
    token = token_for("supervisor")

    def send(body: dict[str, Any], role_token: str | None = None) -> Any:
        headers = bearer(role_token or token)
        return client.post("/api/planning/run", json=body, headers=headers)

    return send


def test_a_scenario_beside_the_baseline(post: Callable[..., Any]) -> None:
    answer = post({"source": "demo", "scenario": SCENARIO, "weeks": 1, "seed": 3})
    assert answer.status_code == 200, answer.text
    baseline, scenario = answer.json()["runs"]
    assert (baseline["run"], scenario["run"]) == ("baseline", "scenario")
    assert scenario["notes"][-1] == "scenario deflect: move 30% of inappropriate 999 to 101"
    before = baseline["summary"]["inappropriate_handler_hours_per_week"]
    after = scenario["summary"]["inappropriate_handler_hours_per_week"]
    assert after < before
    offered = {c["channel"]: c["offered"] for c in scenario["summary"]["channels"]}
    base = {c["channel"]: c["offered"] for c in baseline["summary"]["channels"]}
    assert offered["999"] < base["999"] and offered["101"] > base["101"]
    assert len(baseline["hourly"]["service_level_999"]) == 168
    assert len(scenario["hourly"]["handlers_needed"]) == 168


def test_the_records_of_a_period(app: FastAPI, post: Callable[..., Any], policy: Policy) -> None:
    at = datetime.now(UTC) - timedelta(days=2)
    factory = app.state.uow_factory
    store_call(factory, policy, at, kind="inappropriate", handling=200)
    store_call(factory, policy, at + timedelta(minutes=5), kind="emergency", handling=400)
    answer = post({"source": "records", "weeks": 1})
    assert answer.status_code == 200, answer.text
    (baseline,) = answer.json()["runs"]
    assert (
        baseline["source"].startswith("records ")
        and "(2 contacts, 4.0 weeks)" in baseline["source"]
    )
    assert "roster: the staffing calculator's handlers for each channel" in baseline["notes"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weeks": 40}, "weeks"),
        ({"source": "records", "from": "2026-11-10", "to": "2026-11-01"}, "to"),
        ({"source": "records", "from": "1999-12-01", "to": "2000-01-01"}, "from"),
        ({"source": "records", "from": "2025-01-01", "to": "2026-11-01"}, "to"),
        (
            {"scenario": {"format": "controlroom.scenario/1", "changes": [{"type": "fly"}]}},
            "changes[0].type",
        ),
        ({"scenario": SCENARIO | {"format": "v2"}}, "format"),
    ],
)
def test_bad_bodies_are_400s_naming_the_field(
    post: Callable[..., Any], body: dict[str, Any], field: str
) -> None:
    answer = post(body)
    assert answer.status_code in (400, 422), answer.text
    error = answer.json()["error"]
    assert field in (error.get("field") or "") + error["message"]


def test_only_supervisors_run_plans(
    post: Callable[..., Any], token_for: Callable[[str], str]
) -> None:
    assert post({}, token_for("call_handler")).status_code == 403
    assert post({}, token_for("admin")).status_code == 403
