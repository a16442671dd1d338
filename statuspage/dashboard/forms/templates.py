"""Incident template form (admin)."""

from __future__ import annotations

from django import forms

from incidents import selectors
from incidents.models import Component, IncidentTemplate
from incidents.templating import VARIABLES_HELP
from statuspage.dashboard.forms.incidents import OPEN_STATUS_CHOICES


class IncidentTemplateForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="How operators pick it, e.g. “API down”.")
    title = forms.CharField(max_length=200, help_text=VARIABLES_HELP)
    body = forms.CharField(
        max_length=20000, widget=forms.Textarea(attrs={"rows": 6}), help_text=VARIABLES_HELP
    )
    status = forms.ChoiceField(choices=OPEN_STATUS_CHOICES)
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    # The model's choices (`or ()`: to a type checker a model field's choices may be None).
    component_status = forms.ChoiceField(
        choices=IncidentTemplate._meta.get_field("component_status").choices or ()
    )

    def __init__(self, *args, instance: IncidentTemplate | None = None, page, **kwargs):
        self.instance = instance
        self.page = page
        super().__init__(*args, **kwargs)
        # Only the components of the page the operator works on.
        components = self.fields["components"]
        assert isinstance(components, forms.ModelMultipleChoiceField)
        components.queryset = Component.objects.filter(page=page)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if selectors.incident_template_name_taken(name, exclude=self.instance, page=self.page):
            raise forms.ValidationError("A template has that name already.")
        return name
