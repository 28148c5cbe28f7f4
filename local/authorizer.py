"""The HTTP API's JWT authorizer, as API Gateway runs it for the Cognito user pool.

The checks are those of an API Gateway JWT authorizer: an RS256 signature by a
key of the pool's JWKS, the issuer, the audience (the app client id) and the
expiry. The service also requires ID tokens (`token_use` "id"), because the
handlers read the phone number that only ID tokens carry.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import jwt

ALGORITHMS = ["RS256"]


class Unauthorized(Exception):
    """The request carries no token, or a token the authorizer rejects. The message gives the reason."""


def cognito_issuer(region: str, user_pool_id: str) -> str:
    """Return the `iss` of the pool's tokens: the AWS URL, which moto also writes."""
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def fetch_jwks(jwks_url: str) -> dict[str, Any]:
    """Download the pool's JSON Web Key Set from the local moto server."""
    if not jwks_url.startswith("http://127.0.0.1:"):
        raise ValueError(f"the JWKS URL {jwks_url} is not on the local moto server")
    with urllib.request.urlopen(jwks_url, timeout=5) as response:  # noqa: S310 - loopback URL checked above
        return json.load(response)


class JwtAuthorizer:
    """Verify bearer tokens against one issuer, one audience and a JWKS fetched once."""

    def __init__(self, *, jwks: dict[str, Any], issuer: str, audience: str) -> None:
        self._keys = {key["kid"]: jwt.PyJWK(key) for key in jwks.get("keys", []) if "kid" in key}
        self.issuer = issuer
        self.audience = audience

    def authorize(self, authorization: str | None) -> dict[str, Any]:
        """Return the verified claims of the token in an Authorization header value.

        API Gateway accepts the token with or without the "Bearer " prefix.
        Raises Unauthorized with the reason.
        """
        token = (authorization or "").strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        if not token:
            raise Unauthorized("the Authorization header is missing or empty")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"the token is not a JWT: {exc}") from None
        key = self._keys.get(header.get("kid", ""))
        if key is None:
            raise Unauthorized("the token is signed by a key that is not in the user pool's JWKS")
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub", "token_use"]},
            )
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"the token is invalid: {exc}") from None
        if claims.get("token_use") != "id":
            raise Unauthorized(f"the token is an {claims.get('token_use')} token, expected an ID token")
        return claims


def claims_as_strings(claims: dict[str, Any]) -> dict[str, str]:
    """Return the claims as API Gateway passes them to the function: every value a string.

    A list becomes its items in brackets, separated by spaces ("[admin census]"),
    a boolean "true" or "false", and a number its digits.
    """
    converted: dict[str, str] = {}
    for name, value in claims.items():
        if isinstance(value, list):
            converted[name] = "[" + " ".join(str(item) for item in value) + "]"
        elif isinstance(value, bool):
            converted[name] = "true" if value else "false"
        elif isinstance(value, dict):
            converted[name] = json.dumps(value, separators=(",", ":"))
        else:
            converted[name] = str(value)
    return converted
