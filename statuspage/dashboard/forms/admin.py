"""Admin-only forms: page settings and operators."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError

from incidents import branding
from incidents.languages import LANGUAGES
from statuspage.access.models import Role

STATUS_COLOR_LABELS = {
    "operational": "Operational",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "under_maintenance": "Under maintenance",
}
# Footer link rows read from a submitted form: far more than the limit, so a form with too
# many is told so instead of silently losing the rest.
LINK_ROWS_READ = 50


# The public page's built-in colours (statuspage/static/public/status.css), shown as each
# field's placeholder: what a blank field means.
BUILT_IN_COLORS = {
    "accent_color": "#0b5cad",
    "operational": "#1a7f37",
    "degraded_performance": "#8a5a00",
    "partial_outage": "#b34100",
    "major_outage": "#c11f2b",
    "under_maintenance": "#0b5cad",
}


def _color_field(label: str, built_in: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=7,
        validators=[branding.validate_hex_color],
        widget=forms.TextInput(
            attrs={"placeholder": built_in, "data-color": "", "spellcheck": "false", "size": 8}
        ),
    )


def _image_field(label: str, rules: branding.ImageRules, help_text: str) -> forms.FileField:
    accept = ",".join(branding.FORMATS[f][1] for f in rules.formats)
    return forms.FileField(
        label=label,
        required=False,
        help_text=f"{help_text} At most {rules.max_bytes // 1024} KB and "
        f"{rules.max_side}×{rules.max_side} pixels. SVG is not accepted (it can carry scripts).",
        widget=forms.FileInput(attrs={"accept": accept}),
    )


class PageSettingsForm(forms.Form):
    name = forms.CharField(max_length=120)
    url = forms.URLField(
        label="Public URL",
        max_length=200,
        assume_scheme="https",
        required=False,
        help_text="Where readers find the page; links in emails, feeds and the widget use it. "
        "Empty: the address this site is reached at.",
    )
    time_zone = forms.ChoiceField(
        choices=[(z, z) for z in sorted(zoneinfo.available_timezones())],
        help_text="Days of the uptime bars and all times on the page and dashboard use it.",
    )
    language = forms.ChoiceField(
        choices=LANGUAGES,
        required=False,  # absent (an older form, a script): the page keeps its language
        label="Default language",
        help_text="The public page's language at its plain addresses; readers pick another "
        "from the page's language links (/de/, /fr/, ...), and the front page follows their "
        "browser's.",
    )
    partial_outage_weight = forms.DecimalField(
        min_value=0,
        max_value=1,
        max_digits=4,
        decimal_places=3,
        help_text="Share of partial-outage time counted as downtime.",
    )
    degraded_weight = forms.DecimalField(
        min_value=0,
        max_value=1,
        max_digits=4,
        decimal_places=3,
        help_text="Share of degraded time counted as downtime.",
    )
    uptime_thresholds = forms.CharField(
        required=False,
        max_length=60,
        label="Uptime colour thresholds (minutes)",
        help_text="Four ascending whole minutes, e.g. 0, 20, 40, 60. Blank for the defaults.",
    )
    notify_component_changes = forms.BooleanField(
        required=False,
        label="Notify subscribers of component status changes outside incidents",
        help_text="When a component's status is set from the board, the API or an alert "
        "route, its subscribers hear about it. Incidents and maintenance always notify.",
    )

    # --- branding ---
    logo = _image_field("Logo", branding.LOGO, "PNG, JPEG or WebP, shown beside the page name.")
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")
    favicon = _image_field("Favicon", branding.FAVICON, "PNG or ICO, the browser tab's icon.")
    remove_favicon = forms.BooleanField(required=False, label="Remove the favicon")
    accent_color = _color_field("Accent colour", BUILT_IN_COLORS["accent_color"])
    custom_css = forms.CharField(
        label="Custom CSS",
        required=False,
        max_length=branding.MAX_CUSTOM_CSS,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="Appended after the page's own stylesheet, so it overrides it "
        f"(at most {branding.MAX_CUSTOM_CSS:,} characters).",
    )

    def __init__(self, *args, page=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        colors = page.status_colors if page and isinstance(page.status_colors, dict) else {}
        for key, label in STATUS_COLOR_LABELS.items():
            field = _color_field(f"{label} colour", BUILT_IN_COLORS[key])
            field.initial = colors.get(key, "")
            self.fields[f"color_{key}"] = field
        links = page.footer_links if page and isinstance(page.footer_links, list) else []
        rows = min(branding.MAX_FOOTER_LINKS, len(links) + 2)
        if self.is_bound:
            rows = max(rows, self._submitted_link_rows())
        for i in range(rows):
            link = links[i] if i < len(links) and isinstance(links[i], dict) else {}
            self.fields[f"link_label_{i}"] = forms.CharField(
                label=f"Link {i + 1} label",
                required=False,
                max_length=branding.MAX_LINK_LABEL,
                initial=link.get("label", ""),
            )
            self.fields[f"link_url_{i}"] = forms.CharField(
                label=f"Link {i + 1} URL",
                required=False,
                max_length=branding.MAX_LINK_URL,
                initial=link.get("url", ""),
                widget=forms.URLInput(attrs={"placeholder": "https://"}),
            )
        self.link_rows = rows

    def _submitted_link_rows(self) -> int:
        filled = [
            i
            for i in range(LINK_ROWS_READ)
            if self.data.get(f"link_url_{i}") or self.data.get(f"link_label_{i}")
        ]
        return max(filled) + 1 if filled else 0

    def color_fields(self) -> list[forms.BoundField]:
        return [self["accent_color"], *(self[f"color_{k}"] for k in STATUS_COLOR_LABELS)]

    def link_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"link_label_{i}"], self[f"link_url_{i}"]) for i in range(self.link_rows)]

    def general_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in GENERAL_FIELDS]

    def _clean_image(self, name: str, rules: branding.ImageRules) -> branding.CheckedImage | None:
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        if upload.size > rules.max_bytes:  # refused before reading it into memory
            raise ValidationError(
                f"The {rules.label} is {upload.size // 1024} KB; the limit is "
                f"{rules.max_bytes // 1024} KB."
            )
        return branding.check_image(upload.read(), rules)

    def clean_logo(self) -> branding.CheckedImage | None:
        return self._clean_image("logo", branding.LOGO)

    def clean_favicon(self) -> branding.CheckedImage | None:
        return self._clean_image("favicon", branding.FAVICON)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        links = []
        for i in range(self.link_rows):
            label = (data.get(f"link_label_{i}") or "").strip()
            url = (data.get(f"link_url_{i}") or "").strip()
            if not label and not url:
                continue
            if not url or not label:
                missing = ("link_url_", "URL") if not url else ("link_label_", "label")
                self.add_error(
                    f"{missing[0]}{i}", f"Give the link's {missing[1]}, or clear the row."
                )
                continue
            try:
                branding.validate_http_url(url)
            except ValidationError as exc:
                self.add_error(f"link_url_{i}", exc)
                continue
            links.append({"label": label, "url": url})
        if len(links) > branding.MAX_FOOTER_LINKS:
            self.add_error(None, f"At most {branding.MAX_FOOTER_LINKS} footer links.")
        data["footer_links"] = links
        return data

    def branding_values(self) -> dict[str, object]:
        """The branding fields of a valid form, as Page fields (images apart)."""
        data = self.cleaned_data
        saved = self.page.status_colors if self.page else {}
        # Colours the form does not show (indicators, uptime levels) are kept when valid.
        colors = {
            k: v
            for k, v in (saved if isinstance(saved, dict) else {}).items()
            if k not in STATUS_COLOR_LABELS and isinstance(v, str) and branding.HEX_COLOR.match(v)
        }
        for key in STATUS_COLOR_LABELS:
            if data.get(f"color_{key}"):
                colors[key] = data[f"color_{key}"].lower()
        return {
            "accent_color": (data.get("accent_color") or "").lower(),
            "status_colors": colors,
            "custom_css": data.get("custom_css") or "",
            "footer_links": data.get("footer_links", []),
        }

    def contrast_warnings(self) -> list[str]:
        values = [(str(f.label), f.value() or "") for f in self.color_fields()]
        return [w for label, value in values for w in branding.contrast_warnings(label, value)]

    def clean_language(self) -> str:
        return self.cleaned_data["language"] or self.initial.get("language") or "en"

    def clean_uptime_thresholds(self) -> list[int]:
        text = self.cleaned_data["uptime_thresholds"].strip()
        if not text:
            return []
        try:
            values = [int(part) for part in text.replace(" ", "").split(",")]
        except ValueError:
            raise forms.ValidationError("Give whole minutes separated by commas.") from None
        if len(values) != 4 or values != sorted(values) or min(values) < 0:
            raise forms.ValidationError("Give four ascending whole minutes, e.g. 0, 20, 40, 60.")
        return values


GENERAL_FIELDS = (
    "name",
    "url",
    "time_zone",
    "language",
    "partial_outage_weight",
    "degraded_weight",
    "uptime_thresholds",
    "notify_component_changes",
)


class OperatorInviteForm(forms.Form):
    username = forms.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = forms.EmailField(help_text="They set a password with “Forgot your password?”.")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.VIEWER)


class OperatorRoleForm(forms.Form):
    role = forms.ChoiceField(choices=[("", "No access"), *Role.choices], required=False)
