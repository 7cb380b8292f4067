"""Every endpoint × every role, from the one permission table (``ROLE_PERMISSIONS``).

The routes are read from the application itself, so an endpoint added without an entry in
:data:`ENDPOINTS` fails :func:`test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from controlroom.domain.access import ROLE_PERMISSIONS, Permission, Principal
from controlroom.domain.contacts import Answer, Caller, Role
from controlroom.domain.triage import Channel
from controlroom.services.contacts import do_action, offer_contact
from controlroom.services.nuisance import do_open_case
from controlroom.web.auth import Require
from tests.mait_receiver import ack_document, written_create
from tests.outbox_support import parked_message
from tests.web.conftest import bearer
from tests.web.test_ladder_safeguards_api import flagged_number

P = Permission
#: Routes anyone may call: the health check, the API's own documentation, and Open311 (its
#: submissions authenticate with the spec's ``api_key`` in the form, not a bearer token).
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),  # readiness: says only whether the database is reachable and migrated
    ("GET", "/metrics"),  # its own token, CONTROLROOM_METRICS_TOKEN (test_metrics_api.py)
    ("GET", "/"),  # links to the console, the public pages and the API documentation
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/assets"),  # Swagger UI's scripts and styles, served here (no CDN)
    ("GET", "/open311/v2/services.{fmt}"),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"),
    ("POST", "/open311/v2/requests.{fmt}"),
    ("GET", "/open311/v2/requests.{fmt}"),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"),
    ("GET", "/open311/v2/tokens/{token}.{fmt}"),
    ("GET", "/open311/v2/{path:path}"),
    ("POST", "/open311/v2/{path:path}"),
    # The force's public pages (web/public): no login, by design (docs/digital101.md).
    ("GET", "/public/"),
    ("POST", "/public/guidance"),
    ("GET", "/public/report"),
    ("GET", "/public/report/{service_code}"),
    ("POST", "/public/report/{service_code}"),
    ("GET", "/public/status"),
    ("POST", "/public/status"),
    ("GET", "/public/static/{name}"),
    ("GET", "/public/chat"),
    ("GET", "/public/chat/ws"),  # the visitor's chat socket (WebSocket)
    # The API's operator chat socket authenticates in its first frame with a token holding
    # contact:act (tests/web/test_public_chat.py); people chat in the console
    # (tests/web/test_console_chat.py, rows in tests/web/test_console_access.py).
    ("GET", "/api/chat/ws"),
}
#: Every other route and the permission it needs.
ENDPOINTS: dict[tuple[str, str], Permission] = {
    ("POST", "/api/triage"): P.TRIAGE_RUN,
    ("POST", "/api/triage/batch"): P.TRIAGE_RUN,
    ("POST", "/api/triage/reassess"): P.TRIAGE_RUN,
    ("GET", "/api/contacts"): P.CONTACT_READ,
    ("POST", "/api/contacts"): P.CONTACT_ACT,
    ("GET", "/api/contacts/search"): P.CONTACT_READ,
    ("GET", "/api/contacts/{contact_id}"): P.CONTACT_READ,
    ("POST", "/api/contacts/{contact_id}/actions"): P.CONTACT_ACT,
    ("POST", "/api/contacts/{contact_id}/answers"): P.CONTACT_ACT,
    ("GET", "/api/contacts/{contact_id}/location.geojson"): P.CONTACT_READ,
    ("POST", "/api/contacts/{contact_id}/location"): P.CONTACT_ACT,
    ("POST", "/api/telephony/events"): P.TELEPHONY_INGEST,
    ("GET", "/api/telephony/commands"): P.TELEPHONY_INGEST,  # outbound SMS for the gateway
    ("GET", "/api/contacts/{contact_id}/messages"): P.CONTACT_READ,  # the emergencySMS thread
    ("POST", "/api/contacts/{contact_id}/messages"): P.CONTACT_ACT,  # a reply by SMS
    ("POST", "/api/location/aml"): P.TELEPHONY_INGEST,
    ("GET", "/api/audit"): P.AUDIT_READ,
    ("GET", "/api/figures"): P.REPORTS_READ,  # the supervisor's figures for a period
    ("POST", "/api/planning/run"): P.REPORTS_READ,  # capacity planning
    ("GET", "/api/outbox"): P.REPORTS_READ,
    ("POST", "/api/outbox/{message_id}/retry"): P.CONTACT_SUPERVISE,
    ("POST", "/api/mait/acknowledgements"): P.PARTNER_ACKNOWLEDGE,
    ("GET", "/api/callers/{identifier}/history"): P.CONTACT_READ,
    ("GET", "/api/callers/{identifier}/timeline"): P.CONTACT_READ,
    ("GET", "/api/nuisance/flagged"): P.REPORTS_READ,
    ("GET", "/api/nuisance/cases"): P.REPORTS_READ,
    ("POST", "/api/nuisance/cases"): P.CONTACT_ACT,
    ("GET", "/api/nuisance/cases/{case_id}"): P.CONTACT_READ,
    ("POST", "/api/nuisance/cases/{case_id}/actions"): P.CONTACT_ACT,
    ("GET", "/api/nuisance/cases/{case_id}/documents/{kind}.pdf"): P.CONTACT_ACT,
    ("GET", "/api/nuisance/cases/{case_id}/documents/{kind}.html"): P.CONTACT_ACT,
    ("POST", "/api/nuisance/calls/{contact_id}/markers"): P.CONTACT_ACT,
}
ROLES = [role.value for role in Role]
NO_TOKEN, BAD_TOKEN = "(no token)", "(bad token)"


def _routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """Every (method, path) the application answers, with the route object behind it."""
    try:  # FastAPI versions that keep included routers whole list them through this
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - older FastAPI lists every route in app.routes
        contexts: list[Any] = list(app.routes)
    else:
        contexts = list(iter_route_contexts(app.routes))
    found: dict[tuple[str, str], Any] = {}
    for context in contexts:
        original = getattr(context, "original_route", context)
        for method in (context.methods or {"GET"}) - {"HEAD", "OPTIONS"}:
            found[(method, str(context.path))] = original
    return found


def _console(method_path: tuple[str, str]) -> bool:
    """The console's pages (session sign-in) and its static files: their own matrix is in
    tests/web/test_console_access.py."""
    return method_path[1] == "/static" or method_path[1].startswith("/console")


def test_every_route_is_in_the_matrix(app: FastAPI) -> None:
    routes = {route for route in _routes(app) if not _console(route)}
    assert routes - PUBLIC == set(ENDPOINTS), "add new endpoints to ENDPOINTS with a permission"
    assert routes >= PUBLIC


def _declared(dependencies: list[Any]) -> set[Permission]:
    found: set[Permission] = set()
    for dependant in dependencies:
        if isinstance(dependant.call, Require):
            found.add(dependant.call.permission)
        found |= _declared(dependant.dependencies)
    return found


def test_each_route_requires_the_permission_of_the_matrix(app: FastAPI) -> None:
    for (method, path), route in _routes(app).items():
        if _console((method, path)):
            continue
        if (method, path) in PUBLIC:
            assert not isinstance(route, APIRoute) or not _declared(route.dependant.dependencies)
            continue
        assert isinstance(route, APIRoute), path
        assert _declared(route.dependant.dependencies) == {ENDPOINTS[(method, path)]}, path


def test_public_routes_need_no_token(anonymous: TestClient) -> None:
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/openapi.json").status_code == 200
    assert anonymous.get("/docs").status_code == 200
    assert anonymous.get("/open311/v2/services.json").status_code == 200


@pytest.mark.parametrize("api_key", ["", "cr_0123456789abcdef_" + "x" * 43, "not-a-key"])
def test_open311_submissions_without_a_valid_api_key_are_403_in_the_spec_format(
    anonymous: TestClient, token_for: Callable[[str], str], api_key: str
) -> None:
    form = {"service_code": "crime", "lat": "50.37", "long": "-4.14", "description": "x"}
    form |= {"api_key": api_key} if api_key else {}
    response = anonymous.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 403
    assert response.json() == [{"code": 403, "description": response.json()[0]["description"]}]
    assert "api_key" in response.json()[0]["description"]
    call_handler = token_for("call_handler")  # a valid token whose role may not submit
    response = anonymous.post("/open311/v2/requests.json", data=form | {"api_key": call_handler})
    assert response.status_code == 403 and response.json()[0]["code"] == 403


_FORM = {"content-type": "application/x-www-form-urlencoded"}


def _aml_body(serial: int, at: datetime) -> bytes:
    millis = int(at.timestamp() * 1000)
    return (
        f"v=1&emergency_number=999&source=sms&time={millis}&location_latitude=50.3{serial % 10}"
        f"&location_longitude=-4.14&location_time={millis}&location_accuracy=12"
        f"&location_source=gps&device_number=%2B4477009{serial:05d}"
    ).encode()


def _request(
    method: str, path: str, contact_id: str, serial: int, case_id: str = ""
) -> tuple[str, str, dict[str, Any]]:
    """A request to ``path`` that a role holding the permission gets a 2xx for."""
    url = path.replace("{contact_id}", contact_id).replace("{case_id}", case_id)
    url = url.replace("{identifier}", "+447700900999").replace("{kind}", "safeguarding_referral")
    now = datetime.now(UTC) - timedelta(seconds=5)
    bodies: dict[str, Any] = {
        "/api/triage": {"text": "My neighbour is playing loud music"},
        "/api/triage/batch": {"contacts": [{"text": "My bike was stolen"}]},
        "/api/triage/reassess": {"text": "Hello?", "answers": {"danger": "no"}},
        "/api/contacts": {"channel": "online_report", "narrative": "My bike was stolen"},
        "/api/contacts/{contact_id}/actions": {"action": "add_note", "text": "checked"},
        "/api/contacts/{contact_id}/answers": {"answers": {"weapon": "yes"}},
        "/api/contacts/{contact_id}/location": {"text": "SX 47712 54421"},
        "/api/telephony/events": {
            "id": f"ev-{serial}",
            "type": "call.offered",
            "occurred_at": now.isoformat(),
            "call_id": f"PBX-{serial}",
            "channel": "999",
            "caller": {"number": "+447700900123"},
        },
        "/api/nuisance/cases": {"number": "+447700900123", "reason": "repeated silent calls"},
        "/api/nuisance/cases/{case_id}/actions": {
            "action": "record",
            "step": "advice",
            "note": "advised on the call",
        },
        "/api/nuisance/calls/{contact_id}/markers": {"hoax": True, "reason": "no such crash"},
        "/api/contacts/{contact_id}/messages": {"text": "Police are on the way."},
        "/api/outbox/{message_id}/retry": {},
        "/api/planning/run": {"weeks": 1},
    }
    if path == "/api/location/aml":
        return method, url, {"content": _aml_body(serial, now), "headers": _FORM}
    if path == "/api/contacts/search":
        return method, url, {"params": {"q": "07700 900999"}}
    if path == "/api/mait/acknowledgements":
        return method, url, {"headers": {"content-type": "application/xml"}}
    kwargs: dict[str, Any] = {"json": bodies[path]} if method == "POST" else {}
    if method == "POST" and path == "/api/contacts":
        kwargs["json"] = bodies["/api/contacts"] | {"caller": {"name": "A Person"}}
    return method, url, kwargs


@pytest.mark.parametrize("who", [*ROLES, NO_TOKEN, BAD_TOKEN])
@pytest.mark.parametrize(("method", "path"), sorted(ENDPOINTS))
def test_each_role_gets_exactly_what_its_permissions_allow(
    app: FastAPI,
    anonymous: TestClient,
    token_for: Callable[[str], str],
    policy: Any,
    method: str,
    path: str,
    who: str,
) -> None:
    sms = path.endswith("/messages")  # a reply goes to an answered emergencySMS contact
    contact = offer_contact(
        app.state.uow_factory,
        Principal("setup", Role.CALL_HANDLER),
        channel=Channel.EMERGENCY_SMS if sms else Channel.NINE_NINE_NINE,
        caller=Caller(number="+447700900999"),
        narrative="Help he is outside" if sms else "",
        now=datetime.now(UTC) - timedelta(minutes=1),
        policy=policy,
    )
    if sms:
        setup, at = Principal("setup", Role.CALL_HANDLER), datetime.now(UTC)
        do_action(app.state.uow_factory, setup, contact.contact.id, Answer(), at, policy)
    if who == NO_TOKEN:
        headers: dict[str, str] = {}
    elif who == BAD_TOKEN:
        headers = bearer("cr_0123456789abcdef_" + "x" * 43)
    else:
        headers = bearer(token_for(who))
    case_id = ""
    if "{case_id}" in path:
        setup = Principal("setup", Role.CALL_HANDLER)
        case_id = do_open_case(
            app.state.uow_factory,
            setup,
            number="+447700900999",
            imei=None,
            reason="repeated calls",
            now=datetime.now(UTC) - timedelta(seconds=30),
            policy=policy,
            config=app.state.nuisance,
        ).case.id
    method, url, kwargs = _request(method, path, contact.contact.id, next(_SERIAL), case_id)
    if "{message_id}" in url:
        parked = parked_message(app.state.uow_factory, datetime.now(UTC))
        url = url.replace("{message_id}", str(parked))
    if path == "/api/mait/acknowledgements":
        sent = written_create(app.state.uow_factory, policy, contact.contact.id, "ambulance-999")
        kwargs["content"] = ack_document(sent, "RECEIVED")
    headers |= kwargs.pop("headers", {})
    response = anonymous.request(method, url, headers=headers, **kwargs)
    permission = ENDPOINTS[(method, path)]
    if who in (NO_TOKEN, BAD_TOKEN):
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
    elif permission in ROLE_PERMISSIONS[Role(who)]:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert response.status_code == 403, response.text
        error = response.json()["error"]
        assert error["code"] == "forbidden"
        assert who in error["message"] and permission.value in error["message"]


_SERIAL = itertools.count(1)


def test_the_home_page_points_at_the_front_doors(anonymous: TestClient) -> None:
    page = anonymous.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for link in ('href="/console/login"', 'href="/public/"', 'href="/docs"'):
        assert link in page.text


#: Nuisance-case actions that need more than ``contact:act``: the supervisor's decisions.
CASE_ACTIONS: dict[str, Permission] = {
    "override_vulnerability": P.CONTACT_SUPERVISE,  # the ladder's safeguard (docs/nuisance.md)
    "record": P.CONTACT_ACT,
}


@pytest.mark.parametrize("who", ROLES)
@pytest.mark.parametrize("action", sorted(CASE_ACTIONS))
def test_only_a_supervisor_overrides_the_ladders_safeguard(
    app: FastAPI,
    anonymous: TestClient,
    token_for: Callable[[str], str],
    policy: Any,
    action: str,
    who: str,
) -> None:
    number = f"+4477009{next(_SERIAL) % 100000:05d}"
    flagged_number(app, policy, number)
    case_id = do_open_case(
        app.state.uow_factory,
        Principal("setup", Role.CALL_HANDLER),
        number=number,
        imei=None,
        reason="calls from a flagged number",
        now=datetime.now(UTC) - timedelta(seconds=30),
        policy=policy,
        config=app.state.nuisance,
    ).case.id
    body = {"action": action, "reason": "the care team agree"}
    if action == "record":
        body = {"action": action, "step": "advice", "note": "advised"}
    response = anonymous.post(
        f"/api/nuisance/cases/{case_id}/actions", json=body, headers=bearer(token_for(who))
    )
    granted = ROLE_PERMISSIONS[Role(who)]
    allowed = P.CONTACT_ACT in granted and CASE_ACTIONS[action] in granted
    assert response.status_code == (200 if allowed else 403), (who, response.text)
