"""Fixtures for the public JSON tests: a cold read-path cache per test, and a dataset that
covers every shape the reference describes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from statuspage import public_cache

HISTORY = 53  # resolved incidents of history: more than one page of 50


@pytest.fixture(autouse=True)
def cold_public_cache(settings, tmp_path):
    """Each test starts with empty caches and its own snapshot directory."""
    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    public_cache.local.clear()
    public_cache._written.clear()
    cache.clear()
    yield
    public_cache.local.clear()
    public_cache._written.clear()
    cache.clear()


@pytest.fixture
def dataset(page, operator, make_component):
    """Groups, a component shown only when degraded, a description, resolved and unresolved
    incidents, a published postmortem, every maintenance state and several pages of history."""
    regions = services.component_group_create(name="Regions", actor=operator)
    eu = make_component("EU West", group=regions, description="Frankfurt")
    us = make_component("US East", group=regions, only_show_if_degraded=True)
    api = make_component("API", start_date=datetime(2026, 1, 1).date())
    web = make_component("Web")

    start = datetime(2025, 6, 1, 12, 0, 0, 123000, tzinfo=UTC)
    for n in range(HISTORY):
        at = start + timedelta(days=n)
        incident = services.incident_create(
            name=f"Old incident {n}", body="Looking.", actor=operator, at=at, notify=False
        )
        services.incident_resolve(
            incident=incident, body="Fixed.", actor=operator, at=at + timedelta(hours=1)
        )
    services.postmortem_save_draft(incident=incident, body="What happened.", actor=operator)
    postmortem = services.postmortem_publish(incident=incident, actor=operator, notify=False)

    open_incident = services.incident_create(
        name="EU latency",
        body="We are investigating.",
        actor=operator,
        component_statuses={eu: ComponentStatus.DEGRADED_PERFORMANCE},
    )
    services.incident_update_post(
        incident=open_incident,
        status="monitoring",
        body="A fix is out.",
        actor=operator,
        component_statuses={eu: ComponentStatus.PARTIAL_OUTAGE},
    )

    now = timezone.now()
    window = {"actor": operator, "notify": False}
    scheduled = services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=1),
        components=[api],
        **window,
    )
    in_progress = services.maintenance_schedule(
        name="Network work",
        scheduled_for=now - timedelta(minutes=5),
        scheduled_until=now + timedelta(hours=1),
        components=[web],
        **window,
    )
    services.maintenance_start(maintenance=in_progress, **window)
    verifying = services.maintenance_schedule(
        name="Cache swap",
        scheduled_for=now - timedelta(minutes=10),
        scheduled_until=now + timedelta(hours=1),
        components=[api],
        **window,
    )
    services.maintenance_start(maintenance=verifying, **window)
    services.maintenance_update_post(
        maintenance=verifying, status="verifying", body="Checking.", **window
    )
    completed = services.maintenance_schedule(
        name="Old work",
        scheduled_for=now - timedelta(hours=3),
        scheduled_until=now - timedelta(hours=2),
        components=[api],
        **window,
    )
    services.maintenance_start(maintenance=completed, **window)
    services.maintenance_complete(maintenance=completed, **window)
    cancelled = services.maintenance_schedule(
        name="Dropped work",
        scheduled_for=now + timedelta(days=5),
        scheduled_until=now + timedelta(days=5, hours=1),
        components=[api],
        **window,
    )
    services.maintenance_cancel(maintenance=cancelled, **window)
    return {
        "regions": regions,
        "eu": eu,
        "us": us,
        "api": api,
        "web": web,
        "open_incident": open_incident,
        "postmortem": postmortem,
        "scheduled": scheduled,
        "in_progress": in_progress,
        "verifying": verifying,
        "completed": completed,
        "cancelled": cancelled,
    }
