"""Writes of a page's notification settings (its sender, notifications.senders)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from incidents.models import Page
from incidents.services import Actor, audit_record
from notifications.models import PageNotificationSettings, new_webhook_secret

EDITABLE = (
    "from_name",
    "from_email",
    "reply_to",
    "sms_from_number",
    "sms_messaging_service_sid",
)


def page_notification_settings_get(page: Page) -> PageNotificationSettings:
    """The page's row, unsaved (every field empty) when it has none yet."""
    found = PageNotificationSettings.objects.filter(page=page).first()
    return found if found is not None else PageNotificationSettings(page=page)


def page_notification_settings_save(
    *,
    page: Page,
    actor: Actor,
    values: dict[str, str],
    signing: str = "keep",
) -> PageNotificationSettings:
    """Save the page's sender fields (`EDITABLE`). `signing`: "keep", "new" (a fresh
    secret signs the page's webhooks from now on) or "clear" (each subscriber's own again).
    The secret itself is never written to the audit log, only that it changed."""
    with transaction.atomic():
        row, _created = PageNotificationSettings.objects.select_for_update().get_or_create(
            page=page
        )
        before = {name: getattr(row, name) for name in EDITABLE}
        before["signing"] = "page" if row.webhook_secret else "subscribers"
        for name in EDITABLE:
            setattr(row, name, (values.get(name) or "").strip())
        if signing == "new":
            row.webhook_secret = new_webhook_secret()
        elif signing == "clear":
            row.webhook_secret = ""
        row.updated_at = timezone.now()
        row.full_clean()
        row.save()
        after = {name: getattr(row, name) for name in EDITABLE}
        after["signing"] = "page" if row.webhook_secret else "subscribers"
        if signing == "new":
            after["signing"] = "page (new secret)"
        audit_record(
            actor=actor,
            action="page.notification_settings_updated",
            obj=row,
            before=before,
            after=after,
        )
    return row
