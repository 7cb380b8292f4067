"""Wrong API tokens cost little: no slow hash, no audit row, and a token refused is refused
again for the trust time without a database look-up."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from controlroom.web import auth


def test_a_wrong_token_sent_again_and_again_is_looked_up_once(
    app: FastAPI, anonymous: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked_up = []
    real = auth._look_up

    def counting(*args: object) -> object:
        looked_up.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(auth, "_look_up", counting)
    wrong = {"Authorization": "Bearer cr_0123456789abcdef_" + "x" * 43}
    with app.state.uow_factory(read_only=True) as uow:
        rows_before = len(list(uow.audit.entries()))
    answers = [anonymous.get("/api/contacts", headers=wrong) for _ in range(20)]
    assert {answer.status_code for answer in answers} == {401}
    assert {answer.json()["error"]["message"] for answer in answers} == {"the token is not valid"}
    assert len(looked_up) == 1
    with app.state.uow_factory(read_only=True) as uow:
        assert len(list(uow.audit.entries())) == rows_before
