"""Input from outside at its edges: every time bounded, texts bounded, strict types, and every
refusal a clear 4xx in the one error shape; what is accepted can always be read back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from controlroom.adapters.db.records_json import record_to_json
from controlroom.adapters.db.tables import contacts
from tests.web.conftest import bearer
from tests.web.console_support import add_users, sign_in

EVENTS = "/api/telephony/events"
NUMBER = "+447700900123"
RANGE = "from 2000-01-01T00:00:00Z up to (not including) 2100-01-01T00:00:00Z"
CALENDAR_ENDS = [
    "0001-01-01T00:00:00+23:59",
    "0001-01-01T00:00:00Z",
    "0999-06-01T12:00:00Z",
    "0378-03-04T05:06:07Z",
    "9999-12-31T23:59:59-23:59",
    "9999-12-31T23:59:59.999999Z",
    "1999-12-31T23:59:59.999999Z",
    "2100-01-01T00:00:00Z",
]


def event(kind: str = "call.offered", **change: Any) -> dict[str, Any]:
    """A telephony event of ``kind`` with a fresh id, a minute ago."""
    at = datetime.now(UTC) - timedelta(seconds=60)
    body: dict[str, Any] = {
        "id": f"ev-{uuid.uuid4().hex}",
        "type": kind,
        "occurred_at": at.isoformat(),
        "call_id": "PBX-1",
        "channel": "999",
        "caller": {"number": NUMBER},
    }
    extra = {"call.answered": {"agent": "call-handler"}, "call.dtmf": {"digits": "55"}}
    return body | extra.get(kind, {}) | change


def assert_error(response: Any, status: int | tuple[int, ...], *words: str) -> dict[str, Any]:
    """``response`` is a refusal with ``status`` in the one error shape, naming ``words``."""
    statuses = status if isinstance(status, tuple) else (status,)
    assert response.status_code in statuses, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] and error["message"], error
    for word in words:
        assert word in json.dumps(error), (word, error)
    return dict(error)


@pytest.fixture
def browser(app: FastAPI) -> Iterator[TestClient]:
    """A supervisor signed in to the console (who may see every page)."""
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as signed_in:
        sign_in(signed_in, "sam")
        yield signed_in


def read_everything(client: TestClient, browser: TestClient) -> dict[str, str]:
    """Every list and page that shows contacts answers 200; their bodies."""
    pages = {}
    for path in ("/api/contacts", "/api/contacts?limit=200"):
        answer = client.get(path)
        assert answer.status_code == 200, (path, answer.text)
        pages[path] = answer.text
    for path in ("/console/handler", "/console/queue", "/console/supervisor"):
        answer = browser.get(path)
        assert answer.status_code == 200, (path, answer.text[:500])
        pages[path] = answer.text
    return pages


# -- times --------------------------------------------------------------------------------


@pytest.mark.parametrize("moment", CALENDAR_ENDS)
def test_an_event_time_outside_the_range_is_refused_and_nothing_is_stored(
    moment: str, telephony: TestClient, client: TestClient, browser: TestClient
) -> None:
    answer = telephony.post(EVENTS, json=event(occurred_at=moment))
    assert_error(answer, 422, "occurred_at", RANGE)
    assert client.get("/api/contacts").json()["total"] == 0
    read_everything(client, browser)


@pytest.mark.parametrize("moment", CALENDAR_ENDS)
@pytest.mark.parametrize("name", ["offered_from", "offered_to"])
def test_list_filters_outside_the_range_are_refused(
    moment: str, name: str, client: TestClient
) -> None:
    assert_error(client.get("/api/contacts", params={name: moment}), 422, name, RANGE)


@pytest.mark.parametrize("moment", CALENDAR_ENDS)
def test_open311_searches_outside_the_range_are_refused(moment: str, anonymous: TestClient) -> None:
    answer = anonymous.get("/open311/v2/requests.json", params={"start_date": moment})
    assert answer.status_code == 400, answer.text
    assert "start_date" in answer.json()[0]["description"]


def test_the_extremes_accepted_are_stored_and_read_back(
    telephony: TestClient, client: TestClient, browser: TestClient
) -> None:
    earliest = "2000-01-01T23:59:00+23:59"  # 2000-01-01T00:00:00Z exactly
    calls = [
        event(
            occurred_at=earliest, call_id="PBX-old", caller={"number": NUMBER, "name": "n" * 200}
        ),
        event(
            call_id="PBX-long",
            caller={"number": "+447700900124", "name": "é" * 200, "address": "a" * 500},
        ),
        {  # an emergencySMS of the longest text
            "id": "ev-sms",
            "type": "sms.received",
            "occurred_at": datetime.now(UTC).isoformat(),
            "from": "+447700900125",
            "channel": "emergency_sms",
            "text": "t" * 10_000,
        },
    ]
    for body in calls:
        answer = telephony.post(EVENTS, json=body)
        assert answer.status_code in (200, 201, 202), answer.text
    ended = event(
        "call.ended", call_id="PBX-long", caller={"number": "+447700900124"}, reason="r" * 200
    )
    assert telephony.post(EVENTS, json=ended).status_code == 200
    made = client.post(
        "/api/contacts",
        json={
            "channel": "online_report",
            "caller": {"name": "x" * 200, "number": "+447700900126"},
            "narrative": "Someone scratched my car. " + "z" * 9_000,
        },
    )
    assert made.status_code == 201, made.text
    contact = made.json()["id"]
    actions = [
        {"action": "answer"},
        {"action": "add_note", "text": "n" * 10_000},
        {"action": "update_caller", "name": "ü" * 200, "age_band": "older_person"},
        {"action": "update_narrative", "text": "My bike was stolen last week. " + "w" * 131_000},
        {
            "action": "add_location",
            "lat": -90,
            "lon": 180,
            "accuracy_m": 100_000,
            "text": "t" * 1000,
        },
        {"action": "add_location", "lat": 90.0, "lon": -180.0, "accuracy_m": 0},
        {"action": "flag_vulnerability", "flag": "older_person", "note": "v" * 10_000},
        {"action": "assess", "grade": "scheduled", "reason": "g" * 2_000},
        {"action": "advise", "to": "online"},
        {"action": "close", "reason": "r" * 2_000},
    ]
    for action in actions:
        answer = client.post(f"/api/contacts/{contact}/actions", json=action)
        assert answer.status_code == 200, (action["action"], answer.text[:300])
    case = client.post("/api/nuisance/cases", json={"number": NUMBER, "reason": "c" * 2_000})
    assert case.status_code == 201, case.text[:300]
    pages = read_everything(client, browser)
    assert browser.get(f"/console/handler/{contact}").status_code == 200
    listed = client.get("/api/contacts?limit=200").json()
    assert listed["total"] == 4
    oldest = min(item["offered_at"] for item in listed["items"])
    assert oldest.startswith("2000-01-01T00:00:00")
    assert "n" * 200 in pages["/console/handler"]
    for item in listed["items"]:
        assert item["damaged"] is None
        assert client.get(f"/api/contacts/{item['id']}").status_code == 200
    window = {"offered_from": "2000-01-01T00:00:00Z", "offered_to": "2099-12-31T23:59:59Z"}
    assert client.get("/api/contacts", params=window).json()["total"] == 4


# -- caller addresses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["call.offered", "call.answered", "call.dtmf", "call.ended", "call.reconnected"]
)
@pytest.mark.parametrize("address", ["", "   "])
def test_an_empty_caller_address_means_no_address(
    kind: str, address: str, app: FastAPI, telephony: TestClient, token_for: Callable[[str], str]
) -> None:
    token_for("call_handler")  # the agent named in call.answered
    caller = {"number": "+441632960123", "landline": True, "address": address}
    offered = telephony.post(EVENTS, json=event(caller=caller, channel="999"))
    assert offered.status_code == 201, offered.text
    if kind == "call.reconnected":
        ended = telephony.post(EVENTS, json=event("call.ended", caller=caller))
        assert ended.status_code == 200, ended.text
    answer = telephony.post(EVENTS, json=event(kind, caller=caller))
    assert answer.status_code in (200, 201), answer.text
    contact = offered.json()["contact_id"]
    with app.state.uow_factory(read_only=True) as uow:
        found = uow.contacts.get(contact)
        assert found is not None and found.record.location == ()


# -- texts and types ------------------------------------------------------------------------


def test_a_huge_caller_name_is_refused_with_the_limit(client: TestClient) -> None:
    body = {"channel": "101", "caller": {"name": "x" * 100_000}, "narrative": "noise"}
    assert_error(client.post("/api/contacts", json=body), 422, "caller.name", "200")
    assert client.get("/api/contacts").json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/contacts",
            '{"channel": "101", "caller": {"name": "\\udc00"}, "narrative": "x"}',
            "caller.name",
        ),
        ("/api/contacts", '{"channel": "101", "caller": {}, "narrative": "a\\ud800"}', "narrative"),
        (EVENTS, None, "name"),
    ],
)
def test_a_lone_surrogate_is_refused(
    path: str, body: str | None, field: str, client: TestClient, telephony: TestClient
) -> None:
    sender = client
    if body is None:  # the telephony fast path reads JSON with json.loads, which allows them
        sender = telephony
        body = json.dumps(event(caller={"number": NUMBER, "name": "\udc00"}))
    answer = sender.post(path, content=body, headers={"content-type": "application/json"})
    assert_error(answer, (400, 422), field)
    assert client.get("/api/contacts").json()["total"] == 0


def test_a_surrogate_in_a_case_reason_is_refused(client: TestClient) -> None:
    body = '{"number": "+447700900123", "reason": "abuse \\udc00"}'
    answer = client.post(
        "/api/nuisance/cases", content=body, headers={"content-type": "application/json"}
    )
    assert_error(answer, (400, 422), "reason")


@pytest.mark.parametrize("value", [False, True, "12"])
def test_accuracy_must_be_a_number(value: Any, client: TestClient, telephony: TestClient) -> None:
    contact = telephony.post(EVENTS, json=event()).json()["contact_id"]
    action = {"action": "add_location", "lat": 50.7, "lon": -3.5, "accuracy_m": value}
    answer = client.post(f"/api/contacts/{contact}/actions", json=action)
    assert_error(answer, 422, "accuracy_m")


def test_an_offset_beyond_64_bits_is_refused(client: TestClient) -> None:
    answer = client.get("/api/contacts", params={"offset": str(2**70)})
    assert_error(answer, 422, "offset", "1000000000")


# -- parse errors and the framework's own answers --------------------------------------------


def test_json_nested_too_deep_is_a_clear_400(telephony: TestClient) -> None:
    deep = "[" * 3000 + "]" * 3000
    answer = telephony.post(EVENTS, content=deep, headers={"content-type": "application/json"})
    assert_error(answer, (400, 422))


def test_malformed_json_is_in_the_error_shape(client: TestClient) -> None:
    answer = client.post(
        "/api/contacts", content="{bad", headers={"content-type": "application/json"}
    )
    assert_error(answer, 422, "body")


def test_unknown_paths_and_methods_answer_in_the_error_shape(client: TestClient) -> None:
    assert assert_error(client.get("/api/nothing-here"), 404)["code"] == "not_found"
    wrong = client.delete("/api/contacts")
    assert assert_error(wrong, 405)["code"] == "method_not_allowed"
    assert "GET" in wrong.headers["allow"]


def test_a_route_without_a_token_still_answers_in_the_error_shape(anonymous: TestClient) -> None:
    answer = anonymous.get("/api/contacts", headers=bearer("not-a-token"))
    assert assert_error(answer, 401)["code"] == "unauthenticated"


# -- damaged records ---------------------------------------------------------------------------


def damage(app: FastAPI, contact_id: str, record: Any) -> None:
    """Overwrite the contact's stored record with ``record`` (as old code or a bad migration
    might have left it)."""
    with app.state.uow_factory() as uow:
        engine = uow.engine
    with engine.begin() as connection:
        connection.execute(
            update(contacts).where(contacts.c.id == contact_id).values(record=record)
        )


@pytest.mark.parametrize(
    "broken",
    [
        "year-999",  # what a time before year 1000 was stored as
        {"format": 1, "id": "x"},  # fields missing
        {"format": 99},  # a format this version cannot read
        "not an object",
    ],
)
def test_a_damaged_record_is_shown_as_damaged_and_never_takes_a_list_down(
    broken: Any,
    app: FastAPI,
    telephony: TestClient,
    client: TestClient,
    browser: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = telephony.post(EVENTS, json=event(call_id="PBX-good")).json()["contact_id"]
    bad = telephony.post(
        EVENTS, json=event(call_id="PBX-bad", caller={"number": "+447700900999"})
    ).json()["contact_id"]
    if broken == "year-999":
        with app.state.uow_factory(read_only=True) as uow:
            found = uow.contacts.get(bad)
            assert found is not None
        stored = json.loads(json.dumps(record_to_json(found.record)))
        stored["timestamps"]["offered"] = "999-06-01T12:00:00.000000Z"
        broken = stored
    damage(app, bad, broken)

    pages = read_everything(client, browser)
    items = {item["id"]: item for item in client.get("/api/contacts").json()["items"]}
    assert items[good]["damaged"] is None
    assert items[bad]["damaged"], items[bad]
    assert items[bad]["caller"]["number"] == "+447700900999"  # what the row itself holds
    for path in ("/console/handler", "/console/queue"):
        assert "damaged record" in pages[path] and bad in pages[path]
    assert (
        "1 damaged record" in pages["/console/supervisor"] and bad in pages["/console/supervisor"]
    )
    assert f"contact {bad}: stored record cannot be read" in caplog.text
    again = len(caplog.records)
    read_everything(client, browser)
    assert not any(bad in r.getMessage() for r in caplog.records[again:])  # logged once

    opened = client.get(f"/api/contacts/{bad}")
    assert assert_error(opened, 409, bad)["code"] == "damaged_record"
    acted = client.post(f"/api/contacts/{bad}/actions", json={"action": "answer"})
    assert assert_error(acted, 409)["code"] == "damaged_record"
    later = telephony.post(
        EVENTS, json=event("call.ended", call_id="PBX-bad", caller={"number": "+447700900999"})
    )
    assert_error(later, 409, bad)
    assert client.get(f"/api/contacts/{good}").status_code == 200
    page = browser.get(f"/console/handler/{bad}")
    assert page.status_code == 409 and "cannot be read" in page.text


# -- the OpenAPI states the rules ------------------------------------------------------------


def test_the_openapi_documents_the_one_error_shape_and_the_limits(anonymous: TestClient) -> None:
    schema = anonymous.get("/openapi.json").json()
    text = json.dumps(schema)
    assert "HTTPValidationError" not in text  # the framework's own 422 body is never sent
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = operation["responses"]
            if path.startswith("/open311/"):
                assert "422" not in answers, (method, path)
                assert {"400", "404", "429"} <= answers.keys(), (method, path)
            elif path.startswith("/api/"):
                assert {"400", "401", "403", "422"} <= answers.keys(), (method, path)
                for status, answer in answers.items():
                    if status.startswith("4"):
                        assert "ErrorResponse" in json.dumps(answer), (method, path, status)
    components = schema["components"]["schemas"]
    assert components["OfferCallerIn"]["properties"]["name"]["maxLength"] == 200
    assert RANGE in json.dumps(components)
    listing = {p["name"]: p for p in schema["paths"]["/api/contacts"]["get"]["parameters"]}
    assert listing["offset"]["schema"]["maximum"] == 1_000_000_000
    assert "2000-01-01" in json.dumps(listing["offered_from"])


def test_a_message_for_a_damaged_conversation_starts_a_new_one(
    app: FastAPI, telephony: TestClient, client: TestClient
) -> None:
    sms = {"type": "sms.received", "from": "+447700900555", "channel": "emergency_sms"}
    first = telephony.post(EVENTS, json=event() | sms | {"text": "help, I cannot speak"})
    assert first.status_code == 201, first.text
    damage(app, first.json()["contact_id"], {"format": 99})
    second = telephony.post(EVENTS, json=event() | sms | {"text": "he is still here"})
    assert second.status_code == 201, second.text
    assert second.json()["contact_id"] != first.json()["contact_id"]
    listed = client.get("/api/contacts", params={"caller": "+447700900555"}).json()
    assert sorted(item["damaged"] is None for item in listed["items"]) == [False, True]


@pytest.mark.parametrize(
    "dates", [("9999-12-31", "9999-12-31"), ("2026-01-01", "9999-12-31"), ("0001-01-01", "")]
)
@pytest.mark.parametrize("page", ["", "/figures", "/figures.csv"])
def test_supervisor_dates_at_the_ends_of_the_calendar_are_a_clear_400(
    dates: tuple[str, str], page: str, browser: TestClient
) -> None:
    answer = browser.get(f"/console/supervisor{page}", params={"from": dates[0], "to": dates[1]})
    assert answer.status_code == 400, answer.text[:300]
    assert "outside the accepted range" in answer.text
