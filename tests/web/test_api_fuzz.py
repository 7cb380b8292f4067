"""The API against its own OpenAPI schema, fuzzed: every request the schema allows answers 2xx
or a documented 4xx, never 5xx, and every answer matches the schema (the one error shape).

Schemathesis generates the requests from ``/openapi.json`` and sends them in-process (ASGI) to
an application on a temporary SQLite database, once with the token of each API role. The
budget is small and seeded (derandomized), so the module runs in well under a minute and
fails the same way every time; set ``CONTROLROOM_FUZZ_EXAMPLES`` (25 a operation by default)
higher to dig deeper. Each operation's cases come from its Hypothesis strategy
(``operation.as_strategy()``) rather than ``schema.parametrize()``: the schema is built from a
fixture (the application needs its database first), and schemathesis's fixture-loaded
parametrization does not run under the pytest this project uses.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from controlroom.bootstrap import uow_factory
from controlroom.config import Settings
from controlroom.domain.contacts import Actor, Role
from controlroom.domain.policy import Policy
from controlroom.services import accounts
from controlroom.web.app import create_app

ADMIN = Actor("cli:fuzz", Role.ADMIN)
#: every role a token can carry (docs/access.md)
ROLES = ("call_handler", "supervisor", "auditor", "admin", "integration")
FUZZ_EXAMPLES = int(os.environ.get("CONTROLROOM_FUZZ_EXAMPLES", "25"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzz_app(
    tmp_path_factory: pytest.TempPathFactory, _sqlite_template: Path, policy: Policy
) -> FastAPI:
    """The application on a fresh SQLite database, with one token for each role."""
    path = tmp_path_factory.mktemp("fuzz") / "controlroom.db"
    shutil.copyfile(_sqlite_template, path)
    config = Settings(policy="dcp-p-042", database_url=f"sqlite:///{path}", demo=False)
    app = create_app(config, policy=policy, uow_factory=uow_factory(config, migrate_first=False))
    tokens = {}
    for role in ROLES:
        name = role.replace("_", "-")
        if role != Role.INTEGRATION.value:
            accounts.add_user(app.state.uow_factory(), ADMIN, name, role)
        tokens[role] = accounts.create_token(app.state.uow_factory(), ADMIN, name, role)[1]
    app.state.fuzz_tokens = tokens
    return app


@pytest.fixture(scope="module")
def api_schema(fuzz_app: FastAPI) -> Any:
    """The application's OpenAPI schema, its requests sent to the application in-process."""
    return schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)


def _fuzz(operation: Any, headers: dict[str, str]) -> str | None:
    """What went wrong fuzzing ``operation`` within the budget, or ``None``."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=FUZZ_EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failure is reported
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # a failed check: reported at the end
        return f"{operation.method.upper()} {operation.path}: {exc}"
    return None


@pytest.mark.parametrize("role", ROLES)
def test_every_request_the_schema_allows_gets_a_documented_answer(
    role: str, fuzz_app: FastAPI, api_schema: Any
) -> None:
    headers = {"Authorization": f"Bearer {fuzz_app.state.fuzz_tokens[role]}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20  # the API's operations were found
    failures = [found for op in operations if (found := _fuzz(op, headers)) is not None]
    assert not failures, "\n\n".join(failures)
