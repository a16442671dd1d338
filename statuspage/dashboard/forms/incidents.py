"""Incident forms: declare, post an update, resolve, reopen, edit an update, postmortem."""

from __future__ import annotations

from django import forms

from incidents.enums import OPEN_INCIDENT_STATUSES, Impact, IncidentStatus
from statuspage.dashboard.forms.common import ComponentStatusesMixin

OPEN_STATUS_CHOICES = [(s.value, s.label) for s in OPEN_INCIDENT_STATUSES]
IMPACT_CHOICES = [("", "Computed from components")] + [
    (value, label) for value, label in Impact.choices if value != Impact.MAINTENANCE
]
FIRST_NOTICE = "We are investigating this issue and will post an update within 30 minutes."
BODY_HELP = "Markdown. Say what users see, what you are doing, and when you will update next."


def body_field(label: str = "Message", required: bool = True) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=20000,
        help_text=BODY_HELP,
        widget=forms.Textarea(attrs={"rows": 6, "data-preview": "1"}),
    )


class IncidentDeclareForm(ComponentStatusesMixin, forms.Form):
    # Declaring starts here: the cursor is in Name the moment the form opens.
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))
    status = forms.ChoiceField(choices=OPEN_STATUS_CHOICES, initial=IncidentStatus.INVESTIGATING)
    impact_override = forms.ChoiceField(choices=IMPACT_CHOICES, required=False, label="Impact")
    # Filled in, visibly, so a first notice needs only a name; the responder edits it at will.
    body = body_field()
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")

    def __init__(self, *args, components=(), current: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].initial = FIRST_NOTICE
        self.add_component_fields(components, initial=current)


class IncidentUpdateForm(ComponentStatusesMixin, forms.Form):
    status = forms.ChoiceField(choices=OPEN_STATUS_CHOICES)
    impact_override = forms.ChoiceField(choices=IMPACT_CHOICES, required=False, label="Impact")
    body = body_field()
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")

    def __init__(self, *args, components=(), current: dict[int, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_component_fields(components, initial=current)


class IncidentResolveForm(forms.Form):
    body = body_field()
    notify = forms.BooleanField(required=False, initial=True, label="Notify subscribers")


class UpdateEditForm(forms.Form):
    body = body_field()


class TranslationForm(forms.Form):
    """One language's translation of an update's message, and of its incident's or
    maintenance window's name (`name_label` says which)."""

    language = forms.ChoiceField()
    name = forms.CharField(
        label="Incident name", required=False, max_length=200, help_text="Leave empty to keep."
    )
    body = body_field(label="Message", required=False)

    def __init__(
        self, *args, languages: list[tuple[str, str]], name_label: str = "Incident name", **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = languages  # type: ignore[attr-defined]
        self.fields["name"].label = name_label

    def clean(self):
        data = super().clean() or {}
        if not (data.get("name") or "").strip() and not (data.get("body") or "").strip():
            raise forms.ValidationError("Give a translated name, message or both.")
        return data


class IncidentReopenForm(IncidentUpdateForm):
    """Reopening: the statuses it had are offered again; its impact stays as computed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["impact_override"]
        self.fields[
            "body"
        ].help_text = "Markdown. Say why the incident is back and what users may see again."


POSTMORTEM_HELP = (
    "Markdown. What happened, why, and what changes so that it does not happen again. "
    "Saving keeps a draft only operators see; publishing puts it on the incident's public page."
)


class PostmortemForm(forms.Form):
    body = forms.CharField(
        label="Postmortem",
        required=False,
        max_length=20000,
        help_text=POSTMORTEM_HELP,
        widget=forms.Textarea(attrs={"rows": 10, "data-preview": "1"}),
    )
    notify = forms.BooleanField(
        required=False, initial=True, label="Notify subscribers when publishing"
    )


class PreviewForm(forms.Form):
    body = forms.CharField(required=False, max_length=20000)
