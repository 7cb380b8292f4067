"""Every console route × every role: the console's own access matrix.

The console signs people in with a session, not a token, so its routes are listed here rather
than in test_access_matrix.py; the permission is checked by the same ``access_check``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from controlroom.domain.access import ROLE_PERMISSIONS, Permission
from controlroom.domain.contacts import Role
from controlroom.web.console.deps import RequireSession
from tests.web.console_support import USERS, add_users, sign_in
from tests.web.test_access_matrix import _routes

P = Permission
#: Each console route and the permission it needs (None: open, the sign-in pages).
ROUTES: dict[tuple[str, str], Permission | None] = {
    ("GET", "/console"): None,
    ("GET", "/console/login"): None,
    ("POST", "/console/login"): None,
    ("POST", "/console/logout"): None,
    ("GET", "/console/login/sso"): None,
    ("GET", "/console/login/sso/callback"): None,
    ("GET", "/console/handler"): P.CONTACT_READ,
    ("GET", "/console/handler/{contact_id}"): P.CONTACT_READ,
    ("POST", "/console/contacts/{contact_id}/actions"): P.CONTACT_READ,
    ("GET", "/console/contacts/{contact_id}/location.geojson"): P.CONTACT_READ,
    # the emergencySMS thread; a reply needs contact:act, checked by the service
    ("GET", "/console/contacts/{contact_id}/thread"): P.CONTACT_READ,
    ("POST", "/console/contacts/{contact_id}/messages"): P.CONTACT_READ,
    ("POST", "/console/contacts/{contact_id}/location"): P.CONTACT_READ,
    # the partner agencies panel; sending needs contact:act, checked by the service
    ("GET", "/console/contacts/{contact_id}/partners"): P.CONTACT_READ,
    ("POST", "/console/contacts/{contact_id}/partners"): P.CONTACT_READ,
    ("GET", "/console/location/search"): P.CONTACT_READ,
    ("GET", "/console/basemap.geojson"): P.CONTACT_READ,
    ("GET", "/console/queue"): P.CONTACT_READ,
    ("GET", "/console/queue/view"): P.CONTACT_READ,
    ("GET", "/console/search"): P.CONTACT_READ,
    ("GET", "/console/live"): P.CONTACT_READ,
    ("GET", "/console/alarms"): P.CONTACT_READ,
    # Live chat: everyone who reads contacts follows a chat; handlers and supervisors write.
    ("GET", "/console/contacts/{contact_id}/chat/live"): P.CONTACT_READ,
    ("POST", "/console/contacts/{contact_id}/chat/messages"): P.CONTACT_ACT,
    ("POST", "/console/contacts/{contact_id}/chat/typing"): P.CONTACT_ACT,
    ("POST", "/console/contacts/{contact_id}/chat/end"): P.CONTACT_ACT,
    ("GET", "/console/supervisor"): P.REPORTS_READ,
    ("GET", "/console/supervisor/figures"): P.REPORTS_READ,
    ("GET", "/console/supervisor/figures.csv"): P.REPORTS_READ,
    ("GET", "/console/planning"): P.REPORTS_READ,
    ("GET", "/console/planning.csv"): P.REPORTS_READ,
    ("GET", "/console/planning.json"): P.REPORTS_READ,
    ("POST", "/console/nuisance/{case_id}/{decision}"): P.REPORTS_READ,
    ("GET", "/console/outbox"): P.REPORTS_READ,
    # a retry needs contact:supervise too, checked by the service
    ("POST", "/console/outbox/{message_id}/retry"): P.REPORTS_READ,
    ("GET", "/console/cases"): P.CONTACT_ACT,
    ("POST", "/console/cases"): P.CONTACT_ACT,
    ("GET", "/console/cases/{case_id}"): P.CONTACT_ACT,
    ("POST", "/console/cases/{case_id}/actions"): P.CONTACT_ACT,
    ("GET", "/console/cases/{case_id}/documents/{kind}.html"): P.CONTACT_ACT,
}
PAGES = [path for (method, path), _ in ROUTES.items() if method == "GET" and "{" not in path]


def _console_routes(app: FastAPI) -> dict[tuple[str, str], APIRoute]:
    found = {}
    for (method, path), route in _routes(app).items():
        if path.startswith("/console"):
            assert isinstance(route, APIRoute), path
            found[(method, path)] = route
    return found


def _required(route: APIRoute) -> set[Permission]:
    return {
        dep.call.permission
        for dep in route.dependant.dependencies
        if isinstance(dep.call, RequireSession)
    }


def test_every_console_route_is_listed_with_its_permission(app: FastAPI) -> None:
    routes = _console_routes(app)
    assert set(routes) == set(ROUTES)
    for key, route in routes.items():
        wanted = ROUTES[key]
        assert _required(route) == (set() if wanted is None else {wanted}), key


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    add_users(app)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_opens_exactly_the_pages_its_permissions_allow(
    client: TestClient, role: str
) -> None:
    assert sign_in(client, USERS[role]).status_code == 303
    granted = ROLE_PERMISSIONS[Role(role)]
    for path in PAGES:
        wanted = ROUTES[("GET", path)]
        if wanted is None or path == "/console/live":
            continue
        answer = client.get(path, follow_redirects=False)
        opened = 303 if path == "/console/queue/view" else 200  # it sets the view and goes back
        assert answer.status_code == (opened if wanted in granted else 403), (role, path)


def test_without_signing_in_every_page_sends_you_to_sign_in(client: TestClient) -> None:
    for path in PAGES:
        if ROUTES[("GET", path)] is None:
            continue
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/console/login"), path
