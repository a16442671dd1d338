"""ID token checks, on tokens signed with the test provider's own key (so the signature
verifies against its published JWKS) but naming another issuer, another client, an old
expiry or another nonce, and on tokens that are not signed with that key at all."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from statuspage.sso import discovery, tokens

pytestmark = pytest.mark.real_clock

CLIENT = "status-reader"
NONCE = "n-0S6_WzA2Mj"


@pytest.fixture
def provider(oidc_provider):
    discovery.forget(oidc_provider.issuer)
    return oidc_provider


def claims(provider, **changes):
    now = int(time.time())
    values = {
        "iss": provider.issuer,
        "sub": "1",
        "aud": CLIENT,
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "email": "alice@example.com",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def signed(provider, payload, key=None, alg="RS256"):
    key = key or RSAKey.import_key(provider.private_key_pem)
    return jwt.encode({"alg": alg, "kid": key.thumbprint()}, payload, key)


def verify(provider, token, nonce=NONCE):
    return tokens.verify(
        token,
        issuer=provider.issuer,
        client_id=CLIENT,
        nonce=nonce,
        access_token=None,
        metadata=discovery.metadata(provider.issuer),
    )


def test_a_token_from_the_provider_for_this_client_passes(provider):
    assert verify(provider, signed(provider, claims(provider)))["email"] == "alice@example.com"


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://other-issuer.example/o"},
        {"aud": "other-app"},
        {"aud": ["other-app", "another"]},
        {"aud": "other-app", "azp": CLIENT},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"nonce": "another-nonce"},
        {"nonce": None},
        {"exp": None},
    ],
    ids=[
        "other-issuer",
        "other-client",
        "other-clients",
        "other-audience-this-azp",
        "expired",
        "other-nonce",
        "no-nonce",
        "no-expiry",
    ],
)
def test_a_token_with_wrong_claims_is_refused(provider, changes):
    token = signed(provider, claims(provider, **changes))
    with pytest.raises(tokens.InvalidIdToken):
        verify(provider, token)


def test_a_token_signed_with_another_key_is_refused(provider):
    stranger = RSAKey.import_key(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    with pytest.raises(tokens.InvalidIdToken):
        verify(provider, signed(provider, claims(provider), key=stranger))


def test_a_token_signed_with_a_shared_secret_is_refused(provider):
    # HS256 keyed with something public would let anyone mint tokens: never accepted,
    # even though the provider lists HS256 among its algorithms.
    secret = OctKey.import_key(b"status-reader-client-secret-0123456789")
    token = jwt.encode({"alg": "HS256"}, claims(provider), secret)
    with pytest.raises(tokens.InvalidIdToken):
        verify(provider, token)


def test_a_garbled_token_is_refused(provider):
    with pytest.raises(tokens.InvalidIdToken):
        verify(provider, "not.a.token")
