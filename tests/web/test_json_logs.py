"""Logs an operator can use: one JSON object a line, each with the request id the client gave
(or one made up), the contact id on a contact's routes, and never a caller's full number or
words — checked on the lines of real requests to the application behind uvicorn."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from controlroom.adapters.log_format import JsonFormatter, TextFormatter, logging_config
from controlroom.web.log_redaction import RedactFields, install_redaction
from controlroom.web.request_context import install_request_context
from tests.web.conftest import bearer

NUMBER = "+447700900123"
NARRATIVE = "Zebedee the lodger is shouting threats at me through the letterbox"


class Lines:
    """What the JSON handler wrote, line by line."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def all(self) -> list[dict[str, Any]]:
        text = self.stream.getvalue()
        return [json.loads(line) for line in text.splitlines()]

    def wait_for(self, found: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 5
        while True:
            matches = [line for line in self.all() if found(line)]
            if matches:
                return matches[-1]
            assert time.monotonic() < deadline, f"no such line in {self.stream.getvalue()}"
            time.sleep(0.02)


@pytest.fixture
def lines() -> Iterator[Lines]:
    """Every record of the process at INFO or above, written by the JSON formatter."""
    install_redaction()
    install_request_context()
    captured = Lines()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactFields())  # as controlroom serve sets its handler up
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.access", "controlroom")
    loggers = [logging.getLogger(name) for name in names]
    # as they were: other tests' servers may have configured uvicorn's loggers their own way
    saved = [(logger, logger.level, logger.propagate, logger.disabled) for logger in loggers]
    root_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for logger in loggers:
        logger.setLevel(logging.INFO)
        logger.propagate, logger.disabled = True, False
    yield captured
    root.removeHandler(handler)
    root.setLevel(root_level)
    for logger, level, propagate, disabled in saved:
        logger.setLevel(level)
        logger.propagate, logger.disabled = propagate, disabled


def offered(call: str) -> dict[str, Any]:
    return {
        "id": f"ev-{call}",
        "type": "call.offered",
        "occurred_at": datetime.now(UTC).isoformat(),
        "call_id": call,
        "channel": "999",
        "caller": {"number": NUMBER},
    }


def test_a_contact_request_logs_its_request_and_contact_ids_and_no_number_or_words(
    served: str, lines: Lines, token_for: Callable[[str], str]
) -> None:
    telephony = httpx.Client(base_url=served, headers=bearer(token_for("integration")))
    handler = httpx.Client(base_url=served, headers=bearer(token_for("call_handler")))
    given = "pbx-7f3a-0001"
    response = telephony.post(
        "/api/telephony/events", json=offered("PBX-1"), headers={"X-Request-ID": given}
    )
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"] == given
    contact_id = response.json()["contact_id"]
    offer = lines.wait_for(lambda line: line["message"] == "contact offered")
    # telephony events are applied in batches, in a thread of their own: no request id there
    assert (offer["contact_id"], offer["channel"]) == (contact_id, "999")
    sent = lines.wait_for(lambda line: line.get("path") == "/api/telephony/events")
    assert (sent["request_id"], sent["status"]) == (given, 201)
    assert offer["level"] == "INFO" and offer["logger"] == "controlroom.contacts"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", offer["time"])

    actions = f"/api/contacts/{contact_id}/actions"
    ids = {"X-Request-ID": "handler-req-2"}
    assert handler.post(actions, json={"action": "answer"}, headers=ids).status_code == 200
    body = {"action": "update_narrative", "text": NARRATIVE}
    assert handler.post(actions, json=body, headers=ids).status_code == 200
    answered = lines.wait_for(lambda line: line["message"] == "contact answered")
    assert answered["contact_id"] == contact_id and answered["answer_seconds"] >= 0
    access = lines.wait_for(
        lambda line: line["logger"] == "uvicorn.access" and line.get("path") == actions
    )
    assert (access["request_id"], access["contact_id"]) == ("handler-req-2", contact_id)
    assert (access["method"], access["status"]) == ("POST", 200)

    assert handler.get("/api/contacts/search", params={"q": "Zebedee lodger"}).status_code == 200
    assert handler.get("/api/contacts", params={"caller": NUMBER}).status_code == 200
    searched = lines.wait_for(lambda line: "/search?" in str(line.get("path", "")))
    assert searched["path"] == "/api/contacts/search?q=[text]"
    assert searched["contact_id"] is None
    listed = lines.wait_for(lambda line: str(line.get("path", "")).startswith("/api/contacts?"))
    assert listed["path"] == "/api/contacts?caller=%2B447700\u2022\u2022\u202223"
    assert len(searched["request_id"]) == 32  # none given: one made up

    text = lines.stream.getvalue()
    for secret in (NUMBER, "447700900123", "7700900123", "Zebedee", "letterbox"):
        assert secret not in text
    for line in lines.all():
        assert {"time", "level", "logger", "message", "request_id", "contact_id"} <= set(line)
    telephony.close()
    handler.close()


