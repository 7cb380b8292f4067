"""Fixtures for the HTTP tests: the application on the shipped policy, and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.config import Settings
from controlroom.domain.policy import Policy
from controlroom.web.app import create_app


@pytest.fixture
def app(policy: Policy) -> FastAPI:
    """The application, on the seed force's policy."""
    return create_app(Settings(policy="dcp-p-042"), policy=policy)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A client that answers server errors as responses, so a 500 can be asserted on."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
