"""The planning page: supervisors only, a scenario beside the baseline with plots and tables,
downloads, and bad input answered on the page (never a 500)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.domain.policy import Policy
from controlroom.domain.triage import Channel
from tests.planning_support import store_call
from tests.web.console_support import add_users, sign_in

RUN = (
    "/console/planning?run=1&source=demo&weeks=1&move_percent=30&move_to=101"
    "&add_handlers=2&add_from=18:00&add_to=02:00&add_days=fri&add_days=sat"
    "&surge_percent=0&surge_from=18:00&surge_to=04:00"
)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "sam")
        yield client


def figures(page: str) -> dict[str, tuple[str, ...]]:
    table = page.split('id="plan-figures"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th>((?:<td>[^<]*</td>)+)', table)
    return {label: tuple(re.findall(r"<td>([^<]*)</td>", cells)) for label, cells in rows}


def test_the_form_comes_first_with_a_scenario_worth_trying(browser: TestClient) -> None:
    page = browser.get("/console/planning")
    assert page.status_code == 200
    assert 'name="move_percent"' in page.text and 'value="30"' in page.text
    assert 'id="plan-results"' not in page.text
    assert 'href="/console/planning" aria-current="page"' in page.text


def test_a_scenario_runs_beside_the_baseline(browser: TestClient) -> None:
    page = browser.get(RUN)
    assert page.status_code == 200, page.text
    found = figures(page.text)
    before, after = found["handler-hours on inappropriate calls a week"]
    assert float(after) < float(before)  # 30% of them went to 101
    hours_before, hours_after = found["handler-hours on duty a week"]
    assert int(hours_after) - int(hours_before) == 2 * 8 * 2  # two handlers, 8 h, 2 nights
    assert page.text.count("<svg") == 4
    assert "scenario (dashed)" in page.text
    assert "move 30% of inappropriate 999 to 101" in page.text


def test_the_downloads_hold_both_runs(browser: TestClient) -> None:
    query = RUN.split("?", 1)[1]
    rows = list(csv.DictReader(io.StringIO(browser.get(f"/console/planning.csv?{query}").text)))
    assert {row["run"] for row in rows} == {"baseline", "scenario"}
    assert len(rows) == 2 * 3 * 336
    data = json.loads(browser.get(f"/console/planning.json?{query}").text)
    assert [run["run"] for run in data["runs"]] == ["baseline", "scenario"]
    assert data["runs"][1]["model"]["format"] == "controlroom.room-model/1"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("weeks=40", "Weeks: &#39;40&#39; is not a whole number from 1 to 4"),
        ("add_from=18:15", "Add handlers: from: &#39;18:15&#39; is not a time on the half hour"),
        ("move_percent=130", "Move: percent: must be between 0 and 1"),
        ("move_percent=lots", "Move: percent: &#39;lots&#39; is not a number"),
        ("source=records&from=2026-13-01", "from &#39;2026-13-01&#39; is not a date"),
        ("source=records&from=2026-11-01&to=2026-11-03", "at least 7 days of records"),
    ],
)
def test_bad_input_is_named_on_the_page(browser: TestClient, query: str, message: str) -> None:
    page = browser.get(f"{RUN}&{query}")
    assert page.status_code == 400
    assert message in page.text
    assert 'id="plan-results"' not in page.text


def test_only_supervisors_plan(app: FastAPI) -> None:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "hana")
        assert client.get("/console/planning").status_code == 403
        assert client.get("/console/planning.csv").status_code == 403


def test_the_records_of_the_last_four_weeks(
    browser: TestClient, app: FastAPI, policy: Policy
) -> None:
    at = datetime.now(UTC) - timedelta(days=3)
    factory = app.state.uow_factory
    store_call(factory, policy, at, kind="inappropriate", handling=200)
    store_call(factory, policy, at + timedelta(minutes=5), kind="emergency", handling=400)
    store_call(factory, policy, at + timedelta(minutes=9), channel=Channel.ONE_ZERO_ONE)
    page = browser.get(RUN.replace("source=demo", "source=records"))
    assert page.status_code == 200, page.text
    held = page.text.split('id="plan-records"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r"<td>(\d+)</td>", held) == [
        "2",
        "0",
        "1",
        "1",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
        "0",
    ]
    assert "(3 contacts, 4.0 weeks)" in page.text
    kinds = page.text.split('id="plan-kinds"', 1)[1].split("</table>", 1)[0]
    assert "<td>inappropriate advised</td><td>50.0%</td><td>1</td><td>200 s</td>" in kinds
    assert "roster: the staffing calculator&#39;s handlers for each channel" in page.text
