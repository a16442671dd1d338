"""Filters of the audit log."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from statuspage.dashboard.forms.common import date_field, field_of


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=200)
    object_type = forms.ChoiceField(required=False, label="Object")
    action = forms.CharField(required=False, max_length=64)
    date_from = date_field(required=False)
    date_to = date_field(required=False, label="Date to (incl.)")

    def __init__(self, *args, object_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "object_type", forms.ChoiceField).choices = [
            ("", "any"),
            *((t, t) for t in object_types),
        ]

    def filters(self) -> dict:
        """Selector keyword arguments; dates are whole days in the active (page) time zone."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()

        def day_start(day):
            return datetime.combine(day, time.min, tzinfo=tz) if day else None

        until = day_start(data["date_to"] + timedelta(days=1)) if data.get("date_to") else None
        return {
            "actor": data.get("actor") or "",
            "object_type": data.get("object_type") or "",
            "action": data.get("action") or "",
            "since": day_start(data.get("date_from")),
            "until": until,
        }
