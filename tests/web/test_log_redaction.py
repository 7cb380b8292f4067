"""Secrets never reach the logs: the access log line of a request with an API key in its query
string, and Authorization values in any log record, are redacted."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from controlroom.web.log_redaction import install_redaction, redact

SECRET = "s3cr3t-Key-0123456789"


def test_the_access_log_line_hides_query_string_secrets(
    served: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="uvicorn.access")
    query = f"?jurisdiction_id=dc&api_key={SECRET}&token={SECRET}&access_token={SECRET}"
    response = httpx.get(f"{served}/open311/v2/services.json{query}")
    assert response.status_code < 500
    deadline = time.monotonic() + 5
    while not [r for r in caplog.records if r.name == "uvicorn.access"]:
        assert time.monotonic() < deadline, "no access log line"
        time.sleep(0.02)
    (record,) = [r for r in caplog.records if r.name == "uvicorn.access"]
    line = record.getMessage()
    assert SECRET not in line and SECRET not in caplog.text
    assert "/open311/v2/services.json?jurisdiction_id=dc&api_key=[redacted]" in line
    assert "&token=[redacted]&access_token=[redacted]" in line


def test_authorization_values_are_redacted_in_any_log_record(
    caplog: pytest.LogCaptureFixture,
) -> None:
    install_redaction()  # as create_app does
    caplog.set_level(logging.INFO)
    logging.getLogger("controlroom.anything").info(
        "forwarding %s with Authorization: Bearer %s to %s",
        "request",
        SECRET,
        f"https://example.test/cb?code={SECRET}&state=ok",
    )
    assert SECRET not in caplog.text
    assert "Authorization: Bearer [redacted]" in caplog.text
    assert "cb?code=[redacted]&state=ok" in caplog.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /x?key=abc HTTP/1.1", "GET /x?key=[redacted] HTTP/1.1"),
        ("/x?PASSWORD=hunter2;next=1", "/x?PASSWORD=[redacted];next=1"),
        ("/x?service_code=theft&monkey=1", "/x?service_code=theft&monkey=1"),
        ("authorization: Basic dXNlcjpwYXNz", "authorization: Basic [redacted]"),
        ('{"Authorization": "Bearer abc.def"}', '{"Authorization": "Bearer [redacted]"}'),
        # telephone numbers, in every format a caller's number arrives in
        ("caller +447700900123 rang", "caller +447700•••23 rang"),
        ("+44 7700 900123.", "+447700•••23."),
        ("?caller=%2B447700900123&x=1", "?caller=%2B447700•••23&x=1"),
        ("from 447700900123", "from 447700•••23"),
        ("07700 900123, again", "07700•••23, again"),
        ("tel:01632-960-001", "tel:01632•••01"),
        ("/api/x/07700900123/y", "/api/x/07700•••23/y"),
        # ... and not what only looks like one
        ("DC-20261207-0042 C-20261207-0a1b2c3d4e", "DC-20261207-0042 C-20261207-0a1b2c3d4e"),
        (
            "at 2026-12-07T14:15:00.123Z from 10.0.0.1:8000",
            "at 2026-12-07T14:15:00.123Z from 10.0.0.1:8000",
        ),
        ("999 and 101 and 55", "999 and 101 and 55"),
        ("request 0123456789abcdef0123456789abcdef", "request 0123456789abcdef0123456789abcdef"),
        # free text in query strings and quoted inputs
        (
            "GET /api/contacts/search?q=knife+fight&limit=5",
            "GET /api/contacts/search?q=[text]&limit=5",
        ),
        ("/console/location/search?TEXT=1%20High%20St", "/console/location/search?TEXT=[text]"),
        ("input_value='He has a knife', input_type=str", "input_value=[text], input_type=str"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected
