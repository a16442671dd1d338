"""Upstream provider forms (admin): add one by URL or from the catalogue, its settings, and
which local component follows which upstream one."""

from __future__ import annotations

from django import forms

from incidents.models import Component
from statuspage.upstream.catalogue import CATALOGUE


class ProviderAddForm(forms.Form):
    catalogue = forms.ChoiceField(
        required=False,
        label="Well-known provider",
        choices=[("", "— or enter an address below —"), *((u, n) for n, u in CATALOGUE)],
    )
    url = forms.URLField(
        required=False,
        assume_scheme="https",
        max_length=500,
        label="Status page address",
        help_text="A Statuspage-compatible page (its /api/v2/summary.json is polled), or the "
        "address of an Atom/RSS status feed.",
        widget=forms.URLInput(attrs={"placeholder": "https://www.githubstatus.com"}),
    )
    name = forms.CharField(
        required=False, max_length=120, help_text="Empty: the provider's own page name."
    )
    notify_subscribers = forms.BooleanField(
        required=False,
        label="Notify subscribers",
        help_text="Of this provider's incidents and mapped components' changes (off: they "
        "show on the page only).",
    )

    def clean(self):
        data = super().clean() or {}
        if not data.get("url") and not data.get("catalogue") and not self.errors:
            raise forms.ValidationError("Choose a provider or enter a status page address.")
        data["url"] = data.get("url") or data.get("catalogue", "")
        return data


class ProviderSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    enabled = forms.BooleanField(required=False, label="Poll this provider")
    notify_subscribers = forms.BooleanField(required=False, label="Notify subscribers")
    show_incidents = forms.BooleanField(
        required=False, label="Show the provider's incidents on the public page"
    )
    interval_seconds = forms.IntegerField(
        min_value=60, max_value=86400, label="Poll every (seconds)"
    )


class ProviderMappingForm(forms.Form):
    """One choice per upstream component, `up_<n>`: the local component that follows it."""

    def __init__(self, *args, upstream: list[dict], initial_links: dict[str, int], page, **kwargs):
        super().__init__(*args, **kwargs)
        self.upstream = upstream
        # Only the components of the provider's page.
        components = Component.objects.filter(page=page)
        for n, item in enumerate(upstream):
            self.fields[f"up_{n}"] = forms.ModelChoiceField(
                queryset=components,
                required=False,
                label=item["name"],
                empty_label="— not followed —",
                initial=initial_links.get(item["id"]),
            )

    def mapping(self) -> dict[str, Component | None]:
        return {item["id"]: self.cleaned_data[f"up_{n}"] for n, item in enumerate(self.upstream)}

    def clean(self):
        data = super().clean() or {}
        chosen = [c for c in data.values() if c is not None]
        if len({c.pk for c in chosen}) != len(chosen):
            raise forms.ValidationError("A local component can follow one upstream component.")
        return data
