"""The authorization code flow with PKCE, state and nonce (OpenID Connect Core 1.0, 3.1).

`begin` keeps what the callback needs (state, nonce, PKCE verifier, where to go next) in the
reader's session, keyed by the state, and returns the provider's authorization URL. `finish`
takes that entry back out (so a state works once), exchanges the code and verifies the ID
token. Every failure is a SignInError with the status and words of the page the reader sees.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from django.http import HttpRequest
from django.utils.translation import gettext_noop
from requests import RequestException

from statuspage.sso import discovery, rules, tokens
from statuspage.sso.models import OidcProvider

PENDING_KEY = "sso_pending"
PENDING_SECONDS = 600  # time to sign in at the provider
MAX_PENDING = 5  # sign-ins started in other tabs that are still honoured
TOKEN_TIMEOUT_SECONDS = 10
# Claims that are about the token, not the reader: not kept in the session.
TOKEN_CLAIMS = ("aud", "exp", "iat", "nbf", "nonce", "at_hash", "c_hash", "azp", "jti", "sid")


@dataclass
class SignInError(Exception):
    status: int
    title: str
    message: str


@dataclass(frozen=True)
class SignedIn:
    identity: str
    claims: dict[str, Any]
    next_path: str


def _client(provider: OidcProvider, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=" ".join(provider.scope_list),
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method's name
    )


def _unavailable(exc: Exception) -> SignInError:
    return SignInError(
        502,
        gettext_noop("Sign-in provider unavailable"),
        gettext_noop(
            "The sign-in provider could not be reached or gave an unusable answer. "
            "Please try again in a few minutes."
        ),
    )


def begin(
    request: HttpRequest, provider: OidcProvider, *, redirect_uri: str, next_path: str
) -> str:
    try:
        meta = discovery.metadata(provider.issuer)
    except discovery.ProviderUnavailable as exc:
        raise _unavailable(exc) from exc
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url, _state = _client(provider, redirect_uri).create_authorization_url(
        meta["authorization_endpoint"], state=state, code_verifier=verifier, nonce=nonce
    )
    now = time.time()
    pending = {
        key: entry
        for key, entry in (request.session.get(PENDING_KEY) or {}).items()
        if now - entry["at"] < PENDING_SECONDS
    }
    newest = sorted(pending.items(), key=lambda item: item[1]["at"])[-(MAX_PENDING - 1) :]
    pending = dict(newest)
    pending[state] = {
        "page": provider.page_id,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_path,
        "redirect_uri": redirect_uri,
        "at": now,
    }
    request.session[PENDING_KEY] = pending
    return url


def _take_pending(request: HttpRequest, provider: OidcProvider, state: str) -> dict[str, Any]:
    pending = dict(request.session.get(PENDING_KEY) or {})
    entry = pending.pop(state, None) if state else None
    request.session[PENDING_KEY] = pending
    if (
        entry is None
        or entry["page"] != provider.page_id
        or time.time() - entry["at"] >= PENDING_SECONDS
    ):
        raise SignInError(
            400,
            gettext_noop("Sign-in link not valid"),
            gettext_noop(
                "This sign-in has expired, was already used or did not start here. "
                "Please start again."
            ),
        )
    return entry


def finish(request: HttpRequest, provider: OidcProvider, params: dict[str, str]) -> SignedIn:
    entry = _take_pending(request, provider, params.get("state", ""))
    code = _code_from(params)
    meta, token = _exchange(provider, entry, code)
    claims = _verified_claims(provider, entry, meta, token)
    refusal = rules.refusal(provider, claims)
    if refusal is not None:
        raise SignInError(403, gettext_noop("Access denied"), refusal)
    kept = {name: value for name, value in claims.items() if name not in TOKEN_CLAIMS}
    return SignedIn(identity=rules.identity(claims), claims=kept, next_path=entry["next"])


def _code_from(params: dict[str, str]) -> str:
    """The authorization code of the provider's redirect, or why there is none."""
    if "error" in params:
        if params["error"] == "access_denied":
            raise SignInError(
                403,
                gettext_noop("Sign-in cancelled"),
                gettext_noop("The sign-in was declined at the provider."),
            )
        raise SignInError(
            400,
            gettext_noop("Sign-in failed"),
            gettext_noop("The sign-in provider refused the request. Please try again."),
        )
    code = params.get("code", "")
    if not code:
        raise SignInError(
            400, gettext_noop("Sign-in failed"), gettext_noop("The provider sent no sign-in code.")
        )
    return code


def _exchange(
    provider: OidcProvider, entry: dict[str, Any], code: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The provider's metadata and the tokens it gives for the code (with the PKCE verifier)."""
    try:
        meta = discovery.metadata(provider.issuer)
        token = _client(provider, entry["redirect_uri"]).fetch_token(
            meta["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=entry["verifier"],
            timeout=TOKEN_TIMEOUT_SECONDS,
        )
    except OAuthError as exc:
        # invalid_grant: a code used twice, expired, or issued for another client.
        raise SignInError(
            400,
            gettext_noop("Sign-in failed"),
            gettext_noop(
                "The provider did not accept the sign-in code (it may have been used already). "
                "Please start again."
            ),
        ) from exc
    except (discovery.ProviderUnavailable, RequestException, ValueError) as exc:
        raise _unavailable(exc) from exc
    return meta, token


def _verified_claims(
    provider: OidcProvider, entry: dict[str, Any], meta: dict[str, Any], token: dict[str, Any]
) -> dict[str, Any]:
    """The ID token's claims, once its signature, issuer, audience and nonce check out."""
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SignInError(
            502,
            gettext_noop("Sign-in failed"),
            gettext_noop("The provider sent no ID token; is the openid scope allowed?"),
        )
    try:
        return tokens.verify(
            id_token,
            issuer=provider.issuer,
            client_id=provider.client_id,
            nonce=entry["nonce"],
            access_token=token.get("access_token"),
            metadata=meta,
        )
    except tokens.InvalidIdToken as exc:
        raise SignInError(
            403,
            gettext_noop("Sign-in not accepted"),
            gettext_noop(
                "The provider's answer could not be verified for this page, so it was refused."
            ),
        ) from exc
    except discovery.ProviderUnavailable as exc:
        raise _unavailable(exc) from exc
