"""Dashboard-only state: which role each operator has, and incident templates."""

from django.conf import settings
from django.db import models

from incidents.enums import OPEN_INCIDENT_STATUSES, ComponentStatus, IncidentStatus


class Role(models.TextChoices):
    # Ordered from least to most powerful; `Role.rank` relies on this order.
    VIEWER = "viewer", "Viewer (read only)"
    RESPONDER = "responder", "Responder (incidents, maintenance, component statuses)"
    ADMIN = "admin", "Admin (components, groups, page settings, users)"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Membership(models.Model):
    """An operator's role on the dashboard. Superusers are admins whether or not they have one;
    any other user without a membership cannot open the dashboard at all."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_membership"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class IncidentTemplate(models.Model):
    """A prepared incident: its title and message are Jinja2 templates rendered in a sandbox
    (operators edit them, so they must not reach Python internals), e.g.
    "{{ components }} unavailable" -> "API, Web unavailable"."""

    name = models.CharField(max_length=120, unique=True)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown, rendered as a sandboxed Jinja2 template.")
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.label) for s in OPEN_INCIDENT_STATUSES],
        default=IncidentStatus.INVESTIGATING,
    )
    components = models.ManyToManyField("incidents.Component", blank=True, related_name="+")
    component_status = models.CharField(
        max_length=24,
        choices=[
            (value, label)
            for value, label in ComponentStatus.choices
            if value != ComponentStatus.UNDER_MAINTENANCE
        ],
        default=ComponentStatus.MAJOR_OUTAGE,
        help_text="The status the incident gives the template's components.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
