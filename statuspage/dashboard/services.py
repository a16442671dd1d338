"""Writes to dashboard operators (users and their roles), audited like domain changes."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from incidents.services import Actor, ServiceError, audit_record
from statuspage.dashboard.models import Membership, Role


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
