"""The OpenID Connect provider adapter against a stand-in provider served through httpx's
mock transport, with a real RSA key."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from controlroom.adapters.oidc import OidcProvider
from controlroom.domain.access import Unauthenticated
from controlroom.domain.errors import ServiceUnavailable

ISSUER = "https://idp.example/realms/force"
CLIENT = "controlroom-console"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def jwk(key: Any, kid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    return data | {"kid": kid, "use": "sig", "alg": "RS256"}


def id_token(key: Any = KEY, kid: str = "k1", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": ISSUER,
        "aud": CLIENT,
        "sub": "1234",
        "iat": now,
        "exp": now + 300,
        "nonce": "n-1",
        "preferred_username": "hana",
    } | claims
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


class StandIn:
    """The provider's endpoints."""

    def __init__(self) -> None:
        self.token = id_token()
        self.forms: list[dict[str, list[str]]] = []
        self.up = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectError("down")
        path = request.url.path
        if path.endswith("/.well-known/openid-configuration"):
            return httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/auth",
                    "token_endpoint": f"{ISSUER}/token",
                    "jwks_uri": f"{ISSUER}/certs",
                },
            )
        if path.endswith("/certs"):
            return httpx.Response(200, json={"keys": [jwk(KEY, "k1")]})
        if path.endswith("/token"):
            form = parse_qs(request.content.decode())
            self.forms.append(form)
            if form.get("code") != ["good"]:
                return httpx.Response(400, json={"error": "invalid_grant"})
            return httpx.Response(200, json={"id_token": self.token, "token_type": "Bearer"})
        return httpx.Response(404)


@pytest.fixture
def standin() -> StandIn:
    return StandIn()


@pytest.fixture
def provider(standin: StandIn) -> OidcProvider:
    return OidcProvider(
        ISSUER, CLIENT, "s3cret", http=httpx.Client(transport=httpx.MockTransport(standin))
    )


def identity(provider: OidcProvider, code: str = "good") -> dict[str, Any]:
    return provider.identity(
        code=code, redirect_uri="https://cr.example/cb", code_verifier="v", nonce="n-1"
    )


def test_the_authorization_url_carries_pkce_state_and_nonce(provider: OidcProvider) -> None:
    url = provider.authorization_url(
        redirect_uri="https://cr.example/cb", state="s-1", nonce="n-1", code_challenge="c-1"
    )
    assert url.startswith(f"{ISSUER}/auth?")
    query = parse_qs(urlsplit(url).query)
    assert query["state"] == ["s-1"] and query["nonce"] == ["n-1"]
    assert query["code_challenge"] == ["c-1"] and query["code_challenge_method"] == ["S256"]
    assert query["client_id"] == [CLIENT] and "openid" in query["scope"][0]


def test_a_good_code_gives_the_verified_claims(provider: OidcProvider, standin: StandIn) -> None:
    assert identity(provider)["preferred_username"] == "hana"
    (form,) = standin.forms
    assert form["code_verifier"] == ["v"] and form["grant_type"] == ["authorization_code"]


@pytest.mark.parametrize(
    "token",
    [
        id_token(OTHER_KEY),  # signed by someone else
        id_token(aud="another-client"),
        id_token(iss="https://evil.example"),
        id_token(exp=int(time.time()) - 3600),
        id_token(nonce="replayed"),
        id_token(kid="unknown"),
    ],
    ids=["signature", "audience", "issuer", "expired", "nonce", "key"],
)
def test_a_bad_id_token_is_refused(provider: OidcProvider, standin: StandIn, token: str) -> None:
    standin.token = token
    with pytest.raises(Unauthenticated):
        identity(provider)


def test_a_refused_code_is_unauthenticated(provider: OidcProvider) -> None:
    with pytest.raises(Unauthenticated, match="refused"):
        identity(provider, code="bad")


def test_an_unreachable_provider_says_so(provider: OidcProvider, standin: StandIn) -> None:
    standin.up = False
    with pytest.raises(ServiceUnavailable, match="cannot be reached"):
        provider.authorization_url(redirect_uri="x", state="s", nonce="n", code_challenge="c")
