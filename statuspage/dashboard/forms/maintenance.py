"""Maintenance forms. Times are entered in the page's time zone."""

from __future__ import annotations

from typing import Any

from django import forms

from incidents.enums import ACTIVE_MAINTENANCE_STATUSES
from incidents.models import Component
from statuspage.dashboard.forms.common import field_of, local_datetime_field
from statuspage.dashboard.forms.incidents import body_field


class WindowMixin(forms.Form):
    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        start = self.cleaned_data.get("scheduled_for")
        end = self.cleaned_data.get("scheduled_until")
        if start and end and end <= start:
            self.add_error("scheduled_until", "The window must end after it starts.")
        return cleaned


class MaintenanceScheduleForm(WindowMixin, forms.Form):
    name = forms.CharField(max_length=200)
    scheduled_for = local_datetime_field("Starts")
    scheduled_until = local_datetime_field("Ends")
    components: forms.ModelMultipleChoiceField[Component] = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    body = body_field(required=False)
    auto_start = forms.BooleanField(required=False, initial=True, label="Start automatically")
    auto_complete = forms.BooleanField(required=False, initial=True, label="Complete automatically")
    remind_before_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=7 * 24 * 60,
        label="Remind subscribers (minutes before)",
    )
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")

    def __init__(self, *args, components_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "components", forms.ModelMultipleChoiceField).queryset = components_queryset


class MaintenanceRescheduleForm(WindowMixin, forms.Form):
    scheduled_for = local_datetime_field("Starts")
    scheduled_until = local_datetime_field("Ends")
    body = body_field(required=False)
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")


class MaintenanceUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=[(s.value, s.label) for s in ACTIVE_MAINTENANCE_STATUSES])
    body = body_field()
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")


class MaintenanceNoteForm(forms.Form):
    """Start, complete early, or cancel: an optional message and the notify toggle."""

    body = body_field(required=False)
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")
