"""``controlroom location parse`` and ``controlroom location aml``: JSON out, errors, exit codes."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from click.testing import CliRunner, Result

from controlroom.cli import main

AML_V1 = (
    'A"ML=1;lt=+55.74297;lg=-4.26880;rd=10;top=20130717175329;lc=95;pm=G;'
    "si=234302543446355;ei=356708041746734;mcc=234;mnc=30;ml=127"
)
KEY = b"force key"
BODY = b"emergency_number=999&location_latitude=50.3712&location_longitude=-4.1427"
SIGNED = BODY + b"&hmac=" + hmac.new(KEY, BODY, hashlib.sha1).hexdigest().encode()


def run(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(main, ["location", *args], input=stdin)


def error_of(result: Result) -> dict[str, str]:
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    payload = json.loads(result.stderr)
    assert set(payload) == {"error"}
    error: dict[str, str] = payload["error"]
    return error


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("SX 12345 67890", "os_grid_reference"),
        ("251234 054321", "os_easting_northing"),
        ("50°22'16.3\"N 4°08'33.7\"W", "dms"),
        ("50.3712, -4.1427", "decimal_degrees"),
        ("9C2RP8F9+5V", "plus_code"),
        (AML_V1, "aml_sms_v1"),
    ],
)
def test_parse_prints_the_format_and_the_fix(text: str, fmt: str) -> None:
    result = run("parse", text)
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"format", "fix", "normalised", "note"}
    assert payload["format"] == fmt
    assert -90 <= payload["fix"]["lat"] <= 90
    assert payload["note"]


def test_parse_without_a_fix_prints_null_and_the_normalised_value() -> None:
    payload = json.loads(run("parse", "pl1 1aa").stdout)
    assert payload["format"] == "postcode"
    assert payload["fix"] is None
    assert payload["normalised"] == "PL1 1AA"
    words = json.loads(run("parse", "///Filled.Count.Soap").stdout)
    assert (words["format"], words["fix"], words["normalised"]) == (
        "what3words",
        None,
        "filled.count.soap",
    )


def test_parse_near_resolves_a_short_plus_code() -> None:
    payload = json.loads(run("parse", "P8F9+5V", "--near", "50.72,-3.53").stdout)
    assert payload["format"] == "plus_code"
    assert payload["normalised"] == "9C2RP8F9+5V"


def test_parse_rejects_a_bad_near_as_usage_error() -> None:
    result = run("parse", "P8F9+5V", "--near", "north")
    assert result.exit_code == 2
    assert "--near" in result.stderr


def test_parse_unrecognised_text_is_an_error_on_stderr() -> None:
    error = error_of(run("parse", "somewhere near the pub"))
    assert error["code"] == "unrecognised_location"
    assert error["field"] == "text"
    assert "PL1 1AA" in error["hint"]


def test_parse_a_malformed_grid_reference() -> None:
    error = error_of(run("parse", "SX 1234 567"))
    assert error["field"] == "os_grid"


def test_aml_parses_a_message_argument() -> None:
    result = run("aml", AML_V1)
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["format"] == "aml_sms_v1"
    assert payload["fix"]["positioned_at"] == "2013-07-17T17:53:29Z"
    assert payload["fix"]["imsi"] == "234302543446355"


def test_aml_reads_stdin_and_verifies_the_hmac() -> None:
    result = run("aml", "-", "--hmac-key", KEY.hex(), stdin=SIGNED + b"\n")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["fix"]["flags"] == []


def test_aml_refuses_a_bad_hmac() -> None:
    tampered = SIGNED.replace(b"50.3712", b"50.3713")
    error = error_of(run("aml", "-", "--hmac-key", KEY.hex(), stdin=tampered))
    assert error["field"] == "hmac"


def test_aml_refuses_a_truncated_message() -> None:
    error = error_of(run("aml", AML_V1[:-4]))
    assert error["code"] == "invalid_aml"
    assert error["field"] == "ml"


def test_aml_rejects_a_key_that_is_not_hex() -> None:
    result = run("aml", AML_V1, "--hmac-key", "not-hex")
    assert result.exit_code == 2
    assert "--hmac-key" in result.stderr
