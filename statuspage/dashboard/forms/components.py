"""Component and group forms (admin only)."""

from __future__ import annotations

from django import forms

from incidents.models import ComponentGroup
from statuspage.dashboard.forms.common import date_field


class ComponentForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    group = forms.ModelChoiceField(
        queryset=ComponentGroup.objects.all(), required=False, empty_label="— no group —"
    )
    showcase = forms.BooleanField(required=False, initial=True, label="Show uptime bar")
    only_show_if_degraded = forms.BooleanField(
        required=False, label="Hide on the public page unless degraded"
    )
    start_date = date_field(required=False, help_text="Uptime is counted from this day.")

    def __init__(self, *args, page, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the groups of the page the operator works on.
        group = self.fields["group"]
        assert isinstance(group, forms.ModelChoiceField)
        group.queryset = ComponentGroup.objects.filter(page=page)


class GroupForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    collapsed = forms.BooleanField(required=False, label="Collapsed when all is well")


class StatusForm(forms.Form):
    status = forms.CharField(max_length=32)
    # The board's one-click buttons send none: the change notifies if the page notifies
    # component changes at all (its setting). "false" keeps one change quiet.
    notify = forms.NullBooleanField(required=False)
    # An outage turns the public banner red: the board asks once more before setting one.
    confirmed = forms.BooleanField(required=False)
    undo = forms.BooleanField(required=False)
