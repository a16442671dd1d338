"""Dashboard-only state: which role each operator has."""

from django.conf import settings
from django.db import models


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
