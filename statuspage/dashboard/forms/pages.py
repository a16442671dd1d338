"""The form for a new page (owners)."""

from __future__ import annotations

from django import forms


class PageNewForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=50, help_text="The page is served at /p/<slug>/ on any host of the install."
    )
    hosts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Host names the page answers on, one a line (each must be in ALLOWED_HOSTS).",
    )

    def clean_hosts(self) -> list[str]:
        raw = self.cleaned_data["hosts"] or ""
        return [h.strip() for h in raw.replace(",", "\n").splitlines() if h.strip()]
