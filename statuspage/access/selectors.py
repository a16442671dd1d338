"""Reads: an operator's role, what a key may do, and the lists the dashboard shows."""

from __future__ import annotations

import hmac

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from incidents import selectors as incident_selectors
from incidents.services import Actor
from statuspage.access.keys import PREFIX_LENGTH, key_digest, well_formed
from statuspage.access.models import ApiKey, Membership, Role, Scope

# The least role an owner needs for a key of theirs to use each scope.
SCOPE_ROLE = {
    Scope.READ: Role.VIEWER,
    Scope.INCIDENTS: Role.RESPONDER,
    Scope.COMPONENTS: Role.ADMIN,
    Scope.SUBSCRIBERS: Role.ADMIN,
}


def role_of(user) -> Role | None:
    """The user's role, or None when they have no access (no dashboard, no working key)."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.ADMIN
    try:
        return Role(user.dashboard_membership.role)
    except Membership.DoesNotExist:
        return None


def has_role(user, needed: Role) -> bool:
    role = role_of(user)
    return role is not None and role.rank >= needed.rank


def operators() -> QuerySet:
    """Users who hold a role (a membership, or superuser), by username."""
    users = get_user_model().objects
    holders = users.filter(dashboard_membership__isnull=False) | users.filter(is_superuser=True)
    return holders.distinct().order_by("username")


def api_keys() -> QuerySet[ApiKey]:
    """Every key, newest first, with its owner (one query)."""
    return ApiKey.objects.select_related("owner")


def api_key_find(raw: str) -> ApiKey | None:
    """The active key `raw` names, if its owner still has a role, or None. Compares digests in
    constant time; reads only (services.api_key_authenticate also records the use)."""
    raw = (raw or "").strip()
    if not well_formed(raw):
        return None
    key = (
        ApiKey.objects.select_related("owner")
        .filter(prefix=raw[:PREFIX_LENGTH], revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.digest, key_digest(raw)):
        return None
    if role_of(key.owner) is None:
        return None
    return key


def key_allows(key: ApiKey, scope: str) -> bool:
    """The key holds `scope` and its owner's current role still allows it."""
    role = role_of(key.owner)
    return scope in key.scopes and role is not None and role.rank >= SCOPE_ROLE[Scope(scope)].rank


def actor_for_key(key: ApiKey) -> Actor:
    """The audit trail's actor for a request made with this key."""
    return Actor(
        label=f"{key.owner.get_username()} (key {key.prefix})", via="api", user_id=key.owner_id
    )


def totp_issuer(device) -> str:
    """Authenticator apps label an operator's account with the page's name (read when a
    device is set up; settings.OTP_TOTP_ISSUER calls this)."""
    return f"{incident_selectors.page_get().name} status dashboard"
