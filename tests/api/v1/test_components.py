"""/api/v1 components, groups and uptime: shapes, scopes, field errors, form bodies."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, Component, ComponentGroup, Page
from notifications.models import Delivery
from statuspage.access.models import Role, Scope

pytestmark = pytest.mark.django_db


def test_list_has_public_shape_and_pages(v1, page_url, make_component):
    for n in range(3):
        make_component(f"C{n}")
    client = v1(Role.VIEWER)
    rows = client.get(page_url("components")).json()
    assert [r["name"] for r in rows] == ["C0", "C1", "C2"]
    assert {"id", "status", "group", "group_id", "page_id", "position"} <= set(rows[0])
    second = client.get(page_url("components"), {"per_page": 2, "page": 2}).json()
    assert [r["name"] for r in second] == ["C2"]
    assert client.get(page_url("components"), {"per_page": 0}).status_code == 400


def test_create_json_and_form(v1, page_url):
    client = v1()
    response = client.post(
        page_url("components"),
        {
            "component": {
                "name": "API",
                "description": "d",
                "showcase": False,
                "status": "major_outage",
            }
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["name"], data["status"], data["showcase"]) == ("API", "major_outage", False)
    group = services.component_group_create(name="G", actor=services.SYSTEM)
    response = client.post(
        page_url("components"),
        {
            "component[name]": "Web",
            "component[group_id]": group.public_id,
            "component[only_show_if_degraded]": "true",
            "component[start_date]": "2026-01-02",
        },
        form=True,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["group_id"] == group.public_id
    assert data["only_show_if_degraded"] is True
    assert data["start_date"] == "2026-01-02"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "X", "status": "on_fire"}, "status"),
        ({"name": "X", "group_id": "nosuchgroup0"}, "group_id"),
        ({"name": ""}, "name"),
        ({"description": "no name"}, "name"),
        ({"name": "X", "showcase": "maybe"}, "showcase"),
        ({"name": "X", "start_date": "yesterday"}, "start_date"),
        ({"name": 5}, "name"),
        ({"name": "x" * 121}, "name"),
    ],
)
def test_create_refuses_bad_fields_with_422(v1, page_url, fields, field):
    response = v1().post(page_url("components"), {"component": fields})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Component.objects.exists()


def test_unwrapped_body_is_400(v1, page_url):
    response = v1().post(page_url("components"), {"name": "API"})
    assert response.status_code == 400
    assert "component" in response.json()["error"]


def test_status_patch_needs_incidents_scope_other_fields_need_components(v1, page_url, api):
    responder = v1(Role.RESPONDER)
    url = page_url(f"components/{api.public_id}")
    response = responder.patch(url, {"component": {"status": "partial_outage"}})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "partial_outage"
    api.refresh_from_db()
    assert api.base_status == "partial_outage"
    assert responder.patch(url, {"component": {"name": "New"}}).status_code == 403
    assert responder.delete(url).status_code == 403
    assert v1(Role.VIEWER).patch(url, {"component": {"status": "operational"}}).status_code == 403
    admin = v1()
    response = admin.put(url, {"component": {"name": "New", "status": "operational"}})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["status"]) == ("New", "operational")


def test_under_maintenance_can_be_set_through_the_api_as_on_statuspage(v1, page_url, api):
    responder = v1(Role.RESPONDER)
    url = page_url(f"components/{api.public_id}")
    assert (
        responder.patch(url, {"component": {"status": "degraded_performance"}}).status_code == 200
    )
    response = responder.patch(url, {"component": {"status": "under_maintenance"}})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "under_maintenance"
    assert v1().get(url).json()["status"] == "under_maintenance"
    api.refresh_from_db()
    assert (api.base_status, api.maintenance_by_hand) == ("degraded_performance", True)
    # A client ends it by setting the status the component has now.
    response = responder.patch(url, {"component": {"status": "operational"}})
    assert response.json()["status"] == "operational"
    api.refresh_from_db()
    assert (api.base_status, api.maintenance_by_hand) == ("operational", False)


def test_a_component_can_be_created_under_maintenance(v1, page_url):
    response = v1().post(
        page_url("components"), {"component": {"name": "Batch", "status": "under_maintenance"}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "under_maintenance"
    component = Component.objects.get()
    assert (component.base_status, component.maintenance_by_hand) == ("operational", True)


def test_patch_moves_into_group_and_unknown_group_is_422(v1, page_url, api):
    group = services.component_group_create(name="G", actor=services.SYSTEM)
    url = page_url(f"components/{api.public_id}")
    client = v1()
    assert client.patch(url, {"component": {"group_id": group.public_id}}).json()["group_id"] == (
        group.public_id
    )
    response = client.patch(url, {"component": {"group_id": "zzzzzzzzzzzz"}})
    assert response.status_code == 422
    assert "group_id" in response.json()["errors"]
    assert client.patch(url, {"component": {"group_id": None}}).json()["group_id"] is None


def test_get_delete_and_unknown_ids(v1, page_url, api):
    client = v1()
    url = page_url(f"components/{api.public_id}")
    assert client.get(url).json()["id"] == api.public_id
    assert client.delete(url).status_code == 204
    assert not Component.objects.filter(pk=api.pk).exists()
    for method in ("get", "delete"):
        assert getattr(client, method)(url).status_code == 404
    assert client.patch(url, {"component": {"name": "x"}}).status_code == 404
    assert client.get(url + "/uptime").status_code == 404


def test_wrong_page_id_is_404(v1, api):
    response = v1().get(f"/api/v1/pages/notthispage0/components/{api.public_id}")
    assert response.status_code == 404


def test_api_writes_are_audited_as_api(v1, page_url, make_key):
    raw = make_key(Role.ADMIN, username="robot")
    from tests.api.v1.conftest import ApiClient

    ApiClient(raw).post(page_url("components"), {"component": {"name": "Audited"}})
    entry = AuditEntry.objects.get(action="component.create")
    assert entry.via == "api"
    assert entry.actor == f"robot (key {raw[:8]})"


def test_uptime_counts_outage_seconds(v1, page_url, make_component):
    now = timezone.now()
    component = make_component("API", created_at=now - timedelta(days=10))
    services.component_status_set(
        component=component,
        status="major_outage",
        actor=services.SYSTEM,
        at=now - timedelta(hours=2),
    )
    services.component_status_set(
        component=component,
        status="operational",
        actor=services.SYSTEM,
        at=now - timedelta(hours=1),
    )
    data = v1(Role.VIEWER).get(page_url(f"components/{component.public_id}/uptime")).json()
    assert data["major_outage"] == 3600
    assert data["partial_outage"] == 0
    assert 0 < data["uptime_percentage"] < 100
    assert data["range_end"] == now.date().isoformat()
    assert data["warnings"] == []


def test_uptime_range_and_bad_dates(v1, page_url, api, make_component):
    client = v1(Role.VIEWER)
    url = page_url(f"components/{api.public_id}/uptime")
    today = timezone.now().date()
    data = client.get(url, {"start": (today - timedelta(days=3)).isoformat()}).json()
    assert data["range_start"] == (today - timedelta(days=3)).isoformat()
    assert data["uptime_percentage"] == 100
    # Before the component existed: no figure, and a warning saying why.
    recent = make_component("Recent", created_at=timezone.now() - timedelta(days=40))
    before = {
        "start": (today - timedelta(days=70)).isoformat(),
        "end": (today - timedelta(days=50)).isoformat(),
    }
    early = client.get(page_url(f"components/{recent.public_id}/uptime"), before).json()
    assert early["uptime_percentage"] is None
    assert early["warnings"]
    for params in (
        {"start": "nope"},
        {"end": (today + timedelta(days=1)).isoformat()},
        {"start": today.isoformat(), "end": (today - timedelta(days=1)).isoformat()},
        {"start": "2000-01-01"},
    ):
        response = client.get(url, params)
        assert response.status_code in (400, 422), params
        assert "errors" in response.json()


def test_groups_crud(v1, page_url, api, web):
    client = v1()
    response = client.post(
        page_url("component-groups"),
        {"component_group": {"name": "Core", "components": [api.public_id, web.public_id]}},
    )
    assert response.status_code == 201, response.content
    group = response.json()
    assert group["components"] == [api.public_id, web.public_id]
    assert client.get(page_url("components")).json()[0]["group"] is True
    url = page_url(f"component-groups/{group['id']}")
    response = client.patch(
        url, {"component_group": {"name": "Renamed", "components": [web.public_id]}}
    )
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["components"]) == ("Renamed", [web.public_id])
    api.refresh_from_db()
    assert api.group_id is None
    listing = v1(Role.VIEWER).get(page_url("component-groups")).json()
    assert [g["name"] for g in listing] == ["Renamed"]
    assert client.delete(url).status_code == 204
    assert not ComponentGroup.objects.exists()
    web.refresh_from_db()
    assert web.group_id is None
    assert client.get(url).status_code == 404


def test_group_bad_input_leaves_nothing(v1, page_url):
    client = v1()
    response = client.post(
        page_url("component-groups"),
        {"component_group": {"name": "G", "components": ["nosuchcompo"]}},
    )
    assert response.status_code == 422
    assert "components" in response.json()["errors"]
    response = client.post(page_url("component-groups"), {"component_group": {"name": " "}})
    assert response.status_code == 422
    assert not ComponentGroup.objects.exists()
    assert (
        v1(Role.RESPONDER)
        .post(page_url("component-groups"), {"component_group": {"name": "G"}})
        .status_code
        == 403
    )


def test_group_form_body(v1, page_url, api):
    response = v1().post(
        page_url("component-groups"),
        {"component_group[name]": "F", "component_group[components][]": [api.public_id]},
        form=True,
    )
    assert response.status_code == 201, response.content
    assert response.json()["components"] == [api.public_id]


def test_key_without_write_scope_is_403(v1, page_url):
    client = v1(Role.ADMIN, [Scope.READ])
    response = client.post(page_url("components"), {"component": {"name": "x"}})
    assert response.status_code == 403


@pytest.mark.parametrize("bad", ["a\x00b", "ü" * 3, "x" * 65])
def test_odd_ids_are_404_or_422_never_an_error(v1, page_url, api, bad):
    client = v1()
    assert client.get(page_url("components/") + quote(bad)).status_code == 404
    response = client.patch(
        page_url(f"components/{api.public_id}"), {"component": {"group_id": bad}}
    )
    assert response.status_code == 422
    response = client.post(
        page_url("incidents"), {"incident": {"name": "x", "components": {bad: "major_outage"}}}
    )
    assert response.status_code == 422
    response = client.post(
        page_url("component-groups"), {"component_group": {"name": "g", "components": [bad]}}
    )
    assert response.status_code == 422


def test_key_with_odd_characters_is_401(page_url):
    from django.test import Client

    response = Client().get(page_url(), HTTP_AUTHORIZATION="OAuth " + "a\x00" * 20)
    assert response.status_code == 401


def test_far_off_start_date_is_refused(v1, page_url):
    response = v1().post(
        page_url("components"), {"component": {"name": "X", "start_date": "0001-01-01"}}
    )
    assert response.status_code == 422


def _notified():
    return sorted(Delivery.objects.values_list("subscriber__address", flat=True))


def test_status_patch_notifies_the_components_subscribers_when_the_page_says_so(
    v1, page_url, api, component_subscribers
):
    responder = v1(Role.RESPONDER)
    url = page_url(f"components/{api.public_id}")
    assert responder.patch(url, {"component": {"status": "major_outage"}}).status_code == 200
    assert _notified() == []  # the page setting is off
    Page.objects.update(notify_component_changes=True)
    assert responder.patch(url, {"component": {"status": "partial_outage"}}).status_code == 200
    assert _notified() == ["api@x.test"]


@pytest.mark.parametrize("quiet", [False, "false", "0"])
def test_status_patch_with_deliver_notifications_false_is_quiet(
    v1, page_url, api, component_subscribers, quiet
):
    Page.objects.update(notify_component_changes=True)
    url = page_url(f"components/{api.public_id}")
    body = {"component": {"status": "major_outage", "deliver_notifications": quiet}}
    assert v1(Role.RESPONDER).patch(url, body).status_code == 200
    api.refresh_from_db()
    assert api.base_status == "major_outage"
    assert _notified() == []


def test_a_bad_deliver_notifications_is_422_and_changes_nothing(v1, page_url, api):
    url = page_url(f"components/{api.public_id}")
    body = {"component": {"status": "major_outage", "deliver_notifications": "maybe"}}
    response = v1(Role.RESPONDER).patch(url, body)
    assert response.status_code == 422
    assert "deliver_notifications" in response.content.decode()
    api.refresh_from_db()
    assert api.base_status == "operational"
