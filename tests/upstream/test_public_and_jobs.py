"""Mirrored incidents on the public pages (attributed, linked, refreshed when the provider
changes), the scheduler's periodic job, and `manage.py upstream_poll --once`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client

from incidents.models import Incident
from statuspage import public_cache
from statuspage.upstream import services
from statuspage.upstream.jobs import upstream_tick
from tests.upstream.conftest import outage

pytestmark = pytest.mark.django_db


@pytest.fixture
def mirrored(provider_server, operator, make_component):
    provider = services.provider_add(url=provider_server.url, actor=operator)
    actions = make_component("GitHub Actions")
    services.provider_map(provider=provider, mapping={"br0l2tvcx85d": actions}, actor=operator)
    provider_server.serve_json(outage())
    services.provider_poll_now(provider=provider)
    return provider


def test_the_front_page_and_the_incident_page_credit_the_provider(
    mirrored, operator, django_capture_on_commit_callbacks
):
    client = Client()
    incident = Incident.objects.get()
    credit = (
        '<p class="meta source">Reported by GitHub · <a href="https://stspg.io/abc123" '
        'rel="noopener noreferrer external">View on GitHub’s status page</a></p>'
    )
    front = client.get("/").content.decode()
    assert credit in front
    assert "Affects: GitHub Actions" in front
    detail = client.get(f"/incidents/{incident.public_id}").content.decode()
    assert credit in detail
    # A rename reaches the cached pages at once (the generation is bumped).
    with django_capture_on_commit_callbacks(execute=True):
        services.provider_update(
            provider=mirrored,
            actor=operator,
            name="GitHub.com",
            enabled=True,
            notify_subscribers=False,
            show_incidents=True,
            interval_seconds=300,
        )
    # This process's brief memo of the generation lapses (as it does within a second); the
    # cached documents stay, keyed by the generation they were rendered at.
    public_cache.local.generation.clear()
    assert "Reported by GitHub.com" in client.get("/").content.decode()


def test_own_incidents_carry_no_credit(operator, api):
    from incidents.services import incident_create

    incident_create(name="Ours", body="Looking", actor=operator)
    assert "Reported by" not in Client().get("/").content.decode()


def test_the_scheduler_runs_the_upstream_tick():
    from notifications.cron import schedule

    assert (upstream_tick, "default", 30) in schedule()
    # Added to the list, not in place of the others.
    assert ("statuspage.publish.jobs.publish_tick", "default", 60) in (
        settings.STATUSPAGE_PERIODIC_JOBS
    )


def test_the_tick_polls_what_is_due(provider_server, operator):
    assert upstream_tick() == "none due"
    services.provider_add(url=provider_server.url, actor=operator)
    assert upstream_tick() == "1 not_modified"


def test_upstream_poll_once(provider_server, operator):
    services.provider_add(url=provider_server.url, actor=operator)
    out = StringIO()
    call_command("upstream_poll", "--once", stdout=out)
    assert "GitHub: ok (2 polls, 1 not modified)" in out.getvalue()
    assert "Polled: 1 not_modified." in out.getvalue()
    provider_server.fail_with = 500
    out = StringIO()
    call_command("upstream_poll", "--once", "--all", stdout=out)
    assert "GitHub: error: HTTP 500 Internal Server Error." in out.getvalue()
    with pytest.raises(CommandError, match="--once"):
        call_command("upstream_poll")
