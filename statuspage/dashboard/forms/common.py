"""Form helpers shared by the incident, maintenance and component forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from django import forms

from incidents.enums import ComponentStatus
from incidents.models import ComponentGroup
from incidents.services import ServiceError

# The statuses an incident may impose (maintenance comes only from a maintenance window).
INCIDENT_COMPONENT_CHOICES = [
    (value, label)
    for value, label in ComponentStatus.choices
    if value != ComponentStatus.UNDER_MAINTENANCE
]


def add_service_error(form: forms.Form, error: ServiceError) -> None:
    """Show a refused change on the form: on its field when the form has one, else on top."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


_Field = TypeVar("_Field", bound=forms.Field)


def field_of(form: forms.BaseForm, name: str, kind: type[_Field]) -> _Field:
    """`form.fields[name]` as the field class the form declares it with, to set what only that
    class has (a queryset, choices) at run time: `form.fields` holds plain `Field`s to a type
    checker."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(
            f"{type(form).__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}."
        )
    return field


@dataclass
class ComponentGroupFields:
    """One group of the picker: its "whole group" choice (None for ungrouped components) and
    its components' own choices."""

    name: str
    whole: forms.BoundField | None
    members: list[forms.BoundField]


class ComponentStatusesMixin(forms.Form):
    """One optional status choice per component, named `component_<id>`: blank = not touched.

    Grouped components also get `group_<id>`, a status for the whole group: it applies to each
    member whose own choice is blank, so "the EU region is down" is one choice, not six.
    """

    def add_component_fields(self, components, initial: dict[int, str] | None = None) -> None:
        initial = initial or {}
        self.components = list(components)
        choices = [("", "— not affected —"), *INCIDENT_COMPONENT_CHOICES]
        group_ids = {c.group_id for c in self.components if c.group_id}
        self.groups = {g.id: g for g in ComponentGroup.objects.filter(id__in=group_ids)}
        for group in self.groups.values():
            self.fields[f"group_{group.id}"] = forms.ChoiceField(
                label=f"Whole group: {group.name}",
                required=False,
                choices=[("", "— each as set below —"), *INCIDENT_COMPONENT_CHOICES],
            )
        for component in self.components:
            self.fields[f"component_{component.id}"] = forms.ChoiceField(
                label=component.name,
                required=False,
                choices=choices,
                initial=initial.get(component.id, ""),
            )

    def component_fields(self):
        return [self[f"component_{c.id}"] for c in self.components]

    def component_groups(self) -> list[ComponentGroupFields]:
        """The picker in page order: each group with its members, then ungrouped components."""
        grouped: dict[int | None, ComponentGroupFields] = {}
        for component in self.components:
            key = component.group_id if component.group_id in self.groups else None
            if key not in grouped:
                whole = self[f"group_{key}"] if key is not None else None
                name = self.groups[key].name if key is not None else "Other components"
                grouped[key] = ComponentGroupFields(name, whole, [])
            grouped[key].members.append(self[f"component_{component.id}"])
        loose = grouped.pop(None, None)
        return [*grouped.values(), *([loose] if loose else [])]

    def component_statuses(self) -> dict:
        out = {}
        for component in self.components:
            value = self.cleaned_data.get(f"component_{component.id}")
            if not value and component.group_id in self.groups:
                value = self.cleaned_data.get(f"group_{component.group_id}")
            if value:
                out[component] = value
        return out


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


# Dates far from now are typos, and at the ends of the calendar converting between time zones
# overflows; refusing them here keeps every later computation in range.
MIN_YEAR, MAX_YEAR = 1970, 9000


def check_year(value):
    if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
        raise forms.ValidationError(f"Give a date between {MIN_YEAR} and {MAX_YEAR}.")


def date_field(**kwargs) -> forms.DateField:
    return forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), validators=[check_year], **kwargs
    )


def local_datetime_field(label: str) -> forms.DateTimeField:
    # Parsed in the active time zone, which the dashboard sets to the page's (permissions.py).
    return forms.DateTimeField(
        label=label,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[check_year],
    )
