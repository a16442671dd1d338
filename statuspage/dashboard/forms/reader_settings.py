"""Who may read a page (admin): its visibility and its readers' sign-in methods."""

from __future__ import annotations

from django import forms

from incidents.models.pages import Visibility
from statuspage.readers.selectors import parse_networks


class ReaderSettingsForm(forms.Form):
    visibility = forms.ChoiceField(
        label="Who can read this page",
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text="Private and audience pages serve nothing (page, feeds, JSON, widget, "
        "badges) to anyone who has not signed in.",
    )
    password = forms.CharField(
        label="New shared password",
        required=False,
        min_length=10,
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current one. Changing it signs every reader out.",
    )
    clear_password = forms.BooleanField(
        label="No shared password (signs its readers out)", required=False
    )
    magic_link_allowed = forms.CharField(
        label="Email sign-in links for",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One address (alice@example.com) or domain (@example.com) per line. Empty: "
        "no email sign-in.",
    )
    ip_allowlist = forms.CharField(
        label="Let in without sign-in from",
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One address or CIDR range (203.0.113.0/24, 2001:db8::/32) per line. Behind a "
        "proxy, set TRUST_X_FORWARDED_FOR so the client's address is the one checked.",
    )

    def clean_ip_allowlist(self) -> str:
        value = self.cleaned_data["ip_allowlist"]
        try:
            parse_networks(value)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return value

    def clean_magic_link_allowed(self) -> str:
        value = self.cleaned_data["magic_link_allowed"]
        for line in value.splitlines():
            rule = line.strip()
            if rule and ("." not in rule.rsplit("@", 1)[-1] or " " in rule):
                raise forms.ValidationError(f"{rule!r} is not an email address or a domain.")
        return value
