"""Monitor form (admin). The fields are light: the monitors app validates (one statement for
the dashboard and the API) and its refusals land on the field they name."""

from __future__ import annotations

from django import forms

from incidents.models import Component, IncidentTemplate
from statuspage.monitors.models import FailureStatus, Kind, RecordType
from statuspage.monitors.validation import METHODS

_NUMBER = {"min": 0}


class MonitorForm(forms.Form):
    name = forms.CharField(max_length=100)
    component_id = forms.ChoiceField(label="Component")
    kind = forms.ChoiceField(choices=Kind.choices)
    enabled = forms.BooleanField(required=False, initial=True)
    url = forms.CharField(
        required=False, max_length=2000, label="URL", help_text="HTTP(S) monitors."
    )
    host = forms.CharField(
        required=False, max_length=253, help_text="TCP and DNS monitors: a host name or address."
    )
    port = forms.IntegerField(
        required=False, min_value=1, max_value=65535, help_text="TCP monitors."
    )
    dns_record_type = forms.ChoiceField(
        required=False,
        choices=RecordType.choices,
        initial=RecordType.A,
        label="DNS record type",
        help_text="DNS monitors.",
    )
    dns_resolver = forms.CharField(
        required=False,
        max_length=260,
        label="DNS resolver",
        help_text="DNS monitors: host or host:port to ask, e.g. 9.9.9.9 or ns1.example.com:5353. "
        "Empty: the system resolver.",
    )
    interval_seconds = forms.IntegerField(
        initial=60, min_value=20, max_value=86400, label="Interval (seconds)"
    )
    timeout_seconds = forms.IntegerField(
        initial=10, min_value=1, max_value=60, label="Timeout (seconds)"
    )
    method = forms.ChoiceField(choices=[(m, m) for m in METHODS], initial="GET")
    headers = forms.CharField(
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line: Name: value.",
    )
    expected_statuses = forms.CharField(
        required=False,
        max_length=300,
        label="Expected status codes",
        help_text="Comma-separated, e.g. 200, 204. Empty: any 2xx.",
    )
    keyword = forms.CharField(
        required=False,
        max_length=200,
        help_text="Text the answer must contain (DNS: a value one record must hold, e.g. "
        "192.0.2.10 or mail.example.com).",
    )
    json_path = forms.CharField(
        required=False,
        max_length=200,
        label="JSON path",
        help_text="A dotted path, e.g. status.indicator.",
    )
    json_expected = forms.CharField(required=False, max_length=200, label="Expected JSON value")
    latency_threshold_ms = forms.IntegerField(
        required=False,
        min_value=1,
        label="Slow above (ms)",
        help_text="Slower answers are degraded.",
    )
    tls_expiry_warning_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=365,
        label="TLS expiry warning (days)",
        help_text="A certificate expiring sooner makes the check degraded.",
    )
    grace_seconds = forms.IntegerField(
        initial=60,
        min_value=0,
        max_value=86400,
        label="Heartbeat grace (seconds)",
        help_text="How late a heartbeat ping may be.",
    )
    failures_before_down = forms.IntegerField(
        initial=2, min_value=1, max_value=100, label="Failures before down"
    )
    successes_before_up = forms.IntegerField(
        initial=2, min_value=1, max_value=100, label="Successes before up"
    )
    failure_status = forms.ChoiceField(
        choices=FailureStatus.choices,
        initial=FailureStatus.MAJOR_OUTAGE,
        label="Component status when down",
    )
    open_incident = forms.BooleanField(
        required=False, help_text="Open an incident when down, resolve it on recovery."
    )
    incident_template_id = forms.ChoiceField(required=False, label="Incident template")
    regions = forms.CharField(
        required=False, max_length=500, help_text="Comma-separated; empty: the home region."
    )
    regions_required = forms.IntegerField(
        initial=1, min_value=1, max_value=20, label="Regions that must agree"
    )

    def __init__(self, *args, page, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the components and templates of the page the operator works on.
        components = Component.objects.filter(page=page).order_by("position", "name")
        templates = IncidentTemplate.objects.filter(page=page).order_by("name")
        self.fields["component_id"].choices = [  # type: ignore[attr-defined]
            (c.public_id, c.name) for c in components
        ]
        self.fields["incident_template_id"].choices = [  # type: ignore[attr-defined]
            ("", "— named after the component —"),
            *((str(t.pk), t.name) for t in templates),
        ]

    def service_data(self) -> dict:
        """The cleaned values as the monitors app takes them."""
        return dict(self.cleaned_data)
