"""``POST /api/triage`` and ``POST /api/triage/batch``: shapes, errors and the schema."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.web.api import BATCH_BODY_FACTOR, body_limit
from controlroom.web.schemas import BatchResponse, DecisionOut
from tests.web.conftest import bearer

BURGLARY = "Someone is breaking into my house right now, he has a knife"
MUSIC = "My neighbour is playing loud music"
DECISION_KEYS = {
    "id",
    "route",
    "grade",
    "agency",
    "summary",
    "policy",
    "vulnerability",
    "thrive",
    "reasons",
    "confidence",
    "needs_assessment",
    "questions",
}
ERROR_KEYS = {"code", "message", "field", "hint"}


def post(client: TestClient, body: Any, path: str = "/api/triage") -> Any:
    return client.post(path, json=body)


# --- one contact -------------------------------------------------------------------------------


def test_triage_returns_the_decision_with_its_id(client: TestClient) -> None:
    response = post(client, {"id": "INC-1", "text": MUSIC, "channel": "101"})
    assert response.status_code == 200
    data = response.json()
    assert set(data) == DECISION_KEYS
    assert data["id"] == "INC-1"
    assert data["policy"] == "DCP-P-042"
    assert set(data["thrive"]) == {
        "threat",
        "harm",
        "risk",
        "investigation",
        "vulnerability",
        "engagement",
    }
    DecisionOut.model_validate(data)


@pytest.mark.parametrize("contact_id", [7, 2.5, True, None, "abc", "ünïcødé ☎"])
def test_any_scalar_id_is_echoed(client: TestClient, contact_id: Any) -> None:
    data = post(client, {"id": contact_id, "text": MUSIC}).json()
    assert data["id"] == contact_id
    assert type(data["id"]) is type(contact_id)


def test_id_and_channel_are_optional(client: TestClient) -> None:
    response = post(client, {"text": MUSIC})
    assert response.status_code == 200
    assert response.json()["id"] is None


def test_evidence_points_into_the_text(client: TestClient) -> None:
    data = post(client, {"text": BURGLARY}).json()
    for reason in data["reasons"]:
        evidence = reason["evidence"]
        if evidence is not None:
            assert BURGLARY[evidence["start"] : evidence["end"]] == evidence["text"]


def test_engine_burglary_with_knife_is_an_emergency(client: TestClient) -> None:
    # Depends on the triage engine: an obvious emergency.
    assert post(client, {"text": BURGLARY}).json()["route"] == "emergency"


def test_engine_loud_music_is_not_an_emergency(client: TestClient) -> None:
    # Depends on the triage engine: an obvious non-emergency.
    assert post(client, {"text": MUSIC}).json()["route"] != "emergency"


# --- bad input: 400 from the domain, 422 for shape, 413 for size, never 500 ---------------------


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if field is not None:
        assert error["field"] == field
    return error


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"text": ""}, "text", "text is empty"),
        ({"text": "   \n "}, "text", "text is empty"),
        ({"text": MUSIC, "channel": "112"}, "channel", "unknown channel '112'"),
        ({"text": "help\u0000me"}, "text", "control character U+0000"),
        ({"text": "bell\u0007"}, "text", "control character U+0007"),
        ({"text": "x" * 200_000}, "text", "characters long"),
    ],
)
def test_domain_errors_are_400(
    client: TestClient, body: dict[str, Any], field: str, words: str
) -> None:
    error = assert_error(post(client, body), 400, "invalid_input", field)
    assert words in error["message"]
    assert error["hint"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"channel": "999"},
        {"text": 5},
        {"text": ["a"]},
        {"text": None},
        {"text": MUSIC, "channel": 999},
        {"text": MUSIC, "id": {"a": 1}},
        {"text": MUSIC, "id": [1]},
        [MUSIC],
        MUSIC,
    ],
)
def test_wrong_shapes_are_422(client: TestClient, body: Any) -> None:
    assert_error(post(client, body), 422, "invalid_request")


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"text": "a"',
        b"",
        b'{"text": "x", "id": NaN}',
        b'{"text": "x", "id": 1e999}',
    ],
)
def test_malformed_json_is_4xx_not_500(client: TestClient, raw: bytes) -> None:
    response = client.post("/api/triage", content=raw, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, response.text
    assert "error" in response.json()


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/api/triage", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "invalid_request")


def test_lone_surrogate_in_id_is_rejected_not_500(client: TestClient) -> None:
    raw = b'{"text": "hello", "id": "\\ud800"}'
    response = client.post("/api/triage", content=raw, headers={"content-type": "application/json"})
    assert_error(response, 422, "invalid_request", "id")


def test_lone_surrogate_in_text_is_400(client: TestClient) -> None:
    raw = b'{"text": "hello \\udc80"}'
    response = client.post("/api/triage", content=raw, headers={"content-type": "application/json"})
    assert_error(response, 400, "invalid_input", "text")


def test_invalid_utf8_body_is_400(client: TestClient) -> None:
    response = client.post(
        "/api/triage",
        content=b'{"text": "caf\xe9"}',
        headers={"content-type": "application/json"},
    )
    error = assert_error(response, 400, "invalid_input", "body")
    assert "not valid UTF-8" in error["message"]


def test_one_megabyte_body_is_413(client: TestClient) -> None:
    response = post(client, {"text": "a" * 1_000_000})
    error = assert_error(response, 413, "body_too_large", "body")
    assert "limit" in error["message"]
    assert error["hint"]


def test_oversized_body_without_content_length_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        yield b'{"text": "'
        for _ in range(20):
            yield b"a" * 65_536
        yield b'"}'

    response = client.post(
        "/api/triage", content=chunks(), headers={"content-type": "application/json"}
    )
    assert_error(response, 413, "body_too_large")


def test_body_limit_follows_the_policy(policy: Policy) -> None:
    single = body_limit(policy, "/api/triage")
    assert single >= 4 * policy.limits.max_text_chars
    assert body_limit(policy, "/api/triage/batch") == BATCH_BODY_FACTOR * single


def test_text_at_the_character_limit_is_not_refused_for_size(
    client: TestClient, policy: Policy
) -> None:
    text = "é" * policy.limits.max_text_chars  # two bytes each in UTF-8, six when escaped
    response = client.post(
        "/api/triage",
        content=json.dumps({"text": text}).encode(),
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 200


# --- batch -------------------------------------------------------------------------------------


def test_batch_answers_each_contact_in_order(client: TestClient) -> None:
    contacts = [
        {"id": 1, "text": BURGLARY},
        {"id": "two", "text": ""},
        {"id": 3, "text": MUSIC, "channel": "101"},
        {"id": 4, "text": MUSIC, "channel": "112"},
        {"id": 5, "text": 42},
        "not an object",
        {"id": {"bad": 1}, "text": MUSIC},
        {"text": "bell\u0007"},
        {"id": 9, "text": MUSIC},
    ]
    response = post(client, {"contacts": contacts}, "/api/triage/batch")
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == len(contacts)
    BatchResponse.model_validate(response.json())
    good = {0, 2, 8}
    for index, result in enumerate(results):
        if index in good:
            assert set(result) == DECISION_KEYS
        else:
            assert set(result) == {"id", "index", "error"}
            assert result["index"] == index
            assert set(result["error"]) == ERROR_KEYS
    assert [r["id"] for r in results] == [1, "two", 3, 4, 5, None, None, None, 9]
    assert results[1]["error"]["code"] == "invalid_input"
    assert results[1]["error"]["field"] == "text"
    assert results[3]["error"]["field"] == "channel"
    assert results[4]["error"]["code"] == "invalid_request"
    assert results[4]["error"]["field"] == "text"
    assert results[5]["error"]["code"] == "invalid_request"
    assert results[6]["error"]["field"] == "id"
    assert "control character" in results[7]["error"]["message"]


def test_batch_results_match_single_results(client: TestClient) -> None:
    single = post(client, {"id": "a", "text": BURGLARY}).json()
    batch = post(client, {"contacts": [{"id": "a", "text": BURGLARY}]}, "/api/triage/batch")
    assert batch.json()["results"] == [single]


def test_empty_batch(client: TestClient) -> None:
    response = post(client, {"contacts": []}, "/api/triage/batch")
    assert response.status_code == 200
    assert response.json() == {"results": []}


def test_batch_of_1000_is_accepted_and_1001_refused(client: TestClient) -> None:
    contacts = [{"id": i, "text": MUSIC} for i in range(1000)]
    response = post(client, {"contacts": contacts}, "/api/triage/batch")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1000
    too_many = post(client, {"contacts": [*contacts, {"text": MUSIC}]}, "/api/triage/batch")
    assert_error(too_many, 422, "invalid_request", "contacts")


@pytest.mark.parametrize("body", [{}, {"contacts": "x"}, {"contacts": {"text": MUSIC}}, []])
def test_batch_wrong_shape_is_422(client: TestClient, body: Any) -> None:
    assert_error(post(client, body, "/api/triage/batch"), 422, "invalid_request")


def test_oversized_batch_is_413(client: TestClient, policy: Policy) -> None:
    limit = body_limit(policy, "/api/triage/batch")
    text = "a" * 100_000
    contacts = [{"text": text}] * (limit // 100_000 + 1)
    assert_error(post(client, {"contacts": contacts}, "/api/triage/batch"), 413, "body_too_large")


def test_body_limit_uses_the_apps_policy(
    policy: Policy, settings: Settings, token_for: Callable[[str], str]
) -> None:
    from dataclasses import replace

    from controlroom.domain.policy import Limits
    from controlroom.web.app import create_app

    small = replace(policy, limits=Limits(max_text_chars=100))
    headers = bearer(token_for("call_handler"))
    with TestClient(create_app(settings, policy=small), headers=headers) as small_client:
        response = post(small_client, {"text": "a" * 20_000})
        assert_error(response, 413, "body_too_large")
        response = post(small_client, {"text": "a" * 101})
        assert_error(response, 400, "invalid_input", "text")


# --- OpenAPI -----------------------------------------------------------------------------------


def test_openapi_documents_both_routes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    single = schema["paths"]["/api/triage"]["post"]
    batch = schema["paths"]["/api/triage/batch"]["post"]
    request_ref = single["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert request_ref.endswith("/TriageRequest")
    response_ref = single["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert response_ref.endswith("/DecisionOut")
    for status in ("400", "413", "422"):
        assert status in single["responses"]
    batch_ref = batch["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert batch_ref.endswith("/BatchResponse")


def test_openapi_describes_every_field_and_gives_examples(client: TestClient) -> None:
    components = client.get("/openapi.json").json()["components"]["schemas"]
    for name in ("TriageRequest", "DecisionOut", "ReasonOut", "Evidence", "ErrorDetail"):
        model = components[name]
        assert model.get("description"), name
        for field, spec in model["properties"].items():
            assert spec.get("description") or "$ref" in spec or "allOf" in spec, (name, field)
    assert components["TriageRequest"]["examples"]
    assert components["DecisionOut"]["examples"][0]["route"] == "emergency"
    assert set(components["DecisionOut"]["properties"]) == DECISION_KEYS
    route = components["Route"]
    assert set(route["enum"]) == {"emergency", "police_non_emergency", "other_agency", "not_police"}


def test_docs_page_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200


def test_healthz_unaffected_by_the_body_guard(app: FastAPI) -> None:
    with TestClient(app) as plain:
        assert plain.get("/healthz").json()["status"] == "ok"


# --- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/triage", "/api/triage/batch"])
@pytest.mark.parametrize("authorization", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz"])
def test_triage_without_a_valid_token_is_401(
    anonymous: TestClient, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    body = {"text": MUSIC} if path == "/api/triage" else {"contacts": [{"text": MUSIC}]}
    response = anonymous.post(path, json=body, headers=headers)
    assert_error(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def test_triage_for_a_role_without_the_permission_is_403(
    anonymous: TestClient, token_for: Callable[[str], str]
) -> None:
    response = anonymous.post(
        "/api/triage", json={"text": MUSIC}, headers=bearer(token_for("auditor"))
    )
    error = assert_error(response, 403, "forbidden")
    assert "auditor" in error["message"] and "triage:run" in error["message"]
