"""Audience form (admin): who reads which components of an audience-specific page."""

from __future__ import annotations

from django import forms

from incidents.models import Component

LIST_HELP = "One per line."


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace(",", "\n").splitlines() if line.strip()]


class AudienceForm(forms.Form):
    name = forms.CharField(max_length=120, help_text="E.g. “Acme Corp” or “EU customers”.")
    slug = forms.SlugField(max_length=50, help_text="A short name for links and the API.")
    position = forms.IntegerField(
        min_value=0,
        max_value=1_000_000,
        initial=0,
        help_text="A reader matching several audiences belongs to the first (lowest) one.",
    )
    components = forms.ModelMultipleChoiceField(
        queryset=Component.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="What this audience sees, with the incidents and maintenance touching them.",
    )
    emails = forms.CharField(
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Email addresses",
        help_text=LIST_HELP,
    )
    domains = forms.CharField(
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Email domains",
        help_text="Every address at these domains, e.g. acme.example. " + LIST_HELP,
    )
    claim_name = forms.CharField(
        required=False,
        max_length=64,
        label="Single sign-on claim",
        help_text="An OpenID Connect claim, e.g. groups.",
    )
    claim_value = forms.CharField(
        required=False,
        max_length=200,
        label="Claim value",
        help_text="Readers whose claim equals (or, for a list, contains) this value.",
    )
    members = forms.CharField(
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Listed readers",
        help_text="Sign-in identities placed here by hand (an address, or oidc:<issuer>|<sub>). "
        + LIST_HELP,
    )

    def __init__(self, *args, page_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["components"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = Component.objects.filter(page_id=page_id).order_by("position", "id")

    def clean(self):
        data = super().clean() or {}
        for name in ("emails", "domains", "members"):
            data[name] = _lines(data.get(name) or "")
        if bool(data.get("claim_name")) != bool(data.get("claim_value")):
            raise forms.ValidationError("Give both the claim and its value, or neither.")
        return data
