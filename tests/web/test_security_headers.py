"""Security headers on every page and API answer, and the API documentation without a CDN."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.web.app import create_app

PATHS = [
    "/",
    "/console/login",
    "/docs",
    "/openapi.json",
    "/api/contacts",  # 401 without a token: refusals get the headers too
    "/api/no-such-thing",
    "/public/",
    "/public/report",
    "/healthz",
    "/readyz",
    "/static/console/console.js",
    "/docs/assets/swagger-ui-bundle.js",
]


def _directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(None, 1) for part in policy.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


@pytest.mark.parametrize("path", PATHS)
def test_every_response_has_the_security_headers(anonymous: TestClient, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code < 500, response.text
    headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    csp = _directives(headers["content-security-policy"])
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    scripts = csp.get("script-src", csp["default-src"])
    assert "'unsafe-inline'" not in scripts and "http" not in scripts and "*" not in scripts


def test_api_answers_may_load_nothing(client: TestClient) -> None:
    response = client.get("/api/contacts")
    assert response.status_code == 200
    assert _directives(response.headers["content-security-policy"])["default-src"] == "'none'"


def test_the_console_allows_its_own_scripts_only(anonymous: TestClient) -> None:
    csp = _directives(anonymous.get("/console/login").headers["content-security-policy"])
    assert csp["script-src"] == "'self'" and csp["connect-src"] == "'self'"


def test_map_tiles_are_allowed_from_the_configured_tile_server(
    settings: Settings, policy: Policy
) -> None:
    tiled = settings.model_copy(
        update={"tile_url": "https://tiles.example.police.uk/{z}/{x}/{y}.png"}
    )
    app = create_app(tiled, policy=policy, uow_factory=uow_factory(tiled, migrate_first=False))
    with TestClient(app) as client:
        csp = _directives(client.get("/console/login").headers["content-security-policy"])
    assert csp["img-src"] == "'self' data: https://tiles.example.police.uk"


def test_the_api_documentation_loads_nothing_from_elsewhere(anonymous: TestClient) -> None:
    page = anonymous.get("/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(source.startswith("/docs/assets/") for source in sources), sources
    for source in sources:
        assert anonymous.get(source).status_code == 200
    assert "cdn" not in page.text
    scripts = _directives(page.headers["content-security-policy"])["script-src"]
    assert re.fullmatch(r"'self' 'sha256-[A-Za-z0-9+/=]+'", scripts)
    assert anonymous.get("/redoc").status_code == 404  # ReDoc would load from a CDN


def test_the_home_page_keeps_its_inline_style_only(app: FastAPI) -> None:
    with TestClient(app) as client:
        csp = _directives(client.get("/").headers["content-security-policy"])
    assert csp["default-src"] == "'none'" and csp["style-src"] == "'unsafe-inline'"
