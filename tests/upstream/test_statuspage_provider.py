"""A Statuspage-compatible provider served locally drives a third-party component through an
outage and back, with conditional GETs (the server counts its 304s)."""

from __future__ import annotations

import pytest

from incidents.enums import ChangeSource, ComponentStatus, IncidentStatus
from incidents.models import AuditEntry, Component, ComponentStatusChange, Incident
from notifications.models import Delivery
from statuspage.upstream import services
from statuspage.upstream.models import MirroredIncident, Provider
from tests.upstream.conftest import OPERATIONAL, identified, outage

pytestmark = pytest.mark.django_db

ACTIONS = "br0l2tvcx85d"


@pytest.fixture
def github(provider_server, operator):
    return services.provider_add(url=provider_server.url, actor=operator)


@pytest.fixture
def actions(make_component):
    return make_component("GitHub Actions")


def poll(provider: Provider) -> str:
    return services.provider_poll_now(provider=Provider.objects.get(pk=provider.pk))


def test_adding_by_page_address_polls_its_summary_and_names_it(github, provider_server):
    assert github.kind == Provider.Kind.STATUSPAGE
    assert github.endpoint == provider_server.url + "/api/v2/summary.json"
    assert github.name == "GitHub"
    assert [c["name"] for c in github.snapshot["components"]] == [
        "Git Operations",
        "Actions",
        "Pages",
    ]
    assert AuditEntry.objects.filter(action="upstream.add", via="dashboard").count() == 1


def test_outage_and_back(github, actions, provider_server, operator, component_subscribers):
    services.provider_map(provider=github, mapping={ACTIONS: actions}, actor=operator)
    assert poll(github) == "not_modified"  # nothing changed since the add's fetch
    actions.refresh_from_db()
    assert actions.status == ComponentStatus.OPERATIONAL

    provider_server.serve_json(outage())
    assert poll(github) == "ok"
    actions.refresh_from_db()
    assert actions.status == ComponentStatus.MAJOR_OUTAGE
    change = ComponentStatusChange.objects.get(component=actions)
    assert (change.source, change.actor) == (ChangeSource.AUTOMATION, "upstream: GitHub")
    mirrored = Incident.objects.get()
    assert mirrored.name == "GitHub: Disruption with GitHub Actions"
    assert mirrored.status == IncidentStatus.INVESTIGATING
    assert mirrored.impact == "major"
    body = mirrored.updates.get().body
    assert "failing Actions runs" in body
    assert "*Reported by GitHub*" in body and "(https://stspg.io/abc123)" in body

    # Unchanged: a 304, and nothing written again.
    before = provider_server.not_modified
    assert poll(github) == "not_modified"
    assert provider_server.not_modified == before + 1
    assert mirrored.updates.count() == 1

    provider_server.serve_json(identified())
    poll(github)
    mirrored.refresh_from_db()
    assert mirrored.status == IncidentStatus.IDENTIFIED
    assert mirrored.updates.count() == 2

    provider_server.serve_json(OPERATIONAL)  # resolved: gone from summary.json's list
    poll(github)
    actions.refresh_from_db()
    mirrored.refresh_from_db()
    assert actions.status == ComponentStatus.OPERATIONAL
    assert mirrored.status == IncidentStatus.RESOLVED
    assert "GitHub reports this incident resolved" in mirrored.updates.first().body

    github.refresh_from_db()
    assert github.not_modified == provider_server.not_modified == 2
    assert github.failures == 0
    # Conditional GETs: every poll after the first sent the validators it was given.
    assert all(r["if_none_match"] for r in provider_server.requests[1:])
    # Subscribers are not told by default.
    assert not Delivery.objects.exists()


