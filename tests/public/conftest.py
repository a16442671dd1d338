"""Fixtures of the public-site tests: an empty read-path cache per test, snapshots in a
temporary folder, and a small status page with one of everything."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from incidents import page_routes, services
from statuspage import public_cache


@pytest.fixture(autouse=True)
def fresh_read_path(settings, tmp_path):
    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    public_cache.local.clear()
    public_cache._written.clear()
    cache.clear()
    yield
    public_cache.local.clear()
    public_cache._written.clear()
    cache.clear()


def reset_read_path():
    """Forget every cached document and the memoised generation (as a new process would, but
    for the page routes, loaded here: a cold render's queries are counted without the routes'
    load, once per process and per change of a page's slug or hosts)."""
    public_cache.local.clear()
    cache.clear()
    page_routes.table()


@pytest.fixture
def site(page, operator, make_component):
    """A group with two components, a loose one, an open incident with two updates, a resolved
    incident with a published postmortem, and a scheduled maintenance window."""
    group = services.component_group_create(name="Core", actor=operator, collapsed=True)
    api = make_component("API", group=group, description="The public REST API")
    db = make_component("Database", group=group)
    web = make_component("Website")
    open_incident = services.incident_create(
        name="API errors",
        body="We are **investigating** errors.",
        actor=operator,
        component_statuses={api: "partial_outage"},
    )
    services.incident_update_post(
        incident=open_incident, status="identified", body="Cause identified.", actor=operator
    )
    old = services.incident_create(
        name="Slow website",
        body="Pages load slowly.",
        actor=operator,
        component_statuses={web: "degraded_performance"},
        at=timezone.now() - timedelta(days=2),
    )
    services.incident_resolve(
        incident=old, body="Fixed.", actor=operator, at=timezone.now() - timedelta(days=2, hours=-1)
    )
    services.postmortem_save_draft(
        incident=old, body="## What happened\nA cache expired.", actor=operator
    )
    services.postmortem_publish(incident=old, actor=operator)
    now = timezone.now()
    window = services.maintenance_schedule(
        name="Database upgrade",
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=2),
        components=[db],
        actor=operator,
        body="Upgrading to a new major version.",
    )
    return {
        "group": group,
        "api": api,
        "db": db,
        "web": web,
        "open": open_incident,
        "resolved": old,
        "maintenance": window,
    }
