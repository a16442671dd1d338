"""Editing the page's own settings (name, URL, time zone, uptime weights and thresholds)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from incidents.errors import ServiceError
from incidents.models import Page
from incidents.services.common import (
    Actor,
    audit_record,
    audit_snapshot,
    page_lock,
    public_changed,
)

PAGE_FIELDS = (
    "name",
    "url",
    "time_zone",
    "partial_outage_weight",
    "degraded_weight",
    "uptime_thresholds_minutes",
    "notify_component_changes",
)


def page_update(*, actor: Actor, **fields: object) -> Page:
    """Change page settings; the model's validators and constraints are the rules."""
    unknown = set(fields) - set(PAGE_FIELDS)
    if unknown:
        raise ServiceError(f"Cannot change {', '.join(sorted(unknown))} here.")
    with transaction.atomic():
        page = page_lock()
        before = audit_snapshot(page, PAGE_FIELDS)
        for name, value in fields.items():
            setattr(page, name, value)
        try:
            page.full_clean()
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise ServiceError(" ".join(messages), field=field) from None
        page.updated_at = timezone.now()
        page.save()
        after = {
            k: str(v) if k.endswith("weight") else v
            for k, v in audit_snapshot(page, PAGE_FIELDS).items()
        }
        before = {k: str(v) if k.endswith("weight") else v for k, v in before.items()}
        audit_record(actor=actor, action="page.update", obj=page, before=before, after=after)
        public_changed()
    return page
