"""Alert route form (admin)."""

from __future__ import annotations

from django import forms

from incidents.models import Component
from incidents.services import ServiceError
from statuspage.automation.models import AlertRoute
from statuspage.automation.rules import NAME_HELP, check_name_template, parse_matchers

MATCHERS_HELP = (
    'One per line, as in Alertmanager: service="api", severity=~"critical|page", '
    'env!="staging". Regular expressions match the whole value. Empty: every alert.'
)


class AlertRouteForm(forms.Form):
    name = forms.CharField(max_length=100)
    enabled = forms.BooleanField(required=False, initial=True)
    matchers = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text=MATCHERS_HELP,
    )
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(), widget=forms.CheckboxSelectMultiple
    )
    firing_status = forms.ChoiceField(
        choices=AlertRoute.FiringStatus.choices,
        initial=AlertRoute.FiringStatus.MAJOR_OUTAGE,
        label="Component status while firing",
    )
    open_incident = forms.BooleanField(
        required=False, help_text="One incident per Alertmanager group, resolved when it clears."
    )
    incident_name_template = forms.CharField(
        required=False, max_length=300, label="Incident name", help_text=NAME_HELP
    )
    impact_override = forms.ChoiceField(
        required=False,
        choices=[("", "— computed from components —"), *AlertRoute.ImpactOverride.choices],
    )
    notify = forms.BooleanField(required=False, label="Notify subscribers")

    def __init__(self, *args, page, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the components of the page the operator works on.
        components = self.fields["components"]
        assert isinstance(components, forms.ModelMultipleChoiceField)
        components.queryset = Component.objects.filter(page=page)

    def clean_matchers(self):
        try:
            return parse_matchers(self.cleaned_data["matchers"])
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean_incident_name_template(self):
        value = self.cleaned_data["incident_name_template"].strip()
        try:
            check_name_template(value)
        except ServiceError as exc:
            raise forms.ValidationError(exc.message) from None
        return value
