"""The caller-history and nuisance-case API over HTTP, on each test database: history on the
contact, the flagged list, a case up to a PECS request PDF, the safeguard's 409, documents."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from controlroom.domain.contacts import ActionKind, Contact, FlagVulnerability, Role
from controlroom.domain.nuisance import Ladder, LadderRules
from controlroom.domain.policy import Policy, VulnerabilityFlag
from controlroom.services import accounts
from tests.adapters.db.test_nuisance_repositories import EMERGENCY, call
from tests.domain.contacts.helpers import SUPERVISOR
from tests.web.conftest import ADMIN, bearer

NUMBER = "+447700900321"
VULNERABLE_NUMBER = "+447700900654"
FOREIGN = "+33612345678"


class Room:
    """Clients for a call handler, a supervisor (``sgt-jones``) and an auditor."""

    def __init__(self, app: FastAPI, token_for: Callable[[str], str], policy: Policy) -> None:
        self.app, self.policy = app, policy
        factory = app.state.uow_factory
        accounts.add_user(factory(), ADMIN, "sgt-jones", Role.SUPERVISOR.value)
        supervisor = accounts.create_token(factory(), ADMIN, "sgt-jones", "supervisor")[1]
        self.tokens = {
            "call_handler": token_for("call_handler"),
            "supervisor": supervisor,
            "auditor": token_for("auditor"),
        }

    def client(self, role: str) -> TestClient:
        return TestClient(
            self.app, raise_server_exceptions=False, headers=bearer(self.tokens[role])
        )

    def store(self, *contacts: Contact) -> None:
        with self.app.state.uow_factory() as uow:
            for contact in contacts:
                uow.contacts.add(contact)
            uow.commit()

    def silent_calls(self, number: str, count: int, minutes: int = 30) -> list[str]:
        now = datetime.now(UTC)
        made = [
            call(
                self.policy,
                f"C-{number[-4:]}-{n}",
                now - timedelta(minutes=minutes * n),
                number=number,
            )
            for n in range(count, 0, -1)
        ]
        self.store(*made)
        return [contact.id for contact in made]


@pytest.fixture
def room(app: FastAPI, token_for: Callable[[str], str], policy: Policy) -> Room:
    return Room(app, token_for, policy)


def act(client: TestClient, case_id: str, body: dict[str, Any], status: int = 200) -> Any:
    response = client.post(f"/api/nuisance/cases/{case_id}/actions", json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_the_contact_shows_the_callers_history(room: Room) -> None:
    ids = room.silent_calls(NUMBER, 6)
    handler = room.client("call_handler")
    answer = handler.get(f"/api/contacts/{ids[-1]}").json()
    history = answer["caller_history"]
    assert "none with speech" in history["summary"] and "5 in 30 days" in history["summary"]
    assert history["identifiers"] == [{"kind": "number", "value": NUMBER}]
    assert history["windows"]["last_30_days"]["calls"] == 5  # not the contact itself
    assert history["calls"] == []
    assert [flag["kind"] for flag in history["flags"]] == ["faulty_device"]
    assert history["recommended_response"] == "contact_provider"
    full = handler.get(f"/api/callers/{NUMBER}/history").json()
    assert [c["contact_id"] for c in full["calls"]] == ids
    assert full["calls"][0]["markers"] == ["silent"]
    auditor = room.client("auditor").get(f"/api/callers/{NUMBER}/history")
    assert auditor.status_code == 200


@pytest.mark.parametrize(
    ("identifier", "hint"),
    [("withheld", "IMEI"), ("07700900321", "+447700900321"), ("hello", "E.164")],
)
def test_withheld_and_malformed_numbers_are_400_with_a_hint(
    room: Room, identifier: str, hint: str
) -> None:
    response = room.client("call_handler").get(f"/api/callers/{identifier}/history")
    assert response.status_code == 400, response.text
    assert hint in response.json()["error"]["hint"]


def test_an_international_number_is_accepted(room: Room) -> None:
    room.silent_calls(FOREIGN, 2)
    answer = room.client("call_handler").get(f"/api/callers/{FOREIGN}/history").json()
    assert answer["windows"]["today"]["calls"] >= 1
    assert any("outside the UK PECS" in note for note in answer["notes"])


def test_the_flagged_list_is_for_supervisors(room: Room) -> None:
    room.silent_calls(NUMBER, 6)
    room.silent_calls(FOREIGN, 1)
    assert room.client("call_handler").get("/api/nuisance/flagged").status_code == 403
    answer = room.client("supervisor").get("/api/nuisance/flagged", params={"hours": 24}).json()
    assert [item["identifier"]["value"] for item in answer["items"]] == [NUMBER]
    item = answer["items"][0]
    assert item["calls_in_window"] == 6 and len(item["trend"]) == 7
    assert sum(day["calls"] for day in item["trend"]) == 6
    assert item["flags"][0]["kind"] == "faulty_device" and item["case"] is None


def relaxed(app: FastAPI) -> None:
    """The ladder without its flag and new-evidence rules (test_ladder_safeguards_api.py covers
    them): these tests climb the ladder within seconds."""
    config = app.state.nuisance
    rules = LadderRules(
        blocking_flags=frozenset(), min_calls_between_steps=0, min_hours_between_steps=0
    )
    app.state.nuisance = replace(config, ladder=Ladder(config.ladder.steps, rules))


def test_a_case_up_to_a_pecs_request_pdf(room: Room) -> None:
    relaxed(room.app)
    room.silent_calls(NUMBER, 6)
    handler, supervisor = room.client("call_handler"), room.client("supervisor")
    opened = handler.post("/api/nuisance/cases", json={"number": NUMBER, "reason": "silent calls"})
    assert opened.status_code == 201, opened.text
    case = opened.json()
    case_id = case["id"]
    assert case["kinds"] == ["faulty_device"] and case["step"] == "none"
    assert "propose" in case["allowed_actions"] and "approve" not in case["allowed_actions"]
    act(handler, case_id, {"action": "record", "step": "advice", "note": "advised"})
    act(handler, case_id, {"action": "propose", "step": "warning_letter", "reason": "continues"})
    act(handler, case_id, {"action": "approve"}, status=403)
    act(supervisor, case_id, {"action": "approve", "note": "agreed"})
    act(handler, case_id, {"action": "record", "step": "warning_letter", "note": "posted"})
    act(handler, case_id, {"action": "propose", "step": "pecs_request", "reason": "still calling"})
    early = handler.get(f"/api/nuisance/cases/{case_id}/documents/pecs_request.pdf")
    assert early.status_code == 409 and "approved" in early.json()["error"]["message"]
    approved = act(supervisor, case_id, {"action": "approve", "note": "disconnect"})
    assert (
        approved["state"] == "approved"
        and approved["record"]["pending"]["approved_by"]["id"] == "sgt-jones"
    )

    pdf = handler.get(f"/api/nuisance/cases/{case_id}/documents/pecs_request.pdf")
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{case_id}-PECS-1.pdf"'
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert NUMBER in text and "sgt-jones" in text
    html = handler.get(f"/api/nuisance/cases/{case_id}/documents/pecs_request.html")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.headers["content-disposition"].startswith("inline; filename=")
    assert NUMBER in html.text and "sgt-jones" in html.text

    audit = room.client("auditor").get("/api/audit", params={"subject": f"nuisance_case:{case_id}"})
    tags = [entry["tag"] for entry in audit.json()["entries"]]
    assert (
        tags.count("nuisance:case:approve") == 2 and tags.count("nuisance:document:generate") == 2
    )
    overview = supervisor.get("/api/nuisance/cases").json()
    assert overview["total"] == 1
    assert [(g["kind"], g["step"]) for g in overview["groups"]] == [
        ("faulty_device", "pecs_request")
    ]
    timeline = handler.get(f"/api/callers/{NUMBER}/timeline").json()
    types = [item["type"] for item in timeline["items"]]
    history = handler.get(f"/api/nuisance/cases/{case_id}").json()["history"]
    assert types[:6] == ["call"] * 6 and types.count("case") == len(history)


def test_disconnecting_a_vulnerable_caller_is_409_until_a_supervisor_overrides(
    room: Room, policy: Policy
) -> None:
    relaxed(room.app)
    now = datetime.now(UTC)
    for n in (1, 2):
        contact = call(
            policy,
            f"C-v{n}",
            now - timedelta(hours=n),
            EMERGENCY,
            number=VULNERABLE_NUMBER,
            kinds=(ActionKind.ANSWER,),
        )
        flag = FlagVulnerability(VulnerabilityFlag.MENTAL_HEALTH, note="distressed")
        at = now - timedelta(minutes=n)
        contact.apply(flag, actor=SUPERVISOR, now=at, policy=policy)
        room.store(contact)
    handler, supervisor = room.client("call_handler"), room.client("supervisor")
    case = handler.post(
        "/api/nuisance/cases", json={"number": VULNERABLE_NUMBER, "reason": "daily calls"}
    ).json()
    case_id = case["id"]
    assert case["vulnerability_unresolved"] and "vulnerable_person" in case["kinds"]
    act(handler, case_id, {"action": "record", "step": "advice", "note": "advised"})
    act(handler, case_id, {"action": "propose", "step": "warning_letter", "reason": "continues"})
    act(supervisor, case_id, {"action": "approve"})
    act(handler, case_id, {"action": "record", "step": "warning_letter", "note": "posted"})
    refused = act(
        handler, case_id, {"action": "propose", "step": "pecs_request", "reason": "cut off"}, 409
    )
    assert refused["error"]["code"] == "policy_violation"
    assert refused["error"]["paragraph"] == "4.12.6"
    assert "vulnerable person" in refused["error"]["message"]
    act(handler, case_id, {"action": "override_vulnerability", "reason": "I say so"}, 403)
    act(supervisor, case_id, {"action": "override_vulnerability", "reason": "care team agree"})
    proposed = act(handler, case_id, {"action": "propose", "step": "pecs_request", "reason": "x"})
    assert proposed["state"] == "proposed"
    referral = handler.get(f"/api/nuisance/cases/{case_id}/documents/safeguarding_referral.pdf")
    assert referral.status_code == 200 and referral.headers["content-type"] == "application/pdf"


def test_bad_case_requests(room: Room) -> None:
    handler = room.client("call_handler")
    withheld = handler.post("/api/nuisance/cases", json={"reason": "silent calls"})
    assert withheld.status_code == 400 and "withheld" in withheld.json()["error"]["message"]
    assert handler.get("/api/nuisance/cases/N-nope").status_code == 404
    unknown = handler.post("/api/nuisance/cases/N-nope/actions", json={"action": "explode"})
    assert unknown.status_code == 422
    case_id = handler.post("/api/nuisance/cases", json={"number": NUMBER, "reason": "r"}).json()[
        "id"
    ]
    again = handler.post("/api/nuisance/cases", json={"number": NUMBER, "reason": "r"})
    assert again.status_code == 409 and case_id in again.json()["error"]["message"]
    link = {"action": "link_identifier", "reason": "new SIM"}
    assert handler.post(f"/api/nuisance/cases/{case_id}/actions", json=link).status_code == 400
    moved = act(handler, case_id, link | {"number": FOREIGN})
    assert moved["number"] == FOREIGN and "outside the UK PECS" in moved["provider_note"]
    bad_kind = handler.get(f"/api/nuisance/cases/{case_id}/documents/shopping_list.pdf")
    assert bad_kind.status_code == 422


def test_marking_a_hoax(room: Room) -> None:
    [contact_id] = room.silent_calls(NUMBER, 1)
    handler = room.client("call_handler")
    marked = handler.post(
        f"/api/nuisance/calls/{contact_id}/markers", json={"hoax": True, "reason": "no fire"}
    )
    assert marked.status_code == 200 and "hoax" in marked.json()["markers"]
    flags = handler.get(f"/api/callers/{NUMBER}/history").json()["flags"]
    assert [flag["kind"] for flag in flags] == ["deliberate_misuse"]


def test_the_schema_documents_the_nuisance_endpoints(anonymous: TestClient) -> None:
    schema = anonymous.get("/openapi.json").json()
    pdf = schema["paths"]["/api/nuisance/cases/{case_id}/documents/{kind}.pdf"]["get"]
    assert "application/pdf" in pdf["responses"]["200"]["content"]
    action = schema["paths"]["/api/nuisance/cases/{case_id}/actions"]["post"]
    assert "vulnerable" in action["responses"]["409"]["description"]
    components = schema["components"]["schemas"]
    for name in ("CaseOut", "CallerHistoryOut", "FlagOut", "FlaggedListOut", "CaseProposeIn"):
        model = components[name]
        assert model.get("description"), name
        for field, spec in model["properties"].items():
            if field != "action":
                assert spec.get("description") or "$ref" in spec or "anyOf" in spec, (name, field)
