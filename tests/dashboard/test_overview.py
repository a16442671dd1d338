"""The overview: status, open incidents, maintenance, the component board, queue health."""

from __future__ import annotations

from unittest import mock

from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, Page
from notifications.models import Delivery, Subscriber, SubscriberState


def test_overview_shows_status_incidents_and_board(viewer_client, api, web, operator):
    services.incident_create(
        name="Slow API", body="Looking", actor=operator, component_statuses={api: "partial_outage"}
    )
    response = viewer_client.get("/dashboard/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Slow API" in html
    assert "Partial System Outage" in html
    assert "API" in html and "Web" in html
    # A viewer sees no write controls.
    assert "/status/" not in html


def test_responder_sees_one_click_status_buttons(responder_client, api):
    html = responder_client.get("/dashboard/").content.decode()
    assert f"/dashboard/components/{api.pk}/status/" in html


def test_one_click_status_change_sets_the_component_and_audits_it(responder_client, api):
    response = responder_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "degraded_performance"}
    )
    assert response.status_code == 302
    api.refresh_from_db()
    assert api.status == api.base_status == "degraded_performance"
    entry = AuditEntry.objects.filter(action="component.status").latest("id")
    assert entry.actor == "rhea" and entry.via == "dashboard"
    page = responder_client.get("/dashboard/").content.decode()
    assert "API is now Degraded performance." in page


def test_refused_status_is_shown_not_raised(responder_client, api):
    response = responder_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "under_maintenance"}
    )
    assert response.status_code == 302
    page = responder_client.get("/dashboard/").content.decode()
    assert "Schedule a maintenance window" in page
    api.refresh_from_db()
    assert api.status == "operational"


def test_status_change_of_a_missing_component_is_404(responder_client, page):
    assert responder_client.post("/dashboard/components/999/status/", {}).status_code == 404


def test_unreachable_queue_shows_a_red_warning(viewer_client):
    with mock.patch(
        "statuspage.dashboard.views.overview.queue_is_reachable", autospec=True, return_value=False
    ):
        html = viewer_client.get("/dashboard/").content.decode()
    assert 'class="alert" role="alert"' in html
    assert "queue (Redis) is unreachable" in html


def test_reachable_queue_shows_no_warning(viewer_client):
    html = viewer_client.get("/dashboard/").content.decode()
    assert "Queue reachable." in html and "unreachable" not in html


def test_recent_audit_entries_are_listed(viewer_client, api):
    html = viewer_client.get("/dashboard/").content.decode()
    assert "component.create" in html


def _subscribers(api, web):
    now = timezone.now()
    made = {}
    for address, components in (("api@x.test", [api]), ("web@x.test", [web])):
        sub = Subscriber.objects.create(
            channel="email",
            address=address,
            state=SubscriberState.ACTIVE,
            confirmed_at=now,
            all_components=False,
        )
        sub.components.set(components)
        made[address] = sub
    return made


def _recipients():
    return set(Delivery.objects.values_list("subscriber__address", flat=True))


def test_one_click_change_notifies_the_components_subscribers_when_the_page_says_so(
    responder_client, api, web
):
    _subscribers(api, web)
    url = f"/dashboard/components/{api.pk}/status/"
    responder_client.post(url, {"status": "major_outage"})
    assert _recipients() == set()  # the page setting is off
    Page.objects.update(notify_component_changes=True)
    responder_client.post(url, {"status": "partial_outage"})
    assert _recipients() == {"api@x.test"}


def test_one_click_change_can_be_kept_quiet(responder_client, api, web):
    Page.objects.update(notify_component_changes=True)
    _subscribers(api, web)
    url = f"/dashboard/components/{api.pk}/status/"
    responder_client.post(url, {"status": "major_outage", "notify": "false"})
    api.refresh_from_db()
    assert api.base_status == "major_outage"
    assert _recipients() == set()
