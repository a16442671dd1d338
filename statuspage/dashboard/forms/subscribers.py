"""Subscriber forms: filters, add one, upload a CSV, filter and replay deliveries."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from incidents.models import Audience, Component, Page
from notifications.models import Channel, DeliveryState, SubscriberState
from notifications.services import IMPORT_COLUMNS
from statuspage.dashboard.forms.common import date_field, field_of

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 50_000
REQUIRED_COLUMNS = {"channel", "address"}


def _any(choices):
    return [("", "any"), *choices]


class SubscriberFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Search")
    channel = forms.ChoiceField(required=False, choices=_any(Channel.choices))
    state = forms.ChoiceField(required=False, choices=_any(SubscriberState.choices))

    def filters(self) -> dict:
        data = self.cleaned_data
        return {k: data.get(k) or None for k in ("q", "channel", "state")}


class SubscriberAddForm(forms.Form):
    channel = forms.ChoiceField(choices=Channel.choices)
    address = forms.CharField(
        max_length=500, help_text="Email address, phone number (+14155550123) or https:// URL."
    )
    contact_email = forms.EmailField(
        required=False, label="Contact email", help_text="Webhooks only: told if it fails."
    )
    components: forms.ModelMultipleChoiceField[Component] = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None chosen: every component.",
    )
    audience = forms.ModelChoiceField(
        queryset=Audience.objects.none(),
        required=False,
        help_text="On an audience-specific page: it hears only what this audience sees.",
    )
    skip_confirmation = forms.BooleanField(
        required=False,
        label="Skip confirmation",
        help_text="Active at once, no opt-in message. Only when they asked you to add them.",
    )

    def __init__(self, *args, page: Page, **kwargs):
        super().__init__(*args, **kwargs)
        # The page the dashboard works on: its components and audiences only.
        field_of(
            self, "components", forms.ModelMultipleChoiceField
        ).queryset = Component.objects.filter(page=page)
        field_of(self, "audience", forms.ModelChoiceField).queryset = Audience.objects.filter(
            page=page
        )


class SubscriberAudienceForm(forms.Form):
    audience = forms.ModelChoiceField(
        queryset=Audience.objects.none(),
        required=False,
        empty_label="No audience (hears nothing of an audience-specific page)",
        help_text="Components the new audience does not see leave the subscriber's list.",
    )

    def __init__(self, *args, page: Page, **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "audience", forms.ModelChoiceField).queryset = Audience.objects.filter(
            page=page
        )


class SubscriberImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "UTF-8, up to 5 MB, with a header row: channel,address,contact_email,components "
            "(components separated by ';', by name or id; blank = all)."
        ),
    )
    skip_confirmation = forms.BooleanField(
        required=False,
        label="Skip confirmation",
        help_text="Everyone is active at once. Otherwise each address gets an opt-in message.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file is larger than 5 MB; split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("This is not a UTF-8 CSV file.") from None
        self.rows = _parse_csv(text)
        return upload


def _parse_csv(text: str) -> list[dict[str, str]]:
    if "\x00" in text:
        raise forms.ValidationError("This is not a CSV file (it contains binary data).")
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(h or "").strip().lower() for h in reader.fieldnames or []]
        missing = REQUIRED_COLUMNS - set(header)
        if missing:
            raise forms.ValidationError(
                "The first row must be the header channel,address,contact_email,components "
                f"(missing: {', '.join(sorted(missing))})."
            )
        unknown = [h for h in header if h not in IMPORT_COLUMNS]
        if unknown:
            raise forms.ValidationError(f"Unknown column(s): {', '.join(unknown)}.")
        reader.fieldnames = header
        rows: list[dict[str, str]] = []
        for raw in reader:
            if len(rows) >= MAX_IMPORT_ROWS:
                raise forms.ValidationError(f"At most {MAX_IMPORT_ROWS} rows per file.")
            rows.append({k: (raw.get(k) or "") for k in IMPORT_COLUMNS})
    except csv.Error as exc:
        raise forms.ValidationError(f"The file is not valid CSV: {exc}.") from None
    if not rows:
        raise forms.ValidationError("The file has a header but no rows.")
    return rows


class DeliveryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label="Subscriber")
    state = forms.ChoiceField(required=False, choices=_any(DeliveryState.choices))
    channel = forms.ChoiceField(required=False, choices=_any(Channel.choices))
    event = forms.IntegerField(required=False, min_value=1, label="Event #")
    date_from = date_field(required=False)
    date_to = date_field(required=False, label="Date to (incl.)")

    def filters(self) -> dict:
        """Selector keyword arguments; dates are whole days in the page's time zone."""
        data = self.cleaned_data
        tz = timezone.get_current_timezone()

        def day_start(day):
            return datetime.combine(day, time.min, tzinfo=tz) if day else None

        return {
            "q": data.get("q") or None,
            "state": data.get("state") or None,
            "channel": data.get("channel") or None,
            "event_id": data.get("event"),
            "since": day_start(data.get("date_from")),
            "until": day_start(data["date_to"] + timedelta(days=1))
            if data.get("date_to")
            else None,
        }


class ReachForm(forms.Form):
    kind = forms.CharField(max_length=40)
    components = forms.TypedMultipleChoiceField(required=False, coerce=int)
    incident = forms.CharField(required=False, max_length=40)

    def __init__(self, *args, component_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        field_of(self, "components", forms.TypedMultipleChoiceField).choices = [
            (pk, pk) for pk in component_ids
        ]
