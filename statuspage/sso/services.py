"""Writes of the readers' single sign-on settings."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from incidents.models import Page
from incidents.services import Actor, audit_record
from statuspage.sso import discovery
from statuspage.sso.models import OidcProvider

# What an admin edits; the client secret is handled on its own (never shown back, kept when
# the form leaves it empty).
EDITABLE = (
    "enabled",
    "display_name",
    "issuer",
    "client_id",
    "scopes",
    "allowed_domains",
    "required_claim",
    "required_value",
)


def provider_save(
    *, page: Page, actor: Actor, values: dict[str, object], client_secret: str = ""
) -> OidcProvider:
    """Create or change the page's provider. An empty `client_secret` keeps the saved one.
    The audit entry says that the secret changed, never what it is."""
    with transaction.atomic():
        row = OidcProvider.objects.select_for_update().filter(page=page).first()
        created = row is None
        if row is None:
            row = OidcProvider(page=page)
        before = None if created else {name: getattr(row, name) for name in EDITABLE}
        for name in EDITABLE:
            value = values.get(name)
            setattr(row, name, value.strip() if isinstance(value, str) else value)
        row.issuer = row.issuer.rstrip("/")
        if client_secret:
            row.client_secret = client_secret
        row.updated_at = timezone.now()
        row.full_clean()
        row.save()
        after: dict[str, object] = {name: getattr(row, name) for name in EDITABLE}
        after["client_secret"] = "changed" if client_secret else "kept"
        audit_record(
            actor=actor,
            action="page.oidc_provider_created" if created else "page.oidc_provider_updated",
            obj=row,
            before=before,
            after=after,
        )
    # A changed issuer or client is looked up afresh on the next sign-in.
    transaction.on_commit(lambda: discovery.forget(row.issuer))
    return row


def provider_delete(*, page: Page, actor: Actor) -> None:
    with transaction.atomic():
        row = OidcProvider.objects.select_for_update().filter(page=page).first()
        if row is None:
            return
        audit_record(actor=actor, action="page.oidc_provider_deleted", obj=row)
        row.delete()
