"""The automation screen (admin): alert routes, their order, the receiver snippet, recent alerts."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry
from statuspage.automation.models import AlertRoute, AlertState
from statuspage.automation.services import alert_route_save

pytestmark = pytest.mark.django_db

BASE = "/dashboard/automation/"


def _data(component, **extra):
    data = {
        "name": "API errors",
        "enabled": "on",
        "matchers": 'service="api"\nseverity=~"critical|page"',
        "components": [component.pk],
        "firing_status": "partial_outage",
        "open_incident": "on",
        "incident_name_template": "{{ labels.service }}: {{ annotations.summary }}",
        "impact_override": "",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("persona", "status"),
    [("anon_client", 302), ("viewer_client", 403), ("responder_client", 403)],
)
def test_only_admins_change_routes(request, persona, status, api, operator):
    client = request.getfixturevalue(persona)
    route = alert_route_save(actor=operator, route=None, components=[api], name="r", matchers="")
    assert client.get(f"{BASE}routes/new/").status_code == status
    assert client.post(f"{BASE}routes/new/", _data(api)).status_code == status
    assert client.post(f"{BASE}routes/{route.pk}/delete/").status_code == status
    assert client.post(f"{BASE}routes/{route.pk}/down/").status_code == status
    assert AlertRoute.objects.count() == 1


@pytest.mark.parametrize("persona", ["viewer_client", "responder_client"])
def test_everyone_reads_routes_and_recent_alerts_without_edit_controls(
    request, persona, api, operator
):
    client = request.getfixturevalue(persona)
    route = alert_route_save(
        actor=operator, route=None, components=[api], name="API down", matchers='job="api"'
    )
    html = client.get(BASE).content.decode()
    assert "API down" in html and "job=&#34;api&#34;" in html
    assert "No alerts received yet." in html
    assert "Read only" in html
    assert f"{BASE}routes/new/" not in html
    assert f"{BASE}routes/{route.pk}/edit/" not in html
    assert f"{BASE}routes/{route.pk}/delete/" not in html


def test_admin_adds_edits_and_deletes_a_route(admin_client, api, web):
    assert "Automation" in admin_client.get("/dashboard/").content.decode()
    response = admin_client.post(f"{BASE}routes/new/", _data(api))
    assert response.status_code == 302
    route = AlertRoute.objects.get()
    assert route.matchers == [
        {"label": "service", "op": "=", "value": "api"},
        {"label": "severity", "op": "=~", "value": "critical|page"},
    ]
    assert route.open_incident and not route.notify
    assert list(route.components.all()) == [api]
    assert AuditEntry.objects.filter(action="alert_route.create", via="dashboard").exists()

    form = admin_client.get(f"{BASE}routes/{route.pk}/edit/").content.decode()
    assert "severity=~&#34;critical|page&#34;" in form or 'severity=~"critical|page"' in form
    edited = _data(web, name="Web errors", notify="on", firing_status="major_outage")
    assert admin_client.post(f"{BASE}routes/{route.pk}/edit/", edited).status_code == 302
    route.refresh_from_db()
    assert (route.name, route.notify, route.firing_status) == ("Web errors", True, "major_outage")
    assert list(route.components.all()) == [web]

    assert admin_client.post(f"{BASE}routes/{route.pk}/delete/").status_code == 302
    assert not AlertRoute.objects.exists()
    assert AuditEntry.objects.filter(action="alert_route.delete").exists()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("matchers", "service", "Line 1"),
        ("matchers", 'service=~"(unclosed"', "invalid regular expression"),
        ("matchers", 'ok="1"\n9bad="x"', "Line 2"),
        ("incident_name_template", "{{ labels.service ", "Template error"),
        ("incident_name_template", "{{ ''.__class__ }}", "Template error"),
        ("components", [], "required"),
        ("firing_status", "under_maintenance", "valid choice"),
    ],
)
def test_bad_route_input_is_refused_with_a_message(admin_client, api, field, value, words):
    response = admin_client.post(f"{BASE}routes/new/", _data(api, **{field: value}))
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not AlertRoute.objects.exists()


def test_routes_reorder_and_the_page_shows_receiver_and_states(admin_client, api, operator):
    first = alert_route_save(actor=operator, route=None, components=[api], name="first")
    second = alert_route_save(actor=operator, route=None, components=[api], name="second")
    assert admin_client.post(f"{BASE}routes/{second.pk}/up/").status_code == 302
    assert list(AlertRoute.objects.values_list("name", flat=True)) == ["second", "first"]
    admin_client.post(f"{BASE}routes/{second.pk}/up/")  # already first: no change
    assert list(AlertRoute.objects.values_list("name", flat=True)) == ["second", "first"]
    assert admin_client.post(f"{BASE}routes/{first.pk}/sideways/").status_code == 302
    AlertState.objects.create(
        fingerprint="abc123", route=first, alertname="DiskFull", status="firing"
    )
    html = admin_client.get(BASE).content.decode()
    assert "http://testserver/api/v1/integrations/alertmanager" in html
    assert "webhook_configs:" in html and "type: OAuth" in html and "credentials:" in html
    assert "DiskFull" in html
    assert html.index(">second<") < html.index(">first<")
