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


_TEMPLATE_FIELDS = ("name", "title", "body", "status", "component_status")


def incident_template_save(*, actor: Actor, template=None, components=(), **fields):
    """Create or update an incident template (its title and body must render)."""
    from statuspage.dashboard import templating
    from statuspage.dashboard.models import IncidentTemplate

    sample = templating.context_for("Example", [c.name for c in components] or ["API"])
    for name in ("title", "body"):
        try:
            templating.render(fields.get(name, ""), sample)
        except templating.TemplateRenderError as exc:
            raise ServiceError(str(exc), field=name) from None
    with transaction.atomic():
        creating = template is None
        template = template or IncidentTemplate()
        before = None if creating else {f: getattr(template, f) for f in _TEMPLATE_FIELDS}
        for name, value in fields.items():
            setattr(template, name, value)
        template.save()
        template.components.set(components)
        after = {f: getattr(template, f) for f in _TEMPLATE_FIELDS}
        action = "incident_template.create" if creating else "incident_template.update"
        audit_record(actor=actor, action=action, obj=template, before=before, after=after)
    return template


def incident_template_delete(*, actor: Actor, template) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="incident_template.delete",
            obj=template,
            before={"name": template.name},
        )
        template.delete()
