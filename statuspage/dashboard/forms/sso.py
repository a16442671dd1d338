"""A page's single sign-on provider for its readers (admin). The client secret is never shown
back: left empty, the saved one stays."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django import forms

from statuspage.sso.models import OidcProvider

_SCOPE = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")  # RFC 6749 scope-token characters
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OidcProviderForm(forms.ModelForm[OidcProvider]):
    issuer = forms.URLField(
        label="Issuer URL",
        max_length=500,
        assume_scheme="https",
        help_text="As the provider names itself, e.g. https://sso.example.com/realms/staff "
        "(its discovery document is at <issuer>/.well-known/openid-configuration).",
    )
    client_secret = forms.CharField(
        label="Client secret",
        required=False,
        max_length=500,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Never shown again. Leave empty to keep the saved secret.",
    )

    class Meta:
        model = OidcProvider
        fields = [
            "enabled",
            "display_name",
            "issuer",
            "client_id",
            "scopes",
            "allowed_domains",
            "required_claim",
            "required_value",
        ]
        labels = {
            "enabled": "Readers may sign in with this provider",
            "display_name": "Button label",
            "client_id": "Client ID",
            "scopes": "Scopes",
            "allowed_domains": "Allowed email domains",
            "required_claim": "Required claim",
            "required_value": "Required claim value",
        }
        help_texts = {
            "display_name": "Readers see “Sign in with <label>”, e.g. “Example staff account”.",
            "scopes": "Space separated; openid is always asked for.",
            "allowed_domains": "Space separated, e.g. example.com example.org. Empty: any.",
            "required_claim": "A claim the ID token must carry, e.g. groups. Empty: none.",
            "required_value": "Its value, or for a list such as groups one of its members.",
        }

    def __init__(self, *args, has_secret: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_secret = has_secret
        if not has_secret:
            self.fields["client_secret"].help_text = "Never shown again once saved."

    def clean_issuer(self) -> str:
        issuer = self.cleaned_data["issuer"].strip().rstrip("/")
        parts = urlsplit(issuer)
        if parts.query or parts.fragment:
            raise forms.ValidationError("An issuer URL has no query or fragment.")
        if parts.scheme != "https" and not (
            parts.scheme == "http" and _loopback(parts.hostname or "")
        ):
            raise forms.ValidationError("Use https:// (plain http only on this machine).")
        return issuer

    def clean_scopes(self) -> str:
        scopes = self.cleaned_data["scopes"].split()
        if not all(_SCOPE.match(scope) for scope in scopes):
            raise forms.ValidationError("Scopes are words separated by spaces.")
        return " ".join(scopes) or "openid"

    def clean_allowed_domains(self) -> str:
        domains = self.cleaned_data["allowed_domains"].replace(",", " ").lower().split()
        domains = [d.lstrip("@") for d in domains]
        bad = [d for d in domains if not _DOMAIN.match(d)]
        if bad:
            raise forms.ValidationError(f"Not a domain name: {bad[0]}")
        return " ".join(domains)

    def clean(self):
        data = super().clean() or {}
        claim, value = data.get("required_claim", ""), data.get("required_value", "")
        if bool(claim) != bool(value):
            self.add_error(
                "required_value" if claim else "required_claim",
                "Set both the claim and its value, or neither.",
            )
        if not self.has_secret and not data.get("client_secret"):
            self.add_error("client_secret", "The provider's client secret is required.")
        return data
