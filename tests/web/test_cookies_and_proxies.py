"""Console cookies are Secure over HTTPS, directly or as a trusted proxy says; a proxy that is
not trusted cannot say so; ``controlroom serve`` warns when nothing marks them Secure."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.cli.serve import cookie_warning
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.web.app import create_app


def _cookies(client: TestClient, **headers: str) -> list[str]:
    response = client.get("/console/login", headers=headers)
    assert response.status_code == 200
    cookies = response.headers.get_list("set-cookie")
    assert cookies, "the sign-in page sets its CSRF cookie"
    return cookies


def _app(settings: Settings, policy: Policy, **changes: object) -> TestClient:
    changed = settings.model_copy(update=changes)
    app = create_app(changed, policy=policy, uow_factory=uow_factory(changed, migrate_first=False))
    return TestClient(app)


def test_cookies_over_https_are_secure(settings: Settings, policy: Policy) -> None:
    with _app(settings, policy) as client:
        client.base_url = client.base_url.copy_with(scheme="https")
        assert all("Secure" in cookie for cookie in _cookies(client))


def test_cookies_over_plain_http_are_not_marked_secure(settings: Settings, policy: Policy) -> None:
    with _app(settings, policy) as client:
        assert not any("Secure" in cookie for cookie in _cookies(client))


def test_a_trusted_proxy_saying_https_makes_them_secure(settings: Settings, policy: Policy) -> None:
    with _app(settings, policy, trusted_proxies="testclient") as client:
        cookies = _cookies(client, **{"X-Forwarded-Proto": "https"})
    assert all("Secure" in cookie for cookie in cookies)


def test_an_untrusted_proxy_cannot_say_https(settings: Settings, policy: Policy) -> None:
    with _app(settings, policy, trusted_proxies="10.1.2.3") as client:
        cookies = _cookies(client, **{"X-Forwarded-Proto": "https"})
    assert not any("Secure" in cookie for cookie in cookies)


def test_the_secure_cookies_setting_marks_them_always(settings: Settings, policy: Policy) -> None:
    with _app(settings, policy, secure_cookies=True) as client:
        assert all("Secure" in cookie for cookie in _cookies(client))


@pytest.mark.parametrize(
    ("changes", "warned"),
    [({}, True), ({"trusted_proxies": "10.0.0.1"}, False), ({"secure_cookies": True}, False)],
)
def test_start_up_warns_when_cookies_may_travel_without_secure(
    settings: Settings, changes: dict[str, object], warned: bool
) -> None:
    warning = cookie_warning(settings.model_copy(update=changes))
    assert (warning is not None) == warned
    if warning:
        assert "CONTROLROOM_TRUSTED_PROXIES" in warning and "Secure" in warning
