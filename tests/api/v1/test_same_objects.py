"""The management API shows the public API's objects (incidents.wire's), plus management fields
only: a component, an incident or a maintenance reads the same through /api/v1 and /api/v2,
on a page whose offset is not zero."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Page

pytestmark = pytest.mark.django_db

# The webhook's extras (reference section 2), which the management API shows too...
SHARED_EXTRAS = {
    "backfilled",
    "impact_override",
    "postmortem_body",
    "postmortem_published_at",
    "scheduled_for",
    "scheduled_until",
    "scheduled_remind_prior",
    "scheduled_auto_in_progress",
    "scheduled_auto_completed",
}
# ...and what only the management API shows.
# "translations" (on the incident and on each update) is our extension of the management API.
MANAGEMENT_ONLY = {
    "postmortem_body_last_updated_at",
    "metadata",
    "scheduled_reminded_at",
    "translations",
}


@pytest.fixture
def history(make_component, operator):
    Page.objects.update(time_zone="America/New_York")
    group = services.component_group_create(name="Regions", actor=operator)
    eu = make_component("EU West", group=group)
    api = make_component("API")
    incident = services.incident_create(
        name="Down",
        body="Looking.",
        actor=operator,
        component_statuses={
            api: ComponentStatus.MAJOR_OUTAGE,
            eu: ComponentStatus.DEGRADED_PERFORMANCE,
        },
        notify=False,
    )
    start = timezone.now() + timedelta(days=1)
    window = services.maintenance_schedule(
        name="Work",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[eu],
        remind_before_minutes=30,
        actor=operator,
        notify=False,
    )
    return {"incident": incident, "maintenance": window}


def public(path: str) -> dict:
    response = Client().get(f"/api/v2/{path}")
    assert response.status_code == 200, response.content
    return response.json()


def management(v1, page_url, path: str):
    response = v1().get(page_url(path))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("kind", ["incident", "maintenance"])
def test_an_incident_is_the_public_one_plus_management_fields(v1, page_url, history, kind):
    public_id = history[kind].public_id
    shown = management(v1, page_url, f"incidents/{public_id}")
    published = public(f"incidents/{public_id}.json")["incident"]
    for update in shown["incident_updates"]:
        assert update.pop("translations") == {}
    assert {k: shown.get(k) for k in published} == published
    extras = SHARED_EXTRAS | MANAGEMENT_ONLY
    if kind == "maintenance":
        extras -= {"scheduled_for", "scheduled_until"}
    assert set(shown) - set(published) == extras
    assert published["created_at"].endswith(("-05:00", "-04:00"))  # New York, either season


def test_components_are_the_public_rows(v1, page_url, history):
    assert management(v1, page_url, "components") == public("components.json")["components"]
