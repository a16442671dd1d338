"""The Django admin of the domain and of notifications: every page opens, and what changes a
status goes through the services (incidents declared, statuses set, maintenance started)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, Component, Incident, Maintenance

MODELS = {
    "incidents": [
        "page",
        "componentgroup",
        "component",
        "componentstatuschange",
        "incident",
        "incidentupdate",
        "maintenance",
        "maintenanceupdate",
        "auditentry",
    ],
    "notifications": ["subscriber", "event", "delivery"],
}


@pytest.fixture
def root_client(db, page) -> Client:
    root = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client = Client()
    client.force_login(root)
    return client


@pytest.fixture
def window(api, operator) -> Maintenance:
    start = timezone.now() + timedelta(hours=1)
    return services.maintenance_schedule(
        name="Upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=operator,
    )


@pytest.mark.parametrize("app, model", [(a, m) for a, ms in MODELS.items() for m in ms])
def test_every_list_page_opens(root_client, api, app, model):
    assert root_client.get(f"/admin/{app}/{model}/").status_code == 200


def test_the_add_and_change_pages_of_incidents_and_maintenance_open(
    root_client, api, operator, window
):
    incident = services.incident_create(
        name="Errors", body="Looking", actor=operator, component_statuses={api: "major_outage"}
    )
    for path in (
        "/admin/incidents/incident/add/",
        f"/admin/incidents/incident/{incident.pk}/change/",
        "/admin/incidents/maintenance/add/",
        f"/admin/incidents/maintenance/{window.pk}/change/",
    ):
        response = root_client.get(path)
        assert response.status_code == 200, path
    # The change pages list the updates (read only); the add pages have none yet.
    assert "Looking" in root_client.get(f"/admin/incidents/incident/{incident.pk}/change/").text
    assert (
        "Upgrade is scheduled."
        in root_client.get(f"/admin/incidents/maintenance/{window.pk}/change/").text
    )


def test_an_incident_declared_in_the_admin_goes_through_the_service(root_client, api):
    response = root_client.post(
        "/admin/incidents/incident/add/",
        {
            "name": "Database down",
            "status": "identified",
            "impact_override": "",
            "body": "The primary is gone.",
            "affected": [api.pk],
            "component_status": "partial_outage",
            "notify": "",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get(name="Database down")
    assert incident.status == "identified" and incident.updates.get().body == "The primary is gone."
    assert Component.objects.get(pk=api.pk).status == "partial_outage"
    assert AuditEntry.objects.filter(action="incident.create", via="admin").exists()


def test_the_status_actions_set_a_components_status(root_client, api):
    response = root_client.post(
        "/admin/incidents/component/",
        {"action": "set_degraded_performance", "_selected_action": [api.pk]},
    )
    assert response.status_code == 302
    assert Component.objects.get(pk=api.pk).base_status == "degraded_performance"


def test_the_maintenance_actions_run_the_services(root_client, window):
    response = root_client.post(
        "/admin/incidents/maintenance/", {"action": "start", "_selected_action": [window.pk]}
    )
    assert response.status_code == 302
    assert Maintenance.objects.get(pk=window.pk).status == "in_progress"
    root_client.post(
        "/admin/incidents/maintenance/", {"action": "start", "_selected_action": [window.pk]}
    )
    # Starting it again is refused by the service, and told, not raised.
    messages = root_client.get("/admin/incidents/maintenance/").text
    assert "Upgrade: This maintenance is in progress" in messages