def test_subscribers_hear_of_it_when_the_provider_says_so(
    github, actions, provider_server, operator, component_subscribers
):
    from django.utils import timezone

    from notifications.models import Subscriber, SubscriberState

    follower = Subscriber.objects.create(
        channel="email",
        address="ci@x.test",
        state=SubscriberState.ACTIVE,
        confirmed_at=timezone.now(),
        all_components=False,
    )
    follower.components.set([actions])
    services.provider_update(
        provider=github,
        actor=operator,
        name="GitHub",
        enabled=True,
        notify_subscribers=True,
        show_incidents=True,
        interval_seconds=300,
    )
    services.provider_map(provider=github, mapping={ACTIONS: actions}, actor=operator)
    provider_server.serve_json(outage())
    poll(github)
    # The subscriber of the component that follows Actions, not those of API or Web.
    assert set(Delivery.objects.values_list("subscriber__address", flat=True)) == {"ci@x.test"}


def test_last_modified_alone_makes_a_conditional_get(github, provider_server):
    provider_server.use_etag = False
    provider_server.serve_json(outage())
    poll(github)
    assert poll(github) == "not_modified"
    assert provider_server.requests[-1]["if_modified_since"]
    assert provider_server.not_modified == 1


def test_incidents_of_unmapped_components_are_not_mirrored(github, provider_server, operator):
    provider_server.serve_json(outage())
    poll(github)
    assert not Incident.objects.exists()
    assert MirroredIncident.objects.count() == 0


def test_hand_set_status_stands_until_the_provider_changes(
    github, actions, provider_server, operator
):
    from incidents.services import component_status_set

    services.provider_map(provider=github, mapping={ACTIONS: actions}, actor=operator)
    provider_server.serve_json(outage())
    poll(github)
    component_status_set(component=actions, status="degraded_performance", actor=operator)
    provider_server.serve_json(identified())  # the incident moves on, Actions still down
    poll(github)
    actions.refresh_from_db()
    assert actions.status == ComponentStatus.DEGRADED_PERFORMANCE
    provider_server.serve_json(OPERATIONAL)
    poll(github)
    actions.refresh_from_db()
    assert actions.status == ComponentStatus.OPERATIONAL


def test_incident_resolved_by_an_operator_is_not_reopened(
    github, actions, provider_server, operator
):
    from incidents.services import incident_resolve

    services.provider_map(provider=github, mapping={ACTIONS: actions}, actor=operator)
    provider_server.serve_json(outage())
    poll(github)
    incident_resolve(incident=Incident.objects.get(), body="Not us.", actor=operator)
    provider_server.serve_json(identified())
    poll(github)
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_stopping_follows_resolves_mirrors_and_bumps_the_generation(
    github, actions, provider_server, operator, page
):
    services.provider_map(provider=github, mapping={ACTIONS: actions}, actor=operator)
    provider_server.serve_json(outage())
    poll(github)
    page.refresh_from_db()
    generation = page.generation
    services.provider_delete(provider=github, actor=operator)
    page.refresh_from_db()
    assert page.generation > generation
    assert Incident.objects.get().status == IncidentStatus.RESOLVED
    assert not Provider.objects.exists()
    assert Component.objects.filter(pk=actions.pk).exists()
    assert AuditEntry.objects.filter(action="upstream.delete").count() == 1


def test_renaming_a_provider_bumps_the_generation(github, operator, page):
    generation = page.generation
    services.provider_update(
        provider=github,
        actor=operator,
        name="GitHub.com",
        enabled=True,
        notify_subscribers=False,
        show_incidents=True,
        interval_seconds=120,
    )
    page.refresh_from_db()
    assert page.generation > generation


def test_a_component_follows_one_upstream_component(github, actions, operator):
    from incidents.services import ServiceError

    other = services.provider_map(provider=github, mapping={ACTIONS: actions}, actor=operator)
    with pytest.raises(ServiceError, match="already follows"):
        services.provider_map(provider=other, mapping={"h2ftsgbw7kmk": actions}, actor=operator)
    with pytest.raises(ServiceError, match="no component"):
        services.provider_map(provider=github, mapping={"nope": actions}, actor=operator)
