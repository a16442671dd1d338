"""Writes to operators (roles) and API keys, audited like domain changes.

Every function runs in one transaction and records an audit entry through
incidents.services.audit_record, so the audit log shows who gave whom which access.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from incidents.models import Page
from incidents.services import Actor, ServiceError, audit_record
from statuspage.access.keys import PREFIX_LENGTH, SECRET_LENGTH, key_digest, random_text
from statuspage.access.models import ApiKey, Membership, PageMembership, Role, Scope
from statuspage.access.selectors import SCOPE_ROLE, api_key_find, role_of

# A key used again within this time does not rewrite last_used_at: one write per minute per
# key, not one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


# --- API keys ------------------------------------------------------------------------------


def _best_role(owner, pages: list[Page] | None) -> Role | None:
    """The highest role the owner holds where the key reaches: install-wide for a key of
    every page, else on any of its pages (each request is capped by the role on its page)."""
    candidates = [role_of(owner)] if pages is None else [role_of(owner, p) for p in pages]
    held = [r for r in candidates if r is not None]
    if pages is None and not held:
        held = [Role(m.role) for m in PageMembership.objects.filter(user=owner)]
    return max(held, key=lambda r: r.rank) if held else None


def api_key_create(
    *, actor: Actor, owner, name: str, scopes: list[str], pages: list[Page] | None = None
) -> tuple[ApiKey, str]:
    """Create a key for `owner`; returns the row and the plain key, which is never stored.

    `pages`: the pages the key may see; None gives every page the owner holds a role on."""
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
    if pages is not None and not pages:
        raise ServiceError("Choose at least one page for the key.", field="pages")
    if pages is not None and any(role_of(owner, p) is None for p in pages):
        raise ServiceError("The owner has no role on one of the chosen pages.", field="pages")
    owner_role = _best_role(owner, pages)
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
            prefix = random_text(PREFIX_LENGTH)
            if not ApiKey.objects.filter(prefix=prefix).exists():
                break
        raw = prefix + random_text(SECRET_LENGTH)
        key = ApiKey.objects.create(
            name=name,
            owner=owner,
            scopes=sorted(set(scopes)),
            prefix=prefix,
            digest=key_digest(raw),
            all_pages=pages is None,
        )
        if pages is not None:
            key.pages.set(pages)
        audit_record(
            actor=actor,
            action="api_key.create",
            obj=key,
            after={
                "name": name,
                "scopes": key.scopes,
                "pages": "all" if pages is None else sorted(p.public_id for p in pages),
            },
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
    """The active key `raw` names (see selectors.api_key_find), its use recorded; or None.

    Takes the presented key positionally, as the API's request wrapper calls it."""
    key = api_key_find(raw)
    if key is None:
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


# --- operators -----------------------------------------------------------------------------


def operator_invite(*, username: str, email: str, role: str, actor: Actor):
    """Create an operator with a random password nobody knows: they choose their own through
    the password-reset link (Django sends reset mail only to users with a usable password)."""
    User = get_user_model()
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.", field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError("That username is taken.", field="username")
    with transaction.atomic():
        user = User(username=username, email=email)
        user.set_password(secrets.token_urlsafe(32))
        user.save()
        Membership.objects.create(user=user, role=role)
        audit_record(
            actor=actor, action="operator.create", obj=user, after={"role": role, "email": email}
        )
    return user


def operator_set_role(*, user, role: str | None, actor: Actor) -> None:
    """Change a role; None removes dashboard access. Superusers are admins by definition and an
    operator cannot change their own role (so the last admin cannot lock everyone out)."""
    if user.is_superuser:
        raise ServiceError("A superuser is always an admin.", field="role")
    if actor.user_id == user.pk:
        raise ServiceError("Ask another admin to change your own role.", field="role")
    if role is not None and role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.", field="role")
    with transaction.atomic():
        membership = Membership.objects.filter(user=user).first()
        before = {"role": membership.role if membership else None}
        if role is None:
            Membership.objects.filter(user=user).delete()
        else:
            Membership.objects.update_or_create(user=user, defaults={"role": role})
        audit_record(
            actor=actor, action="operator.role", obj=user, before=before, after={"role": role}
        )


def operator_save(*, username: str, email: str, password: str, role: str):
    """Create an operator, or set an existing user's password, email (when given) and role.
    For `manage.py create_operator`: the caller has validated the password. Returns (user,
    created)."""
    if role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.", field="role")
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(username=username, defaults={"email": email})
        if email:
            user.email = email
        user.set_password(password)
        user.save()
        Membership.objects.update_or_create(user=user, defaults={"role": role})
    return user, created


def page_role_set(*, user, page: Page, role: str | None, actor: Actor) -> None:
    """Give `user` a role on one page; None removes it. As for install-wide roles, an
    operator cannot change their own."""
    if actor.user_id == user.pk:
        raise ServiceError("Ask another admin to change your own role.", field="role")
    if role is not None and role not in Role.values:
        raise ServiceError(f"Unknown role {role!r}.", field="role")
    with transaction.atomic():
        row = PageMembership.objects.filter(user=user, page=page).first()
        before = {"page": page.public_id, "role": row.role if row else None}
        if role is None:
            PageMembership.objects.filter(user=user, page=page).delete()
        else:
            PageMembership.objects.update_or_create(user=user, page=page, defaults={"role": role})
        audit_record(
            actor=actor,
            action="operator.page_role",
            obj=user,
            before=before,
            after={"page": page.public_id, "role": role},
        )


def owner_set(*, user, owner: bool, actor: Actor) -> None:
    """Make an operator an install-wide owner (admin on every page, manages pages) or not."""
    if actor.user_id == user.pk:
        raise ServiceError("Ask another owner to change your own access.", field="owner")
    with transaction.atomic():
        membership, _ = Membership.objects.get_or_create(
            user=user, defaults={"role": Role.ADMIN if owner else Role.VIEWER}
        )
        before = {"owner": membership.owner}
        membership.owner = owner
        membership.save(update_fields=["owner"])
        audit_record(
            actor=actor, action="operator.owner", obj=user, before=before, after={"owner": owner}
        )
