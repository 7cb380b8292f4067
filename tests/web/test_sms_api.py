"""An emergencySMS conversation over the API: the thread both ways, a handler's reply as an
outbound telephony command (idempotent, audited, with delivery reports), and re-triage by a
later message, which raises and never lowers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

EVENTS = "/api/telephony/events"
COMMANDS = "/api/telephony/commands"
NUMBER = "+447700900555"
FIRST = "I am deaf. My ex boyfriend keeps texting me and is outside"
DANGER_NOW = "he is trying the back door now, 14 Fore Street"


def ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat()


def sms(text: str, seconds_ago: float, number: str = NUMBER) -> dict[str, Any]:
    return {
        "id": f"ev-{uuid.uuid4()}",
        "type": "sms.received",
        "occurred_at": ago(seconds_ago),
        "from": number,
        "channel": "emergency_sms",
        "text": text,
    }


def status(command_id: str, value: str, seconds_ago: float = 0, **more: Any) -> dict[str, Any]:
    body = {"id": f"ev-{uuid.uuid4()}", "type": "sms.status", "occurred_at": ago(seconds_ago)}
    return body | {"command_id": command_id, "status": value} | more


def conversation(telephony: TestClient, client: TestClient, *, answer: bool = True) -> str:
    """An emergencySMS contact started by FIRST (answered by the handler); its id."""
    started = telephony.post(EVENTS, json=sms(FIRST, 120))
    assert started.status_code == 201, started.text
    contact_id = str(started.json()["contact_id"])
    if answer:
        answered = client.post(f"/api/contacts/{contact_id}/actions", json={"action": "answer"})
        assert answered.status_code == 200, answered.text
    return contact_id


def reply(client: TestClient, contact_id: str, text: str, key: str) -> Any:
    url = f"/api/contacts/{contact_id}/messages"
    return client.post(url, json={"text": text}, headers={"Idempotency-Key": key})


def audit_tags(app: FastAPI, contact_id: str) -> list[str]:
    with app.state.uow_factory(read_only=True) as uow:
        return [e.tag for e in uow.audit.tail(1000, subject=f"contact:{contact_id}")]


def test_the_thread_holds_both_directions_and_a_reply_is_sent_once(
    app: FastAPI, telephony: TestClient, client: TestClient
) -> None:
    contact_id = conversation(telephony, client)
    later = telephony.post(EVENTS, json=sms("please hurry", 60))
    assert (later.status_code, later.json()["result"]) == (200, "recorded")
    text = "Police are on the way. Can you lock yourself in a room?"
    first = reply(client, contact_id, text, "reply-1")
    assert first.status_code == 201, first.text
    sent = first.json()
    assert (sent["direction"], sent["status"], sent["text"]) == ("outbound", "queued", text)
    again = reply(client, contact_id, text, "reply-1")  # a retry after a timeout
    assert (again.status_code, again.json()["id"]) == (200, sent["id"])
    commands = telephony.get(COMMANDS).json()
    mine = [c for c in commands["commands"] if c["contact_id"] == contact_id]
    assert [(c["id"], c["type"], c["to"], c["text"]) for c in mine] == [
        (sent["id"], "sms.send", NUMBER, text)
    ]
    assert telephony.get(COMMANDS, params={"after": commands["cursor"]}).json()["commands"] == []
    assert audit_tags(app, contact_id).count("contact:telephony:sms_reply") == 1
    thread = client.get(f"/api/contacts/{contact_id}/messages").json()
    assert [(m["direction"], m["text"]) for m in thread["messages"]] == [
        ("inbound", FIRST),
        ("inbound", "please hurry"),
        ("outbound", text),
    ]


def test_delivery_reports_move_a_reply_forward_only(
    app: FastAPI, telephony: TestClient, client: TestClient
) -> None:
    contact_id = conversation(telephony, client)
    command = reply(client, contact_id, "We are coming", "k-2").json()["id"]
    answers = [
        telephony.post(EVENTS, json=status(command, value))
        for value in ("sent", "delivered", "sent")
    ]
    assert [(a.status_code, a.json()["result"]) for a in answers] == [
        (200, "recorded"),
        (200, "recorded"),
        (200, "unchanged"),  # a late "sent" never takes a delivered reply back
    ]
    assert answers[2].json()["message"] == "the reply is already delivered"
    thread = client.get(f"/api/contacts/{contact_id}/messages").json()
    assert thread["messages"][-1]["status"] == "delivered"
    assert audit_tags(app, contact_id).count("contact:telephony:sms_status") == 2
    details = client.get(f"/api/contacts/{contact_id}").json()
    assert "contact:telephony:sms_status" in [row["tag"] for row in details["telephony"]]


def test_a_failed_delivery_is_shown_with_the_gateways_reason(
    telephony: TestClient, client: TestClient
) -> None:
    contact_id = conversation(telephony, client)
    command = reply(client, contact_id, "Are you safe?", "k-3").json()["id"]
    failed = status(command, "failed", reason="absent subscriber")
    assert telephony.post(EVENTS, json=failed).json()["result"] == "recorded"
    last = client.get(f"/api/contacts/{contact_id}/messages").json()["messages"][-1]
    assert (last["status"], last["status_reason"]) == ("failed", "absent subscriber")


def test_a_delivery_report_for_an_unknown_command_is_a_clear_404(telephony: TestClient) -> None:
    answer = telephony.post(EVENTS, json=status("SMS-20260101-000000000000", "sent"))
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["field"] == "command_id" and "/api/telephony/commands" in error["hint"]
    malformed = telephony.post(EVENTS, json=status("not-a-command", "sent"))
    assert malformed.status_code == 422


def test_a_later_message_naming_danger_now_raises_triage_and_nothing_lowers_it(
    app: FastAPI, telephony: TestClient, client: TestClient
) -> None:
    contact_id = conversation(telephony, client)
    before = client.get(f"/api/contacts/{contact_id}").json()["triage"]["suggestion"]
    assert before["route"] == "police_non_emergency"
    raised = telephony.post(EVENTS, json=sms(DANGER_NOW, 30))
    assert raised.status_code == 200
    assert "triage raised to emergency" in raised.json()["message"]
    after = client.get(f"/api/contacts/{contact_id}").json()
    assert after["triage"]["suggestion"]["route"] == "emergency"
    calmer = telephony.post(EVENTS, json=sms("ok he has gone now, sorry", 10))
    assert "raised" not in calmer.json()["message"]
    still = client.get(f"/api/contacts/{contact_id}").json()["triage"]["suggestion"]
    assert still["route"] == "emergency"
    thread = client.get(f"/api/contacts/{contact_id}/messages").json()["messages"]
    assert [m["raised"] for m in thread] == ["", "emergency (immediate)", ""]
    # grading as the raised suggestion says needs no reason: it is the suggestion recorded
    graded = client.post(
        f"/api/contacts/{contact_id}/actions", json={"action": "assess", "grade": "immediate"}
    )
    assert graded.status_code == 200, graded.text
    assessment = graded.json()["triage"]["assessments"][-1]
    assert assessment["suggestion"]["route"] == "emergency"


def test_replies_are_refused_naming_the_rule_and_what_would_allow_it(
    telephony: TestClient, client: TestClient
) -> None:
    waiting = conversation(telephony, client, answer=False)
    refused = reply(client, waiting, "hello", "k-4")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "policy_violation" and error["paragraph"]
    assert "answer" in error["hint"]
    body = {"channel": "online_report", "caller": {"name": "A Person"}, "narrative": "lost bike"}
    report = client.post("/api/contacts", json=body)
    assert report.status_code == 201, report.text
    refused = reply(client, report.json()["id"], "hello", "k-5")
    assert refused.status_code == 409 and "emergencySMS" in refused.json()["error"]["message"]
    assert reply(client, "C-20260101-0000000000", "hello", "k-6").status_code == 404


def test_bad_replies_are_clear_errors_and_send_nothing(
    telephony: TestClient, client: TestClient
) -> None:
    contact_id = conversation(telephony, client)
    cursor = telephony.get(COMMANDS).json()["cursor"]
    control = reply(client, contact_id, "bad \x07 bell", "k-7")
    assert control.status_code == 400 and control.json()["error"]["field"] == "text"
    spaced = reply(client, contact_id, "fine", "has spaces")
    assert spaced.status_code == 400 and spaced.json()["error"]["field"] == "idempotency_key"
    assert reply(client, contact_id, "", "k-8").status_code == 422
    assert reply(client, contact_id, "x" * 1001, "k-9").status_code == 422
    reply(client, contact_id, "first text", "k-10")
    reused = reply(client, contact_id, "another text", "k-10")
    assert reused.status_code == 409 and reused.json()["error"]["field"] == "idempotency_key"
    after = telephony.get(COMMANDS, params={"after": cursor}).json()["commands"]
    assert [c["text"] for c in after] == ["first text"]
