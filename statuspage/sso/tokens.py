"""ID token verification: the signature against the provider's published keys (JWKS), then
issuer, audience, expiry, issue time, nonce, authorised party and access-token hash
(OpenID Connect Core 1.0, section 3.1.3.7) with Authlib's ID token claims on joserfc."""

from __future__ import annotations

from typing import Any, cast

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from statuspage.sso import discovery

# Public-key algorithms only: "none" and shared-secret (HS*) signatures are refused whatever
# the discovery document lists.
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
LEEWAY_SECONDS = 60


class InvalidIdToken(Exception):
    """The ID token is not one this page may accept; the message says which check failed."""


def verify(
    id_token: str,
    *,
    issuer: str,
    client_id: str,
    nonce: str,
    access_token: str | None,
    metadata: dict[str, Any],
) -> dict[str, Any]:
    """The ID token's claims once every check passed; raises InvalidIdToken (or
    discovery.ProviderUnavailable when the keys cannot be fetched)."""
    listed = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in listed if alg in ASYMMETRIC]
    if not algorithms:
        raise InvalidIdToken("the provider signs ID tokens with no public-key algorithm")
    registry = JWSRegistry(algorithms=algorithms)
    try:
        try:
            token = jwt.decode(
                id_token,
                KeySet.import_key_set(cast(Any, discovery.jwks(issuer))),
                registry=registry,
            )
        except InvalidKeyIdError:
            # A key id the cached set does not hold: the provider may have rotated its keys.
            keys = KeySet.import_key_set(cast(Any, discovery.jwks(issuer, refresh=True)))
            token = jwt.decode(id_token, keys, registry=registry)
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken(f"signature not valid ({_name(exc)})") from exc
    params: dict[str, Any] = {"nonce": nonce, "client_id": client_id}
    if access_token:
        params["access_token"] = access_token
    options: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "nonce": {"essential": True},
    }
    claims = CodeIDToken(token.claims, token.header, options, params)
    try:
        claims.validate(leeway=LEEWAY_SECONDS)
    except (JoseError, ValueError) as exc:
        raise InvalidIdToken(_name(exc)) from exc
    return dict(claims)


def _name(exc: Exception) -> str:
    return str(exc) or type(exc).__name__
