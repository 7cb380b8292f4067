"""Single sign-on through an OpenID Connect provider: the authorization-code flow with PKCE.

The provider's metadata is read from ``<issuer>/.well-known/openid-configuration`` and its
signing keys from its ``jwks_uri``, both on first use (keys again when a token names a key not
seen yet). An ID token is accepted only when its signature verifies with one of those keys
(RS256, RS384, RS512, ES256, ES384, PS256), it names this issuer and this client, it has not
expired, and it carries the nonce the console sent. The console then signs in the controlroom
account the token names (``services.sessions.sign_on``).
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from controlroom.domain.access import Unauthenticated
from controlroom.domain.errors import ServiceUnavailable

ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256"]
TIMEOUT_SECONDS = 10.0
#: Clock difference between the provider and this server that is tolerated, in seconds.
LEEWAY_SECONDS = 60


class OidcProvider:
    """One OpenID Connect provider and this service's registration with it."""

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        *,
        http: httpx.Client | None = None,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.http = http or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str | None, Any] = {}
        self._lock = threading.Lock()

    def _get(self, url: str) -> dict[str, Any]:
        try:
            answer = self.http.get(url)
            answer.raise_for_status()
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailable(
                "the single sign-on provider cannot be reached",
                hint=f"{url}: {exc}; sign in with a password meanwhile",
            ) from None
        if not isinstance(data, dict):
            raise ServiceUnavailable(f"the sign-on provider answered {url} with no object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's OpenID configuration (read once)."""
        with self._lock:
            if self._metadata is None:
                found = self._get(f"{self.issuer}/.well-known/openid-configuration")
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    if not isinstance(found.get(key), str):
                        raise ServiceUnavailable(f"the provider's configuration has no {key}")
                self._metadata = found
            return self._metadata

    def authorization_url(
        self, *, redirect_uri: str, state: str, nonce: str, code_challenge: str
    ) -> str:
        """Where to send the browser to sign in."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        endpoint = str(self.metadata()["authorization_endpoint"])
        joiner = "&" if "?" in endpoint else "?"
        return f"{endpoint}{joiner}{urlencode(query)}"

    def identity(
        self, *, code: str, redirect_uri: str, code_verifier: str, nonce: str
    ) -> dict[str, Any]:
        """The verified claims of the ID token the provider gives for ``code``."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            answer = self.http.post(str(self.metadata()["token_endpoint"]), data=form)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the sign-on provider cannot be reached: {exc}") from None
        if answer.status_code != 200:
            raise Unauthenticated(
                "the sign-on provider refused the sign-in", hint=answer.text[:200] or None
            )
        try:
            token = str(answer.json()["id_token"])
        except (ValueError, KeyError, TypeError):
            raise Unauthenticated("the sign-on provider gave no ID token") from None
        return self.verify(token, nonce=nonce)

    def _key(self, kid: str | None) -> Any:
        if kid not in self._keys:
            keys = jwt.PyJWKSet.from_dict(self._get(str(self.metadata()["jwks_uri"])))
            self._keys = {key.key_id: key.key for key in keys.keys}
        if kid not in self._keys:
            if kid is None and len(self._keys) == 1:
                return next(iter(self._keys.values()))
            raise Unauthenticated("the ID token is signed with a key the provider does not list")
        return self._keys[kid]

    def verify(self, token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of ``token``, if it is a valid ID token for this client and ``nonce``."""
        try:
            header = jwt.get_unverified_header(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key(header.get("kid")),
                algorithms=ALGORITHMS,
                audience=self.client_id,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthenticated(f"the ID token is not valid: {exc}") from None
        if claims.get("nonce") != nonce:
            raise Unauthenticated("the ID token is not for this sign-in (nonce)")
        return claims
