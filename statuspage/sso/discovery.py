"""The provider's discovery document and signing keys, fetched over HTTP and cached.

Discovery: `<issuer>/.well-known/openid-configuration`, whose `issuer` must be the configured
one exactly (OpenID Connect Discovery 1.0, section 4.3). Both documents are cached for an
hour in the shared cache; the keys are fetched afresh once when a token names a key id they
do not hold (the provider rotated its keys)."""

from __future__ import annotations

import json
from typing import Any

import requests
from django.core.cache import cache

CACHE_SECONDS = 3600
TIMEOUT_SECONDS = 10
MAX_BYTES = 1_000_000


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered something unusable."""


def _key(kind: str, issuer: str) -> str:
    return f"sso:{kind}:{issuer}"


def get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=False, stream=True)
        body = response.raw.read(MAX_BYTES + 1, decode_content=True)
        response.close()
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{url}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise ProviderUnavailable(f"{url}: HTTP {response.status_code}")
    if len(body) > MAX_BYTES:
        raise ProviderUnavailable(f"{url}: answer too large")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ProviderUnavailable(f"{url}: not JSON") from exc
    if not isinstance(data, dict):
        raise ProviderUnavailable(f"{url}: not a JSON object")
    return data


def metadata(issuer: str) -> dict[str, Any]:
    """The issuer's discovery document (cached). Raises ProviderUnavailable."""
    cached = cache.get(_key("meta", issuer))
    if cached is not None:
        return cached
    data = get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
    if data.get("issuer") != issuer:
        # A document for another issuer would let that issuer's tokens in.
        raise ProviderUnavailable(
            f"the discovery document names the issuer {data.get('issuer')!r}, not {issuer!r}"
        )
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(data.get(name), str):
            raise ProviderUnavailable(f"the discovery document has no {name}")
    cache.set(_key("meta", issuer), data, CACHE_SECONDS)
    return data


def jwks(issuer: str, *, refresh: bool = False) -> dict[str, Any]:
    """The issuer's signing keys (cached; `refresh` fetches them again)."""
    if not refresh:
        cached = cache.get(_key("jwks", issuer))
        if cached is not None:
            return cached
    data = get_json(metadata(issuer)["jwks_uri"])
    if not isinstance(data.get("keys"), list):
        raise ProviderUnavailable("the key set has no keys")
    cache.set(_key("jwks", issuer), data, CACHE_SECONDS)
    return data


def forget(issuer: str) -> None:
    cache.delete_many([_key("meta", issuer), _key("jwks", issuer)])
