"""/api/v1 incidents and maintenance: create, update, resolve, edit updates, delete, lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, Incident, Maintenance
from statuspage import public_cache
from statuspage.access.models import Role

pytestmark = pytest.mark.django_db


def public_summary() -> dict:
    # A new process would see the new generation at once; this one memoises it briefly.
    public_cache.local.generation.clear()
    return Client().get("/api/v2/summary.json").json()


def _create(client, page_url, **fields):
    response = client.post(page_url("incidents"), {"incident": fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_statuspage_client_scenario(v1, page_url, api, web, django_capture_on_commit_callbacks):
    """Create with components, post an update, resolve: statuses come back and the public
    summary follows every step."""
    services.component_status_set(
        component=web, status="degraded_performance", actor=services.SYSTEM
    )
    client = v1(Role.RESPONDER)
    # Run the commit hooks that publish the new public generation, as a real commit would.
    committing = django_capture_on_commit_callbacks
    with committing(execute=True):
        incident = _create(
            client,
            page_url,
            name="API down",
            status="investigating",
            body="Looking.",
            component_ids=[api.public_id],
            components={api.public_id: "major_outage", web.public_id: "partial_outage"},
        )
    assert incident["impact"] == "critical"
    assert incident["incident_updates"][0]["body"] == "Looking."
    assert {c["id"] for c in incident["components"]} == {api.public_id, web.public_id}
    summary = public_summary()
    assert [i["id"] for i in summary["incidents"]] == [incident["id"]]
    statuses = {c["id"]: c["status"] for c in summary["components"]}
    assert statuses[api.public_id] == "major_outage"

    url = page_url(f"incidents/{incident['id']}")
    with committing(execute=True):
        response = client.patch(
            url,
            {
                "incident": {
                    "status": "identified",
                    "body": "Found it.",
                    "components": {api.public_id: "degraded_performance"},
                }
            },
            form=False,
        )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "identified"
    assert [u["status"] for u in data["incident_updates"]] == ["identified", "investigating"]
    api.refresh_from_db()
    assert api.status == "degraded_performance"

    with committing(execute=True):
        response = client.patch(
            url, {"incident[status]": "resolved", "incident[body]": "Fixed."}, form=True
        )
    assert response.status_code == 200, response.content
    assert response.json()["resolved_at"] is not None
    api.refresh_from_db()
    web.refresh_from_db()
    assert (api.status, web.status) == ("operational", "degraded_performance")
    summary = public_summary()
    assert summary["incidents"] == []
    assert {c["id"]: c["status"] for c in summary["components"]}[web.public_id] == (
        "degraded_performance"
    )


def test_create_defaults_and_form_body(v1, page_url, api):
    response = v1(Role.RESPONDER).post(
        page_url("incidents"),
        {
            "incident[name]": "Slow",
            "incident[component_ids][]": api.public_id,
            "incident[impact_override]": "minor",
            "incident[deliver_notifications]": "false",
            "incident[metadata][jira][issue_id]": "OPS-1",
        },
        form=True,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["status"], data["impact"], data["impact_override"]) == (
        "investigating",
        "minor",
        "minor",
    )
    assert data["incident_updates"][0]["deliver_notifications"] is False
    assert [c["id"] for c in data["components"]] == [api.public_id]
    api.refresh_from_db()
    assert api.status == "operational"  # listed without a status: linked only


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"status": "investigating"}, "name"),
        ({"name": "X", "status": "melting"}, "status"),
        ({"name": "X", "status": "postmortem"}, "status"),
        ({"name": "X", "impact_override": "maintenance"}, "impact_override"),
        ({"name": "X", "components": {"nosuchcomp00": "major_outage"}}, "components"),
        ({"name": "X", "component_ids": ["nosuchcomp00"]}, "component_ids"),
        ({"name": "X", "component_ids": "x", "components": []}, "components"),
        ({"name": "X", "deliver_notifications": "perhaps"}, "deliver_notifications"),
        ({"name": "X", "scheduled_for": "2030-01-01T00:00:00Z"}, "scheduled_until"),
        ({"name": "X", "scheduled_for": "soon", "scheduled_until": "later"}, "scheduled_for"),
        (
            {
                "name": "X",
                "scheduled_for": "2030-01-02T00:00:00Z",
                "scheduled_until": "2030-01-01T00:00:00Z",
            },
            "scheduled_until",
        ),
        ({"name": "X", "backfilled": True, "backfill_date": "not a date"}, "backfill_date"),
        ({"name": "X", "metadata": "flat"}, "metadata"),
    ],
)
def test_create_refuses_bad_input(v1, page_url, api, fields, field):
    response = v1(Role.RESPONDER).post(page_url("incidents"), {"incident": fields})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"], response.json()
    assert not Incident.objects.exists() and not Maintenance.objects.exists()


def test_component_status_under_maintenance_is_refused(v1, page_url, api):
    response = v1().post(
        page_url("incidents"),
        {"incident": {"name": "X", "components": {api.public_id: "under_maintenance"}}},
    )
    assert response.status_code == 422
    assert "components" in response.json()["errors"]


def test_viewer_cannot_write_and_unknown_ids_are_404(v1, page_url):
    viewer = v1(Role.VIEWER)
    assert viewer.post(page_url("incidents"), {"incident": {"name": "x"}}).status_code == 403
    admin = v1()
    assert admin.get(page_url("incidents/nosuchincid0")).status_code == 404
    assert admin.patch(page_url("incidents/nosuchincid0"), {"incident": {}}).status_code == 404
    assert admin.delete(page_url("incidents/nosuchincid0")).status_code == 404
    response = admin.patch(page_url("incidents/x/incident_updates/y"), {"incident_update": {}})
    assert response.status_code == 404


def test_scheduled_maintenance_lifecycle(v1, page_url, api):
    client = v1(Role.RESPONDER)
    start = timezone.now() + timedelta(days=1)
    data = _create(
        client,
        page_url,
        name="DB upgrade",
        body="Planned.",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=2)).isoformat(),
        scheduled_remind_prior=True,
        scheduled_auto_in_progress=False,
        component_ids=[api.public_id],
    )
    assert data["status"] == "scheduled"
    assert data["impact"] == "maintenance"
    assert data["scheduled_remind_prior"] is True
    assert data["scheduled_auto_in_progress"] is False
    assert data["scheduled_for"] is not None
    maintenance = Maintenance.objects.get(public_id=data["id"])
    assert maintenance.remind_before_minutes == 60
    assert [m["id"] for m in client.get(page_url("incidents/upcoming")).json()] == [data["id"]]
    assert [m["id"] for m in client.get(page_url("incidents/scheduled")).json()] == [data["id"]]
    assert client.get(page_url("incidents/active_maintenance")).json() == []

    url = page_url(f"incidents/{data['id']}")
    response = client.patch(url, {"incident": {"status": "in_progress", "body": "Started."}})
    assert response.status_code == 200, response.content
    api.refresh_from_db()
    assert api.status == "under_maintenance"
    assert [m["id"] for m in client.get(page_url("incidents/active_maintenance")).json()] == [
        data["id"]
    ]
    response = client.patch(url, {"incident": {"status": "verifying", "body": "Checking."}})
    assert response.json()["status"] == "verifying"
    response = client.patch(url, {"incident": {"status": "completed"}})
    assert response.json()["status"] == "completed"
    api.refresh_from_db()
    assert api.status == "operational"
    response = client.patch(url, {"incident": {"status": "in_progress"}})
    assert response.status_code == 422


def test_maintenance_created_in_progress_and_rescheduled(v1, page_url, api):
    client = v1(Role.RESPONDER)
    start = timezone.now() - timedelta(minutes=5)
    data = _create(
        client,
        page_url,
        name="Now",
        status="in_progress",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=1)).isoformat(),
        components={api.public_id: "under_maintenance"},
    )
    assert data["status"] == "in_progress"
    later = start + timedelta(hours=3)
    response = client.patch(
        page_url(f"incidents/{data['id']}"), {"incident": {"scheduled_until": later.isoformat()}}
    )
    assert response.status_code == 200, response.content
    assert Maintenance.objects.get(public_id=data["id"]).scheduled_until == later.replace(
        microsecond=later.microsecond
    )
    response = client.patch(page_url(f"incidents/{data['id']}"), {"incident": {"name": "x"}})
    assert response.status_code == 422


def test_scheduled_window_cancelled_with_completed(v1, page_url):
    client = v1()
    start = timezone.now() + timedelta(days=2)
    data = _create(
        client,
        page_url,
        name="Maybe",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=1)).isoformat(),
    )
    response = client.patch(
        page_url(f"incidents/{data['id']}"), {"incident": {"status": "completed"}}
    )
    assert response.json()["status"] == "completed"
    assert Maintenance.objects.get(public_id=data["id"]).cancelled_at is not None


def test_backfilled_incident_is_resolved_in_the_past(v1, page_url, events):
    data = _create(
        v1(Role.RESPONDER),
        page_url,
        name="Old outage",
        backfilled=True,
        backfill_date="2026-01-03",
        body="It happened.",
    )
    assert data["status"] == "resolved"
    assert data["backfilled"] is True
    assert data["started_at"].startswith("2026-01-03T00:00:00")
    assert data["resolved_at"] == data["started_at"]
    from tests.conftest import RECORDED_EVENTS

    assert all(not e.notify for e in RECORDED_EVENTS)


def test_patch_edits_name_and_impact_without_an_update(v1, page_url, api):
    client = v1(Role.RESPONDER)
    data = _create(
        client, page_url, name="Typo", body="x", components={api.public_id: "major_outage"}
    )
    url = page_url(f"incidents/{data['id']}")
    response = client.patch(url, {"incident": {"name": "Fixed name", "impact_override": "minor"}})
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["impact"]) == ("Fixed name", "minor")
    assert len(data["incident_updates"]) == 1
    response = client.patch(url, {"incident": {"impact_override": None}})
    assert response.json()["impact"] == "critical"
    assert AuditEntry.objects.filter(action="incident.edit", via="api").count() == 2
    assert client.patch(url, {"incident": {"name": ""}}).status_code == 422


def test_incident_update_edit(v1, page_url):
    client = v1(Role.RESPONDER)
    data = _create(client, page_url, name="X", body="Frist")
    update_id = data["incident_updates"][0]["id"]
    url = page_url(f"incidents/{data['id']}/incident_updates/{update_id}")
    response = client.patch(
        url,
        {"incident_update": {"body": "First", "deliver_notifications": False}},
    )
    assert response.status_code == 200, response.content
    assert (response.json()["body"], response.json()["deliver_notifications"]) == ("First", False)
    before = (timezone.now() - timedelta(days=1)).isoformat()
    response = client.patch(url, {"incident_update": {"display_at": before}})
    assert response.status_code == 422
    assert "display_at" in response.json()["errors"]
    response = client.patch(url, {"incident_update": {"body": "  "}})
    assert response.status_code == 422
    assert v1(Role.VIEWER).patch(url, {"incident_update": {"body": "y"}}).status_code == 403


def test_delete_incident_restores_components_and_is_audited(v1, page_url, api):
    client = v1(Role.RESPONDER)
    data = _create(
        client, page_url, name="Oops", body="x", components={api.public_id: "major_outage"}
    )
    response = client.delete(page_url(f"incidents/{data['id']}"))
    assert response.status_code == 200
    assert response.json()["id"] == data["id"]
    assert not Incident.objects.exists()
    api.refresh_from_db()
    assert api.status == "operational"
    entry = AuditEntry.objects.get(action="incident.delete")
    assert entry.via == "api"
    assert Client().get("/api/v2/incidents.json").json()["incidents"] == []


def test_delete_maintenance(v1, page_url, api):
    client = v1()
    start = timezone.now() - timedelta(minutes=1)
    data = _create(
        client,
        page_url,
        name="M",
        status="in_progress",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=1)).isoformat(),
        component_ids=[api.public_id],
    )
    api.refresh_from_db()
    assert api.status == "under_maintenance"
    assert client.delete(page_url(f"incidents/{data['id']}")).status_code == 200
    api.refresh_from_db()
    assert api.status == "operational"
    assert not Maintenance.objects.exists()


def test_list_search_and_pagination(v1, page_url):
    client = v1(Role.RESPONDER)
    for n in range(3):
        _create(client, page_url, name=f"Outage {n}", body="x")
    start = timezone.now() + timedelta(days=1)
    _create(
        client,
        page_url,
        name="Window",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=1)).isoformat(),
    )
    viewer = v1(Role.VIEWER)
    names = [i["name"] for i in viewer.get(page_url("incidents")).json()]
    assert names == ["Window", "Outage 2", "Outage 1", "Outage 0"]
    assert [i["name"] for i in viewer.get(page_url("incidents"), {"q": "outage 1"}).json()] == [
        "Outage 1"
    ]
    second = viewer.get(page_url("incidents"), {"limit": 2, "page": 2}).json()
    assert [i["name"] for i in second] == ["Outage 1", "Outage 0"]
    assert len(viewer.get(page_url("incidents/unresolved")).json()) == 3
    assert viewer.get(page_url("incidents"), {"limit": "many"}).status_code == 400
    assert viewer.get(page_url("incidents"), {"q": "a\x00b"}).status_code == 400


def test_get_returns_incident_and_maintenance_shapes(v1, page_url):
    client = v1()
    incident = _create(client, page_url, name="I", body="x")
    start = timezone.now() + timedelta(days=1)
    window = _create(
        client,
        page_url,
        name="W",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=1)).isoformat(),
    )
    got = client.get(page_url(f"incidents/{incident['id']}")).json()
    assert got["scheduled_for"] is None and got["postmortem_body"] is None
    got = client.get(page_url(f"incidents/{window['id']}")).json()
    assert got["impact"] == "maintenance" and got["scheduled_until"]


def test_postmortem_text_shows_as_statuspage_shows_it_draft_included(v1, page_url, operator):
    """Statuspage's management API shows a postmortem's text before it is published (with no
    publication time); the public documents never do. import_statuspage reads it from here."""
    client = v1(Role.VIEWER)
    incident = _create(v1(Role.RESPONDER), page_url, name="I", body="x")
    obj = Incident.objects.get(public_id=incident["id"])
    services.incident_resolve(incident=obj, body="Fixed", actor=operator)
    services.postmortem_save_draft(incident=obj, body="## Cause\n*Draft*", actor=operator)
    got = client.get(page_url(f"incidents/{obj.public_id}")).json()
    assert (got["postmortem_body"], got["postmortem_published_at"]) == ("## Cause\n*Draft*", None)
    public = Client().get(f"/api/v2/incidents/{obj.public_id}.json").json()["incident"]
    assert public.get("postmortem_body") is None
    services.postmortem_publish(incident=obj, actor=operator)
    services.postmortem_save_draft(incident=obj, body="A later edit", actor=operator)
    got = client.get(page_url(f"incidents/{obj.public_id}")).json()
    # Once published, the published text (a later, unpublished edit stays in the dashboard).
    assert got["postmortem_body"] == "## Cause\n*Draft*" and got["postmortem_published_at"]


def test_incident_list_pages_by_limit_or_per_page(v1, page_url):
    client = v1()
    ids = [_create(client, page_url, name=f"I{n}", body="x")["id"] for n in range(3)]
    for size in ("limit", "per_page"):
        first = client.get(page_url("incidents"), {size: 2, "page": 1}).json()
        second = client.get(page_url("incidents"), {size: 2, "page": 2}).json()
        assert (len(first), len(second)) == (2, 1)
        assert sorted(i["id"] for i in first + second) == sorted(ids)
