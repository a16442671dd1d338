"""The overview: status, open incidents, maintenance, the component board, queue health."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, Page
from notifications.models import Delivery, Event


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


def test_banner_is_statuspages_blend_not_the_worst(viewer_client, make_component, operator):
    components = [make_component(f"Service {n}") for n in range(9)]
    for component in components[:5]:
        services.component_status_set(component=component, status="major_outage", actor=operator)
    html = viewer_client.get("/dashboard/").content.decode()
    assert re.search(r'class="banner ind-major"[^>]*>\s*Partial System Outage', html)


def test_board_and_component_list_link_each_component_to_its_public_row(
    admin_client, api, web, client
):
    public = client.get("/").content.decode()
    for path in ("/dashboard/", "/dashboard/components/"):
        html = admin_client.get(path).content.decode()
        for component in (api, web):
            assert f'href="/#c-{component.public_id}"' in html, (path, component.name)
            assert f'id="c-{component.public_id}"' in public  # the link lands on a real row


def test_responder_sees_one_click_status_buttons(responder_client, api):
    html = responder_client.get("/dashboard/").content.decode()
    assert f"/dashboard/components/{api.pk}/status/" in html


def test_one_click_status_change_sets_the_component_and_audits_it(responder_client, api):
    response = responder_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "degraded_performance"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/#c-{api.pk}"  # back to the row, not the top
    api.refresh_from_db()
    assert api.status == api.base_status == "degraded_performance"
    entry = AuditEntry.objects.filter(action="component.status").latest("id")
    assert entry.actor == "rhea" and entry.via == "dashboard"
    page = responder_client.get("/dashboard/").content.decode()
    assert "API is now Degraded performance." in page


def test_an_outage_from_the_board_asks_first_and_changes_nothing_until_confirmed(
    responder_client, api
):
    url = f"/dashboard/components/{api.pk}/status/"
    asked = responder_client.post(url, {"status": "major_outage", "notify": "false"})
    assert asked.status_code == 200
    assert "Set API to Major outage?" in asked.text
    # The confirmation carries the choice, the quiet flag included.
    for hidden in ('name="status" value="major_outage"', 'name="confirmed" value="on"',
                   'name="notify" value="false"'):  # fmt: skip
        assert hidden in asked.text
    api.refresh_from_db()
    assert api.base_status == "operational"
    assert not AuditEntry.objects.filter(action="component.status").exists()
    responder_client.post(url, {"status": "major_outage", "confirmed": "on"})
    api.refresh_from_db()
    assert api.base_status == "major_outage"


def test_a_board_change_can_be_undone_for_ten_seconds(responder_client, api, clock):
    from datetime import timedelta

    url = f"/dashboard/components/{api.pk}/status/"
    responder_client.post(url, {"status": "degraded_performance"})
    page = responder_client.get("/dashboard/").text
    assert "Undo: back to Operational" in page
    assert 'name="undo" value="on"' in page
    responder_client.post(url, {"status": "operational", "undo": "on"})
    api.refresh_from_db()
    assert api.base_status == "operational"
    assert "Undo:" not in responder_client.get("/dashboard/").text  # undone once, not again
    responder_client.post(url, {"status": "degraded_performance"})
    clock.shift(timedelta(seconds=11))
    assert "Undo:" not in responder_client.get("/dashboard/").text


def test_undo_is_not_offered_once_something_else_changed_the_component(
    responder_client, api, operator
):
    from incidents import services

    responder_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "degraded_performance"}
    )
    services.component_status_set(component=api, status="operational", actor=operator)
    assert "Undo:" not in responder_client.get("/dashboard/").text


def test_the_overview_leads_with_incidents_and_maintenance_then_components_then_the_queue(
    viewer_client,
):
    html = viewer_client.get("/dashboard/").text
    headings = ("Open incidents", "Maintenance", "Components", "Notifications queue")
    order = [html.index(f"<h2>{h}</h2>") for h in headings]
    assert order == sorted(order)


def test_refused_status_is_shown_not_raised(responder_client, api):
    response = responder_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "on_fire"}
    )
    assert response.status_code == 302
    page = responder_client.get("/dashboard/").content.decode()
    assert "Unknown component status" in page
    api.refresh_from_db()
    assert api.status == "operational"


def test_board_puts_a_component_under_maintenance_and_ends_it(responder_client, api, operator):
    services.component_status_set(component=api, status="partial_outage", actor=operator)
    html = responder_client.get("/dashboard/").content.decode()
    assert 'name="status" value="under_maintenance"' in html
    assert "/maintenance/end/" not in html
    response = responder_client.post(
        f"/dashboard/components/{api.pk}/status/", {"status": "under_maintenance"}
    )
    assert response.status_code == 302
    api.refresh_from_db()
    assert (api.status, api.base_status, api.maintenance_by_hand) == (
        "under_maintenance",
        "partial_outage",
        True,
    )
    html = responder_client.get("/dashboard/").content.decode()
    assert "API is now Under maintenance." in html
    assert 'Under maintenance <span class="muted">(over partial outage)</span>' in html
    end = f"/dashboard/components/{api.pk}/maintenance/end/"
    assert f'action="{end}"' in html
    assert responder_client.post(end).status_code == 302
    api.refresh_from_db()
    assert (api.status, api.maintenance_by_hand) == ("partial_outage", False)
    html = responder_client.get("/dashboard/").content.decode()
    assert "maintenance ended; it is now Partial outage." in html
    # Ending again is refused on the page, not raised.
    responder_client.post(end)
    assert (
        "not under maintenance set by hand" in responder_client.get("/dashboard/").content.decode()
    )


def test_viewer_cannot_end_maintenance(viewer_client, api, operator):
    services.component_status_set(component=api, status="under_maintenance", actor=operator)
    response = viewer_client.post(f"/dashboard/components/{api.pk}/maintenance/end/")
    assert response.status_code == 403
    api.refresh_from_db()
    assert api.maintenance_by_hand is True


def test_status_change_of_a_missing_component_is_404(responder_client, page):
    assert responder_client.post("/dashboard/components/999/status/", {}).status_code == 404


def test_reachable_queue_shows_no_warning(viewer_client):
    html = viewer_client.get("/dashboard/").content.decode()
    assert "Queue reachable." in html and "unreachable" not in html


def test_recent_audit_entries_are_listed(viewer_client, api):
    html = viewer_client.get("/dashboard/").content.decode()
    assert "component.create" in html


def _recipients():
    return set(Delivery.objects.values_list("subscriber__address", flat=True))


def test_one_click_change_notifies_the_components_subscribers_when_the_page_says_so(
    responder_client, api, component_subscribers
):
    url = f"/dashboard/components/{api.pk}/status/"
    responder_client.post(url, {"status": "major_outage", "confirmed": "on"})
    assert _recipients() == set()  # the page setting is off
    Page.objects.update(notify_component_changes=True)
    responder_client.post(url, {"status": "partial_outage", "confirmed": "on"})
    assert _recipients() == {"api@x.test"}


def test_one_click_change_can_be_kept_quiet(responder_client, api, component_subscribers):
    Page.objects.update(notify_component_changes=True)
    url = f"/dashboard/components/{api.pk}/status/"
    responder_client.post(url, {"status": "major_outage", "notify": "false", "confirmed": "on"})
    api.refresh_from_db()
    assert api.base_status == "major_outage"
    assert _recipients() == set()


# --- queue health: workers and the outbox's figures -----------------------------------------

NO_WORKER = 'data-health="no-worker"'


def _queues_at(settings, url: str) -> None:
    """Point the job queues (not the cache) at `url`, as REDIS_URL does."""
    settings.REDIS_URL = url
    settings.RQ_QUEUES = {
        name: {"URL": url, "DEFAULT_TIMEOUT": 300, "SOCKET_CONNECT_TIMEOUT": 1}
        for name in ("default", "notifications")
    }


def _figure(html: str, key: str) -> str:
    return re.search(rf'<(?:td|strong) data-(?:state|health)="{key}">([^<]*)<', html).group(1)


def test_no_worker_alive_is_a_red_warning_even_with_nothing_due(viewer_client, settings):
    """The queue answers but nobody consumes it: warned before the first message waits."""
    if not settings.REDIS_URL:
        pytest.skip("needs a real Redis (REDIS_URL)")
    assert not Delivery.objects.exists()
    html = viewer_client.get("/dashboard/").content.decode()
    assert "Queue reachable." in html
    assert f'<p class="alert" role="alert" {NO_WORKER}>' in html
    assert "No worker is alive" in html
    assert _figure(html, "workers") == "0"


def test_unreachable_redis_counts_no_worker_and_warns_twice(viewer_client, settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _queues_at(settings, f"redis://127.0.0.1:{port}/0")
    html = viewer_client.get("/dashboard/").content.decode()
    assert (
        '<p class="alert" role="alert"><strong>The notification queue (Redis) is unreachable.'
        in html
    )
    assert NO_WORKER in html and "No worker is alive" in html
    assert _figure(html, "workers") == "0"


def test_without_redis_jobs_run_in_process_and_no_worker_is_missed(viewer_client, settings):
    settings.REDIS_URL = None
    # No public URL configured: its check (test_public_url_check.py) raises no alert either.
    Page.objects.update(url="")
    html = viewer_client.get("/dashboard/").content.decode()
    assert NO_WORKER not in html and 'role="alert"' not in html
    assert _figure(html, "workers") == "in-process (no Redis)"
    assert "No delivery is waiting." in html


@pytest.fixture
def outbox_rows(make_subscriber):
    """Two pending rows (one due for 2 h 5 min, one retry not due yet), one failed, three dead
    and a sent one."""
    subs = [make_subscriber(address=f"s{n}@example.test") for n in range(7)]
    event = Event.objects.create(kind="incident.created")
    now = timezone.now()
    states = [
        ("pending", {"next_attempt_at": now - timedelta(hours=2, minutes=5)}),
        ("pending", {"next_attempt_at": now + timedelta(hours=1), "attempts": 2}),
        ("failed", {"attempts": 1, "last_error": "SMTP 451"}),
        ("dead", {"attempts": 8}),
        ("dead", {"attempts": 8}),
        ("dead", {"attempts": 8}),
        ("sent", {"sent_at": now}),
    ]
    for sub, (state, extra) in zip(subs, states, strict=True):
        Delivery.objects.create(event=event, subscriber=sub, channel="email", state=state, **extra)


def test_outbox_figures_and_oldest_pending_age_come_from_the_rows(
    viewer_client, settings, outbox_rows
):
    settings.REDIS_URL = None
    html = viewer_client.get("/dashboard/").content.decode()
    figures = {state: _figure(html, state) for state in ("pending", "failed", "dead", "sent")}
    assert figures == {"pending": "2", "failed": "1", "dead": "3", "sent": "1"}
    # Only the due row counts: the retry scheduled for later is not waiting yet.
    assert _figure(html, "oldest") == "2 h 5 min"
    assert 'data-health="stalled"' in html
    assert "has waited 125 minutes" in html


# --- maintenance on the overview -------------------------------------------------------------


def test_running_and_upcoming_maintenance_are_listed_with_their_windows(
    viewer_client, api, web, operator, page
):
    page.time_zone = "Europe/Berlin"
    page.save()
    now = timezone.now().replace(second=0, microsecond=0)
    running = services.maintenance_schedule(
        name="Swap disks",
        scheduled_for=now - timedelta(minutes=10),
        scheduled_until=now + timedelta(hours=1),
        components=[api],
        actor=operator,
    )
    services.maintenance_start(maintenance=running, actor=operator)
    upcoming = services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=1),
        components=[web],
        actor=operator,
    )
    finished = services.maintenance_schedule(
        name="Old work",
        scheduled_for=now + timedelta(days=3),
        scheduled_until=now + timedelta(days=3, hours=1),
        components=[web],
        actor=operator,
    )
    services.maintenance_cancel(maintenance=finished, actor=operator)
    html = viewer_client.get("/dashboard/").content.decode()
    section = html.split("<h2>Maintenance</h2>", 1)[1].split("</section>", 1)[0]
    section = re.sub(r"<time [^>]*>|</time>", "", section)  # the page-zone text they carry

    def local(value):
        return timezone.localtime(value, page.tz).strftime("%Y-%m-%d %H:%M %Z")

    assert f'href="/dashboard/maintenance/{running.public_id}/">Swap disks</a>' in section
    assert f"In progress</span> until {local(running.scheduled_until)}" in section
    assert f'href="/dashboard/maintenance/{upcoming.public_id}/">DB upgrade</a>' in section
    window = f"{local(upcoming.scheduled_for)} – {local(upcoming.scheduled_until)}"
    assert f"scheduled</span> {window}" in section
    assert "Old work" not in section and "None running or scheduled." not in section
    # Running first, then upcoming.
    assert section.index("Swap disks") < section.index("DB upgrade")


def test_no_maintenance_says_so(viewer_client, page):
    html = viewer_client.get("/dashboard/").content.decode()
    assert "None running or scheduled." in html