@pytest.mark.parametrize("given", ["", "a" * 65, "two words", b"bad\xc3\xa9id", "<script>"])
def test_an_unusable_request_id_is_replaced_by_a_new_one(served: str, given: str | bytes) -> None:
    response = httpx.get(f"{served}/healthz", headers={"X-Request-ID": given})
    made = response.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made) and made != given


def test_a_traceback_is_written_as_one_json_line_with_numbers_masked(lines: Lines) -> None:
    try:
        raise ValueError(f"caller {NUMBER} said input_value='{NARRATIVE}', input_type=str")
    except ValueError:
        logging.getLogger("controlroom.test").exception("it failed for 07700 900123")
    (line,) = [line for line in lines.all() if line["logger"] == "controlroom.test"]
    assert line["level"] == "ERROR"
    assert line["message"] == "it failed for 07700\u2022\u2022\u202223"
    assert (
        "ValueError: caller +447700\u2022\u2022\u202223 said input_value=[text]"
        in (line["exception"])
    )
    assert NUMBER not in lines.stream.getvalue() and "Zebedee" not in lines.stream.getvalue()
    assert line["request_id"] is None and line["contact_id"] is None


def test_numbers_in_fields_given_with_the_record_are_masked(lines: Lines) -> None:
    logging.getLogger("controlroom.test").warning("sms failed", extra={"to": NUMBER, "tries": 3})
    (line,) = [line for line in lines.all() if line["logger"] == "controlroom.test"]
    assert (line["to"], line["tries"]) == ("+447700\u2022\u2022\u202223", 3)


def test_the_text_format_names_the_ids_and_fields() -> None:
    record = logging.LogRecord(
        "controlroom.contacts", logging.INFO, "", 0, "contact offered", None, None
    )
    record.request_id, record.contact_id, record.channel = "r-1", "C-1", "999"
    line = TextFormatter().format(record)
    assert line.endswith(
        "INFO controlroom.contacts: contact offered [request_id=r-1 contact_id=C-1 channel=999]"
    )


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="json or text"):
        logging_config("xml", "info")


def test_serve_writes_json_lines_with_the_request_id(tmp_path: Path) -> None:
    """``controlroom serve --log-format json`` as an operator runs it."""
    with socket_port() as port:
        pass
    env = {
        "CONTROLROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'cr.db'}",
        "CONTROLROOM_DEMO": "false",
        "CONTROLROOM_SECURE_COOKIES": "true",
        "CONTROLROOM_MODEL_DIR": str(tmp_path / "no-model"),
        "PATH": "/usr/bin:/bin",
    }
    command = [sys.executable, "-m", "controlroom", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--log-format", "json", "--log-level", "info"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/healthz", headers={"X-Request-ID": "probe-1"}
                )
                break
            except httpx.TransportError:
                assert process.poll() is None, "serve stopped"
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    parsed = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert any(line["message"].startswith("Application startup complete") for line in parsed)
    probe = [line for line in parsed if line.get("path") == "/healthz"]
    assert probe and probe[0]["request_id"] == "probe-1" and probe[0]["status"] == 200


class socket_port:
    """A free local port."""

    def __enter__(self) -> int:
        import socket

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        return int(self.sock.getsockname()[1])

    def __exit__(self, *_: object) -> None:
        self.sock.close()
