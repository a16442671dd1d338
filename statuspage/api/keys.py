"""Writes and checks for API keys: create (the plain key is returned once), revoke, authenticate."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from incidents.services import Actor, ServiceError, audit_record
from statuspage.api.models import ApiKey, Scope
from statuspage.dashboard.access import role_of
from statuspage.dashboard.models import Role

PREFIX_LENGTH = 8
SECRET_LENGTH = 32
_ALPHABET = string.ascii_lowercase + string.digits
_ALPHABET_SET = frozenset(_ALPHABET)
# A key used again within this time does not rewrite last_used_at: one write per minute per
# key, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)

# The least dashboard role an owner needs for a key of theirs to use each scope.
SCOPE_ROLE = {
    Scope.READ: Role.VIEWER,
    Scope.INCIDENTS: Role.RESPONDER,
    Scope.COMPONENTS: Role.ADMIN,
    Scope.SUBSCRIBERS: Role.ADMIN,
}


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def api_key_create(*, actor: Actor, owner, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    """Create a key for `owner`; returns the row and the plain key, which is never stored."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Give the key a name.", field="name")
    if len(name) > 100:
        raise ServiceError("The name is too long (at most 100 characters).", field="name")
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown or not scopes:
        raise ServiceError(
            "Choose scopes from: " + ", ".join(Scope.values) + ".",
            field="scopes",
        )
    owner_role = role_of(owner)
    if owner_role is None:
        raise ServiceError("The owner has no dashboard role.", field="owner")
    beyond = [s for s in scopes if owner_role.rank < SCOPE_ROLE[Scope(s)].rank]
    if beyond:
        raise ServiceError(
            f"A {owner_role.value} cannot hold a key with " + ", ".join(beyond) + ".",
            field="scopes",
        )
    with transaction.atomic():
        while True:
            prefix = _random(PREFIX_LENGTH)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        raw = prefix + _random(SECRET_LENGTH)
        key = ApiKey.objects.create(
            name=name,
            owner=owner,
            scopes=sorted(set(scopes)),
            prefix=prefix,
            digest=_digest(raw),
        )
        audit_record(
            actor=actor,
            action="api_key.create",
            obj=key,
            after={"name": name, "scopes": key.scopes},
        )
    return key, raw


def api_key_revoke(*, actor: Actor, key: ApiKey) -> ApiKey:
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_record(
                actor=actor,
                action="api_key.revoke",
                obj=key,
                before={"revoked": False},
                after={"revoked": True},
            )
    return key


def api_key_authenticate(raw: str) -> ApiKey | None:
    """The active key `raw` names, or None. Compares digests in constant time."""
    raw = (raw or "").strip()
    # Anything but the key alphabet cannot match, and must not reach the database (PostgreSQL
    # refuses NUL characters in text).
    if len(raw) != PREFIX_LENGTH + SECRET_LENGTH or not set(raw) <= _ALPHABET_SET:
        return None
    key = (
        ApiKey.objects.select_related("owner")
        .filter(prefix=raw[:PREFIX_LENGTH], revoked_at__isnull=True)
        .first()
    )
    if key is None or not hmac.compare_digest(key.digest, _digest(raw)):
        return None
    if role_of(key.owner) is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


def key_allows(key: ApiKey, scope: str) -> bool:
    """The key holds `scope` and its owner's current role still allows it."""
    role = role_of(key.owner)
    return scope in key.scopes and role is not None and role.rank >= SCOPE_ROLE[Scope(scope)].rank


def actor_for_key(key: ApiKey) -> Actor:
    return Actor(
        label=f"{key.owner.get_username()} (key {key.prefix})", via="api", user_id=key.owner_id
    )
