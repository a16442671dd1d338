"""The admin lists every model, and its status actions go through the services."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from incidents.models import AuditEntry, Incident


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "model",
    [
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
)
def test_every_model_has_an_admin_list(admin_client, model, api):
    response = admin_client.get(reverse(f"admin:incidents_{model}_changelist"))
    assert response.status_code == 200


def test_status_action_uses_the_service(admin_client, api):
    response = admin_client.post(
        reverse("admin:incidents_component_changelist"),
        {"action": "set_major_outage", "_selected_action": [api.pk]},
    )
    assert response.status_code == 302
    api.refresh_from_db()
    assert api.status == "major_outage" and api.status_changes.get().actor == "root"
    assert AuditEntry.objects.get(action="component.status").via == "admin"


def test_declaring_an_incident_in_the_admin(admin_client, api):
    response = admin_client.post(
        reverse("admin:incidents_incident_add"),
        {
            "name": "Outage",
            "status": "investigating",
            "impact_override": "",
            "body": "Looking.",
            "affected": [api.pk],
            "component_status": "partial_outage",
            "notify": "on",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    incident = Incident.objects.get()
    api.refresh_from_db()
    assert api.status == "partial_outage" and incident.updates.count() == 1
