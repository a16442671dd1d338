"""The monitors screens: everyone reads them; admins create, edit and delete (audited), and
bad input comes back as form errors with nothing written."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry
from statuspage.monitors.models import Monitor, MonitorResult
from statuspage.monitors.services import monitor_save

pytestmark = pytest.mark.django_db

BASE = "/dashboard/monitors/"


def _data(component, **extra):
    data = {
        "name": "API health",
        "component_id": component.public_id,
        "kind": "http",
        "enabled": "on",
        "url": "https://api.example.com/health",
        "host": "",
        "port": "",
        "interval_seconds": "60",
        "timeout_seconds": "10",
        "method": "GET",
        "headers": "Authorization: Bearer x\nX-Probe: yes",
        "expected_statuses": "200, 204",
        "keyword": "",
        "json_path": "",
        "json_expected": "",
        "latency_threshold_ms": "800",
        "tls_expiry_warning_days": "14",
        "grace_seconds": "60",
        "failures_before_down": "3",
        "successes_before_up": "2",
        "failure_status": "partial_outage",
        "incident_template_id": "",
        "regions": "",
        "regions_required": "1",
    }
    data.update(extra)
    return data


def test_an_admin_creates_edits_and_deletes_a_monitor(admin_client, api):
    response = admin_client.post(f"{BASE}new/", _data(api))
    assert response.status_code == 302, response.content.decode()[:2000]
    monitor = Monitor.objects.get()
    assert monitor.headers == {"Authorization": "Bearer x", "X-Probe": "yes"}
    assert monitor.expected_statuses == [200, 204]
    assert (monitor.failures_before_down, monitor.failure_status) == (3, "partial_outage")
    edit = admin_client.get(f"{BASE}{monitor.pk}/edit/").content.decode()
    assert "X-Probe: yes" in edit and "200, 204" in edit
    response = admin_client.post(f"{BASE}{monitor.pk}/edit/", _data(api, name="Renamed"))
    assert response.status_code == 302
    assert Monitor.objects.get().name == "Renamed"
    assert admin_client.post(f"{BASE}{monitor.pk}/delete/").status_code == 302
    assert not Monitor.objects.exists()
    assert list(
        AuditEntry.objects.filter(object_type="monitor").order_by("id").values_list("action", "via")
    ) == [
        ("monitor.create", "dashboard"),
        ("monitor.update", "dashboard"),
        ("monitor.delete", "dashboard"),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "gopher://x"}, "Enter an http:// or https:// URL."),
        ({"headers": "no colon here"}, "Write one header per line"),
        ({"expected_statuses": "200, 999"}, "expected_statuses holds HTTP status codes"),
        ({"kind": "tcp", "host": "db.example.com"}, "port must be a whole number"),
        ({"timeout_seconds": "60"}, "The timeout must be shorter than the interval."),
        ({"regions": "mars"}, "Unknown region"),
        ({"interval_seconds": "5"}, "greater than or equal to 20"),
        (
            {"kind": "dns", "host": "example.com", "dns_resolver": "9.9.9.9:abc"},
            "dns_resolver is a host or host:port",
        ),
        ({"kind": "dns", "host": "example.com", "dns_record_type": "SRV"}, "SRV is not one of"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_written(admin_client, api, fields, message):
    response = admin_client.post(f"{BASE}new/", _data(api, **fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Monitor.objects.exists()


def test_an_admin_creates_a_dns_monitor_with_its_resolver(admin_client, api):
    data = _data(
        api,
        kind="dns",
        host="example.com",
        dns_resolver="ns1.example.com:5353",
        dns_record_type="TXT",
        keyword="v=spf1",
    )
    response = admin_client.post(f"{BASE}new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    monitor = Monitor.objects.get()
    assert (monitor.dns_resolver, monitor.dns_record_type, monitor.keyword) == (
        "ns1.example.com:5353",
        "TXT",
        "v=spf1",
    )
    edit = admin_client.get(f"{BASE}{monitor.pk}/edit/").content.decode()
    assert 'value="ns1.example.com:5353"' in edit
    assert '<option value="TXT" selected>' in edit
    listing = admin_client.get(BASE).content.decode()
    assert "TXT example.com @ ns1.example.com:5353" in listing


@pytest.mark.parametrize("persona", ["viewer_client", "responder_client"])
def test_others_read_monitors_without_edit_controls(request, persona, api, operator):
    monitor = monitor_save(
        actor=operator,
        monitor=None,
        data={"name": "Nightly backup", "kind": "heartbeat", "component_id": api.public_id},
    )
    client = request.getfixturevalue(persona)
    html = client.get(BASE).content.decode()
    assert "Nightly backup" in html and "Read only" in html
    assert f"{BASE}{monitor.pk}/edit/" not in html
    detail = client.get(f"{BASE}{monitor.pk}/").content.decode()
    assert f"/monitors/heartbeat/{monitor.heartbeat_token}" in detail
    assert "New URL" not in detail and f"{BASE}{monitor.pk}/token/" not in detail
    assert client.get(f"{BASE}new/").status_code == 403
    assert client.post(f"{BASE}{monitor.pk}/delete/").status_code == 403
    assert Monitor.objects.count() == 1


def test_the_list_groups_by_component_with_the_last_result(admin_client, api, web, operator):
    from django.utils import timezone

    monitor = monitor_save(
        actor=operator,
        monitor=None,
        data={
            "name": "Web DNS",
            "kind": "dns",
            "host": "example.com",
            "component_id": web.public_id,
        },
    )
    MonitorResult.objects.create(
        monitor=monitor,
        region="default",
        slot=1,
        ok=False,
        detail="example.com does not resolve",
        checked_at=timezone.now(),
    )
    html = admin_client.get(BASE).content.decode()
    assert "Web DNS" in html and "failed: example.com does not resolve" in html
    assert f"{BASE}new/?component={web.public_id}" in html
    new = admin_client.get(f"{BASE}new/?component={web.public_id}").content.decode()
    assert f'value="{web.public_id}" selected' in new


def test_rotating_the_heartbeat_url(admin_client, api, operator):
    monitor = monitor_save(
        actor=operator,
        monitor=None,
        data={"name": "Cron", "kind": "heartbeat", "component_id": api.public_id},
    )
    old = monitor.heartbeat_token
    assert admin_client.post(f"{BASE}{monitor.pk}/token/").status_code == 302
    monitor.refresh_from_db()
    assert monitor.heartbeat_token != old
    assert AuditEntry.objects.filter(action="monitor.token_rotate").count() == 1
