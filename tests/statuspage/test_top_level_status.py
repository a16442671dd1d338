"""The top-level status is Statuspage's blend, the same on every surface: API v2, the public
banner, the widget and badges, the dashboard and webhook payloads (incidents/rules.py)."""

from __future__ import annotations

import re

import pytest

from incidents import services
from statuspage import public_cache

NINE = ["API", "Web", "CDN", "DNS", "Mail", "Search", "Billing", "Auth", "Queue"]


@pytest.fixture
def nine(make_component):
    return [make_component(name) for name in NINE]


def _everywhere(client) -> set[tuple[str, str]]:
    """(indicator, description) as each public surface shows it."""
    public_cache.local.generation.clear()  # as if half a second had passed since the last read
    api = client.get("/api/v2/status.json").json()["status"]
    seen = {(api["indicator"], api["description"])}
    for path in ("/api/v2/summary.json",):
        status = client.get(path).json()["status"]
        seen.add((status["indicator"], status["description"]))
    html = client.get("/").content.decode()
    banner = re.search(r'<p class="banner ind-(\w+)"[^>]*>(.*?)</p>', html, re.S)
    assert banner is not None
    # The banner's text without its decorative (aria-hidden) icon.
    text = re.sub(r'<span class="icon" aria-hidden="true">.*?</span>', "", banner.group(2))
    seen.add((banner.group(1), re.sub(r"<[^>]+>", "", text).strip()))
    state = client.get("/embed/state.json").json()["status"]
    seen.add((state["indicator"], state["description"]))
    # The shields.io badge carries the description only.
    seen.add((api["indicator"], client.get("/badge.json").json()["message"]))
    return seen


def test_five_of_nine_in_major_outage_read_partial_system_outage_everywhere(client, nine, operator):
    for component in nine[:5]:
        services.component_status_set(component=component, status="major_outage", actor=operator)
    assert _everywhere(client) == {("major", "Partial System Outage")}


def test_all_in_major_outage_is_a_major_system_outage(client, nine, operator):
    for component in nine:
        services.component_status_set(component=component, status="major_outage", actor=operator)
    assert _everywhere(client) == {("critical", "Major System Outage")}


def test_all_degraded_reads_degraded_system_service(client, api, web, operator):
    for component in (api, web):
        services.component_status_set(
            component=component, status="degraded_performance", actor=operator
        )
    assert _everywhere(client) == {("minor", "Degraded System Service")}


def test_one_partial_of_two_reads_minor_service_outage(client, api, web, operator):
    services.component_status_set(component=api, status="partial_outage", actor=operator)
    assert _everywhere(client) == {("minor", "Minor Service Outage")}


def test_an_open_incident_raises_the_blend_to_its_impact(client, nine, operator):
    services.incident_create(
        name="Outage", body="Down.", actor=operator, component_statuses={nine[0]: "major_outage"}
    )
    # One of nine in major outage blends to major; the incident's critical impact raises it.
    assert _everywhere(client) == {("critical", "Major System Outage")}


def test_the_raise_follows_the_incidents_current_impact_not_its_peak(
    client, nine, operator, django_capture_on_commit_callbacks
):
    incident = services.incident_create(
        name="Outage", body="Down.", actor=operator, component_statuses={nine[0]: "major_outage"}
    )
    assert _everywhere(client) == {("critical", "Major System Outage")}
    # The public documents follow each write once it commits.
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update_post(
            incident=incident,
            status="monitoring",
            body="A fix is out; partly back.",
            actor=operator,
            component_statuses={nine[0]: "degraded_performance"},
        )
    incident.refresh_from_db()
    assert incident.impact == "critical"  # history keeps the peak
    assert _everywhere(client) == {("minor", "Partially Degraded Service")}
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_update_post(
            incident=incident,
            status="monitoring",
            body="Recovered; watching.",
            actor=operator,
            component_statuses={nine[0]: "operational"},
        )
    assert _everywhere(client) == {("none", "All Systems Operational")}


def test_an_impact_override_raises_while_the_incident_is_open(
    client, nine, operator, django_capture_on_commit_callbacks
):
    incident = services.incident_create(
        name="Billing delays", body="Slow.", actor=operator, impact_override="major"
    )
    assert _everywhere(client) == {("major", "Partial System Outage")}
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_resolve(incident=incident, body="Done.", actor=operator)
    assert _everywhere(client) == {("none", "All Systems Operational")}
