"""Notifications as operators see them: /metrics, the dashboard overview, the scheduler."""

from django.contrib.auth import get_user_model

from incidents import services
from incidents.jobs import maintenance_tick
from notifications.cron import SCHEDULE


def _incident(operator, api):
    services.incident_create(
        name="API down", body="b", actor=operator, component_statuses={api: "major_outage"}
    )


def test_metrics_count_deliveries_by_state_and_channel(
    client, make_subscriber, api, operator, settings
):
    settings.REDIS_URL = None
    make_subscriber()
    make_subscriber(address="bob@example.test")
    _incident(operator, api)  # outbox rows are written with the incident; not sent here
    body = client.get("/metrics", REMOTE_ADDR="127.0.0.1").content.decode()
    assert 'statuspage_deliveries{channel="email",state="pending"} 2.0' in body
    assert "statuspage_oldest_pending_delivery_seconds" in body


def test_dashboard_overview_shows_the_outbox(client, make_subscriber, api, operator, settings):
    settings.REDIS_URL = None
    make_subscriber()
    _incident(operator, api)
    admin = get_user_model().objects.create_superuser("root", "root@example.test", "pw")
    client.force_login(admin)
    body = client.get("/dashboard/").content.decode()
    assert "<caption>Deliveries</caption>" in body
    assert "in-process (no Redis)" in body


def test_the_scheduler_runs_the_maintenance_tick():
    assert (maintenance_tick, "default", 30) in SCHEDULE
