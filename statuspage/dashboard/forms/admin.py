"""Admin-only forms: page settings and operators."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator

from statuspage.access.models import Role


class PageSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    url = forms.URLField(
        label="Public URL",
        max_length=200,
        assume_scheme="https",
        required=False,
        help_text="Where readers find the page; links in emails, feeds and the widget use it. "
        "Empty: the address this site is reached at.",
    )
    time_zone = forms.ChoiceField(
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones())],
        help_text="Days of the uptime bars and all times on the page and dashboard use it.",
    )
    partial_outage_weight = forms.DecimalField(
        min_value=0,
        max_value=1,
        max_digits=4,
        decimal_places=3,
        help_text="Share of partial-outage time counted as downtime.",
    )
    degraded_weight = forms.DecimalField(
        min_value=0,
        max_value=1,
        max_digits=4,
        decimal_places=3,
        help_text="Share of degraded time counted as downtime.",
    )
    uptime_thresholds = forms.CharField(
        required=False,
        max_length=60,
        label="Uptime colour thresholds (minutes)",
        help_text="Four ascending whole minutes, e.g. 0, 20, 40, 60. Blank for the defaults.",
    )
    notify_component_changes = forms.BooleanField(
        required=False,
        label="Notify subscribers of component status changes outside incidents",
        help_text="When a component's status is set from the board, the API or an alert "
        "route, its subscribers hear about it. Incidents and maintenance always notify.",
    )

    def clean_uptime_thresholds(self) -> list[int]:
        text = self.cleaned_data["uptime_thresholds"].strip()
        if not text:
            return []
        try:
            values = [int(part) for part in text.replace(" ", "").split(",")]
        except ValueError:
            raise forms.ValidationError("Give whole minutes separated by commas.") from None
        if len(values) != 4 or values != sorted(values) or min(values) < 0:
            raise forms.ValidationError("Give four ascending whole minutes, e.g. 0, 20, 40, 60.")
        return values


class OperatorInviteForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = forms.EmailField(help_text="They set a password with “Forgot your password?”.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class OperatorRoleForm(forms.Form):
    role = forms.ChoiceField(choices=[("", "No access"), *Role.choices], required=False)
