"""``POST /api/triage/reassess``: the handler's answers re-decide a contact."""

from __future__ import annotations

from fastapi.testclient import TestClient

UNREADABLE = "Please can someone ring me back about what happened with Gary."


def test_an_unrecognised_contact_comes_back_with_the_questions(client: TestClient) -> None:
    response = client.post("/api/triage", json={"text": UNREADABLE, "channel": "999"})
    assert response.status_code == 200
    data = response.json()
    assert data["route"] != "not_police"
    assert data["confidence"] == "unrecognised"
    assert data["needs_assessment"] is True
    assert [q["id"] for q in data["questions"]] == ["danger", "now", "offender", "weapon"]


def test_a_yes_from_the_handler_raises_the_route_and_is_cited(client: TestClient) -> None:
    body = {"id": "INC-9", "text": UNREADABLE, "answers": {"weapon": "yes", "now": "yes"}}
    response = client.post("/api/triage/reassess", json=body)
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == "INC-9"
    assert data["route"] == "emergency"
    cited = [r["explanation"] for r in data["reasons"] if r["kind"] == "handler"]
    assert "handler: weapon seen — yes" in cited


def test_a_bad_answer_is_a_clear_400(client: TestClient) -> None:
    body = {"text": UNREADABLE, "answers": {"weapon": "perhaps"}}
    response = client.post("/api/triage/reassess", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "answers.weapon"
    assert "yes" in error["hint"]


def test_an_unknown_question_is_a_clear_400(client: TestClient) -> None:
    body = {"text": UNREADABLE, "answers": {"knife": "yes"}}
    response = client.post("/api/triage/reassess", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "answers.knife"
