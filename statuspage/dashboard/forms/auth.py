"""Sign-in and two-factor forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from notifications.ratelimit import client_address
from statuspage.dashboard import throttle

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts for this account or from this address. "
    "Sign-in is locked for {minutes} minutes; try again later or reset your password."
)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing every attempt while the username or address is locked."""

    def clean(self):
        from django.conf import settings

        username = self.cleaned_data.get("username") or ""
        # The form may be built without a request (Django's signature allows it): the attempt
        # then counts under "unknown", as one whose request names no address.
        address = client_address(self.request) if self.request is not None else "unknown"
        minutes = max(1, settings.DASHBOARD_LOGIN_LOCKOUT_SECONDS // 60)
        if throttle.is_locked(username, address):
            raise ValidationError(LOCKED_MESSAGE.format(minutes=minutes), code="locked")
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.record_failure(username, address)
            raise
        throttle.reset(username)
        return cleaned


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
    )

    def clean_token(self):
        return self.cleaned_data["token"].replace(" ", "").strip()
