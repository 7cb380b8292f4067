"""``controlroom doctor``'s judgements of settings and probe results."""

from __future__ import annotations

import pytest

from controlroom.domain import doctor
from controlroom.domain.doctor import Level

GOOD_KEY = "q8Vn3kZr7YtLw2Hc5Jd9Mf4Bx6Ps1Ga0"


@pytest.mark.parametrize(
    ("value", "level", "says"),
    [
        (None, Level.FAIL, "is not set: sessions end"),
        ("", Level.FAIL, "is not set"),
        ("abc123", Level.FAIL, "is only 6 characters"),
        ("change-me-change-me-change-me-change-me", Level.FAIL, "placeholder"),
        ("a" * 40, Level.FAIL, "placeholder"),
        (GOOD_KEY, Level.OK, "set (32 characters)"),
    ],
)
def test_secrets(value: str | None, level: Level, says: str) -> None:
    finding = doctor.check_secret("session secret", "CONTROLROOM_X", value, "sessions end")
    assert finding.level is level and says in finding.found
    assert GOOD_KEY not in finding.line()  # a secret is never printed
    if level is Level.FAIL:
        assert "CONTROLROOM_X to 32+ random characters" in finding.fix


def test_demo_data_fails_a_deployment() -> None:
    assert doctor.check_demo(True).level is Level.FAIL
    assert "CONTROLROOM_DEMO=false" in doctor.check_demo(True).fix
    assert doctor.check_demo(False).level is Level.OK


def test_cookies() -> None:
    assert doctor.check_cookies(True, "").level is Level.OK
    behind = doctor.check_cookies(False, "127.0.0.1")
    assert behind.level is Level.WARN and "proxy marks https" in behind.found
    bare = doctor.check_cookies(False, "")
    assert bare.level is Level.WARN and "without TLS" in bare.found
    assert "CONTROLROOM_SECURE_COOKIES=true" in bare.fix


@pytest.mark.parametrize(
    ("proxies", "level", "says"),
    [
        ("", Level.OK, "headers are ignored"),
        ("127.0.0.1, ::1", Level.OK, "only from 127.0.0.1, ::1"),
        ("10.1.2.0/28", Level.OK, "only from 10.1.2.0/28"),
        ("*", Level.FAIL, "from every client"),
        ("127.0.0.1,proxy.local", Level.FAIL, "'proxy.local' is not an IP address"),
        ("0.0.0.0/0", Level.WARN, "more than 256 addresses"),
    ],
)
def test_proxy_trust(proxies: str, level: Level, says: str) -> None:
    finding = doctor.check_proxies(proxies)
    assert finding.level is level and says in finding.found


def test_schema() -> None:
    assert doctor.check_schema("0009", "0009", True).level is Level.OK
    behind = doctor.check_schema("0008", "0009", True)
    assert behind.level is Level.FAIL and behind.fix == "run: controlroom db upgrade"
    empty = doctor.check_schema(None, "0009", True)
    assert empty.level is Level.FAIL and "no schema" in empty.found
    newer = doctor.check_schema("0099", "0009", False)
    assert newer.level is Level.FAIL and "newer than this version knows" in newer.found


@pytest.mark.parametrize(
    ("skew", "level", "says"),
    [
        (0.2, Level.OK, "within 1 s"),
        (-2.5, Level.WARN, "2.5 s behind the database server's"),
        (12.0, Level.FAIL, "12.0 s ahead of the database server's"),
        (None, Level.OK, "the database's clock is this machine's"),
    ],
)
def test_clock(skew: float | None, level: Level, says: str) -> None:
    finding = doctor.check_clock(skew, "SQLite")
    assert finding.level is level and says in finding.found
    if level is not Level.OK:
        assert "NTP" in finding.fix


def test_line_and_exit_code() -> None:
    bad = doctor.fail("redis", "cannot be reached", "start it")
    assert bad.line(6) == "FAIL  redis   cannot be reached — start it"
    assert doctor.ok("tiles", "fetched").line(6) == "ok    tiles   fetched"
    assert doctor.exit_code([doctor.ok("a", "b"), doctor.warn("c", "d", "e")]) == 0
    assert doctor.exit_code([doctor.ok("a", "b"), bad]) == 1


def test_single_sign_on() -> None:
    assert doctor.check_oidc(None, "", "").level is Level.OK
    plain = doctor.check_oidc("http://idp.example.police.uk", "console", "s")
    assert plain.level is Level.FAIL and "is not https://" in plain.found
    missing = doctor.check_oidc("https://idp.example.police.uk", "console", "")
    assert missing.level is Level.FAIL and missing.found == "CONTROLROOM_OIDC_CLIENT_SECRET not set"
    good = doctor.check_oidc("https://idp.example.police.uk", "console", "s3cret")
    assert good.level is Level.OK and "s3cret" not in good.found
    assert doctor.check_oidc("http://127.0.0.1:8080/realm", "console", "x").level is Level.OK
