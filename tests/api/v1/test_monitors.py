"""/api/v1/pages/{page_id}/monitors: create, list, read, edit, delete built-in monitors, with
the same auth, scopes and error shapes as the other resources."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry
from statuspage.access.models import Role
from statuspage.monitors.models import Monitor

pytestmark = pytest.mark.django_db


def _http(api, **fields):
    base = {
        "name": "API health",
        "kind": "http",
        "url": "https://api.example.com/health",
        "component_id": api.public_id,
        "interval_seconds": 60,
    }
    return {"monitor": base | fields}


def test_create_read_list_edit_delete(v1, page_url, api):
    client = v1()
    response = client.post(page_url("monitors"), _http(api, expected_statuses=[200, 204]))
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "http" and data["url"] == "https://api.example.com/health"
    assert data["expected_statuses"] == [200, 204]
    assert data["regions"] == ["default"] and data["verdict"] == "unknown"
    assert data["component_id"] == api.public_id
    monitor_url = page_url(f"monitors/{data['id']}")
    assert v1(Role.VIEWER).get(monitor_url).json()["name"] == "API health"
    assert [m["id"] for m in client.get(page_url("monitors.json")).json()] == [data["id"]]
    patched = client.patch(monitor_url, {"monitor": {"interval_seconds": 300, "keyword": "ok"}})
    assert patched.status_code == 200, patched.content
    assert (patched.json()["interval_seconds"], patched.json()["keyword"]) == (300, "ok")
    assert patched.json()["url"] == "https://api.example.com/health"  # kept
    assert client.delete(monitor_url).status_code == 204
    assert not Monitor.objects.exists()
    actions = list(AuditEntry.objects.filter(object_type="monitor").values_list("action", "via"))
    assert actions == [
        ("monitor.create", "api"),
        ("monitor.update", "api"),
        ("monitor.delete", "api"),
    ] or sorted(actions) == sorted(
        [("monitor.create", "api"), ("monitor.update", "api"), ("monitor.delete", "api")]
    )
    assert client.get(monitor_url).status_code == 404


def test_tcp_dns_and_heartbeat_monitors(v1, page_url, api, page):
    client = v1()
    tcp = client.post(
        page_url("monitors"),
        {
            "monitor": {
                "name": "DB",
                "kind": "tcp",
                "host": "db.example.com",
                "port": 5432,
                "component_id": api.public_id,
            }
        },
    ).json()
    assert (tcp["host"], tcp["port"], tcp["url"]) == ("db.example.com", 5432, None)
    dns = client.post(
        page_url("monitors"),
        {
            "monitor": {
                "name": "Name",
                "kind": "dns",
                "host": "example.com",
                "component_id": api.public_id,
            }
        },
    ).json()
    assert dns["host"] == "example.com"
    beat = client.post(
        page_url("monitors"),
        {
            "monitor": {
                "name": "Nightly",
                "kind": "heartbeat",
                "grace_seconds": 600,
                "component_id": api.public_id,
            }
        },
    ).json()
    token = Monitor.objects.get(public_id=beat["id"]).heartbeat_token
    assert beat["heartbeat_url"] == f"{page.url}/monitors/heartbeat/{token}"


def test_form_body(v1, page_url, api):
    response = v1().post(
        page_url("monitors"),
        {
            "monitor[name]": "Form",
            "monitor[kind]": "http",
            "monitor[url]": "http://example.com/",
            "monitor[component_id]": api.public_id,
            "monitor[expected_statuses]": "200, 301",
            "monitor[open_incident]": "true",
        },
        form=True,
    )
    assert response.status_code == 201, response.content
    assert response.json()["expected_statuses"] == [200, 301]
    assert response.json()["open_incident"] is True


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"kind": "ping"}, "kind"),
        ({"url": "ftp://example.com/"}, "url"),
        ({"url": "http://user:pw@example.com/"}, "url"),
        ({"url": "http://example.com:99999/"}, "url"),
        ({"url": ""}, "url"),
        ({"component_id": "nosuchthing"}, "component_id"),
        ({"component_id": 5}, "component_id"),
        ({"interval_seconds": 5}, "interval_seconds"),
        ({"interval_seconds": "soon"}, "interval_seconds"),
        ({"interval_seconds": True}, "interval_seconds"),
        ({"timeout_seconds": 60, "interval_seconds": 60}, "timeout_seconds"),
        ({"method": "TRACE"}, "method"),
        ({"headers": {"Bad Name": "x"}}, "headers"),
        ({"headers": {"X-A": "a\r\nInjected: 1"}}, "headers"),
        ({"headers": {"Host": "other"}}, "headers"),
        ({"headers": ["x"]}, "headers"),
        ({"expected_statuses": [700]}, "expected_statuses"),
        ({"expected_statuses": "abc"}, "expected_statuses"),
        ({"json_expected": "x"}, "json_path"),
        ({"json_path": "a..b"}, "json_path"),
        ({"failure_status": "operational"}, "failure_status"),
        ({"failures_before_down": 0}, "failures_before_down"),
        ({"open_incident": "maybe"}, "open_incident"),
        ({"incident_template_id": 999}, "incident_template_id"),
        ({"regions": ["mars"]}, "regions"),
        ({"regions": "Not A Region!"}, "regions"),
        ({"regions_required": 2}, "regions_required"),
        ({"name": "x" * 101}, "name"),
        ({"keyword": "a\x00b"}, "keyword"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(v1, page_url, api, fields, field):
    response = v1().post(page_url("monitors"), _http(api, **fields))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/json"
    assert field in response.json()["errors"]
    assert not Monitor.objects.exists()


def test_tcp_needs_a_host_and_port(v1, page_url, api):
    client = v1()
    body = {
        "monitor": {
            "name": "DB",
            "kind": "tcp",
            "host": "db.example.com",
            "component_id": api.public_id,
        }
    }
    assert "port" in client.post(page_url("monitors"), body).json()["errors"]
    body["monitor"] |= {"port": 80, "host": "not a host"}
    assert "host" in client.post(page_url("monitors"), body).json()["errors"]


def test_an_unwrapped_or_malformed_body_is_a_400(v1, page_url, api):
    client = v1()
    response = client.post(page_url("monitors"), {"name": "x"})
    assert response.status_code == 400 and "monitor" in response.json()["error"]
    response = client.post(page_url("monitors"), {"monitor": "x"})
    assert response.status_code == 400


def test_scopes_and_auth(v1, page_url, api):
    assert v1(Role.RESPONDER).post(page_url("monitors"), _http(api)).status_code == 403
    assert v1(Role.VIEWER).get(page_url("monitors")).status_code == 200
    from django.test import Client

    response = Client().get(page_url("monitors"))
    assert response.status_code == 401 and "error" in response.json()
    assert v1().get("/api/v1/pages/nosuchpage/monitors").status_code == 404
    assert v1().get(page_url("monitors/nosuchmonitor")).status_code == 404


def test_a_refused_edit_changes_nothing(v1, page_url, api):
    client = v1()
    data = client.post(page_url("monitors"), _http(api)).json()
    response = client.patch(
        page_url(f"monitors/{data['id']}"), {"monitor": {"interval_seconds": 1}}
    )
    assert response.status_code == 422
    assert Monitor.objects.get().interval_seconds == 60
    assert AuditEntry.objects.filter(action="monitor.update").count() == 0


def _dns(api, **fields):
    base = {"name": "Mail", "kind": "dns", "host": "example.com", "component_id": api.public_id}
    return {"monitor": base | fields}


def test_a_dns_monitor_names_its_resolver_record_type_and_expected_value(v1, page_url, api):
    client = v1()
    created = client.post(
        page_url("monitors"),
        _dns(api, dns_resolver="[2620:fe::fe]:53", dns_record_type="mx", keyword="mx1.example"),
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert (data["dns_resolver"], data["dns_record_type"], data["keyword"]) == (
        "[2620:fe::fe]:53",
        "MX",
        "mx1.example",
    )
    monitor_url = page_url(f"monitors/{data['id']}")
    patched = client.patch(monitor_url, {"monitor": {"dns_resolver": "ns1.example.com:5353"}})
    assert patched.json()["dns_resolver"] == "ns1.example.com:5353"
    assert patched.json()["dns_record_type"] == "MX"  # kept
    # Another kind keeps no DNS options.
    http = client.post(page_url("monitors"), _http(api, dns_resolver="9.9.9.9")).json()
    assert (http["dns_resolver"], http["dns_record_type"]) == ("", "A")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"dns_resolver": "not a host!"}, "dns_resolver", "dns_resolver is a host or host:port"),
        ({"dns_resolver": "9.9.9.9:99999"}, "dns_resolver", "host or host:port"),
        ({"dns_resolver": "9.9.9.9:"}, "dns_resolver", "host or host:port"),
        ({"dns_resolver": "[zz]:53"}, "dns_resolver", "host or host:port"),
        ({"dns_resolver": "a:b:c"}, "dns_resolver", "host or host:port"),
        ({"dns_resolver": "ns1.example.com/53"}, "dns_resolver", "host or host:port"),
        ({"dns_resolver": 53}, "dns_resolver", "must be a string"),
        ({"dns_record_type": "SRV"}, "dns_record_type", "dns_record_type must be one of"),
        ({"dns_record_type": 1}, "dns_record_type", "dns_record_type must be one of"),
    ],
)
def test_a_bad_resolver_or_record_type_is_a_422(v1, page_url, api, fields, field, message):
    response = v1().post(page_url("monitors"), _dns(api, **fields))
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["errors"][field][0]
    assert not Monitor.objects.exists()
