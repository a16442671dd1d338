"""On an audience-specific page a subscriber hears only what its audience sees (real SMTP)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents import page_routes, services
from incidents.enums import ComponentStatus
from incidents.models import Page
from notifications import jobs
from notifications.models import Event, Subscriber

pytestmark = pytest.mark.django_db


def _deliver_all():
    for event in Event.objects.order_by("id"):
        jobs.deliver_batch(event.id, 0)


@pytest.fixture
def audiences(page, operator, make_component):
    Page.objects.filter(pk=page.pk).update(visibility="audience")
    page_routes.changed()  # update() skips the save signal that reloads the routes
    alpha, bravo = make_component("Alpha API"), make_component("Bravo Billing")
    a = services.audience_save(
        actor=operator, page=page, name="Alpha", slug="alpha", components=[alpha]
    )
    b = services.audience_save(
        actor=operator, page=page, name="Bravo", slug="bravo", components=[bravo]
    )
    return {"alpha": alpha, "bravo": bravo, "a": a, "b": b}


def _recipients(sink) -> list[str]:
    return sorted(str(m["To"]) for m in sink.messages)


def test_each_subscriber_hears_only_its_audience(smtp_sink, make_subscriber, audiences, operator):
    make_subscriber(address="ann@alpha.test", audience=audiences["a"])
    make_subscriber(address="bob@bravo.test", audience=audiences["b"])
    # Of no audience (its audience removed, or never placed): hears nothing of this page.
    make_subscriber(address="nobody@x.test")
    alpha_incident = services.incident_create(
        name="Alpha outage",
        body="Alpha fails.",
        component_statuses={audiences["alpha"]: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    _deliver_all()
    assert _recipients(smtp_sink) == ["ann@alpha.test"]
    assert all("Bravo" not in m.as_string() for m in smtp_sink.messages)

    smtp_sink.messages.clear()
    Event.objects.all().delete()
    # An update that changes no component still concerns the incident's components.
    services.incident_update_post(
        incident=alpha_incident, status="identified", body="Found it.", actor=operator
    )
    now = timezone.now()
    services.maintenance_schedule(
        name="Bravo maintenance",
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1),
        components=[audiences["bravo"]],
        actor=operator,
        body="Ledger upgrade.",
    )
    _deliver_all()
    assert _recipients(smtp_sink) == ["ann@alpha.test", "bob@bravo.test"]
    [to_bob] = [m for m in smtp_sink.messages if m["To"] == "bob@bravo.test"]
    assert "Bravo maintenance" in str(to_bob["Subject"])


def test_a_public_page_keeps_its_rules(smtp_sink, make_subscriber, audiences, operator, page):
    Page.objects.filter(pk=page.pk).update(visibility="public")
    page_routes.changed()
    make_subscriber(address="nobody@x.test")
    services.incident_create(
        name="Alpha outage",
        body="Alpha fails.",
        component_statuses={audiences["alpha"]: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    _deliver_all()
    assert _recipients(smtp_sink) == ["nobody@x.test"]


def _reader(page, identity: str) -> Client:
    client = Client()
    session = client.session
    session["reader_access"] = {
        str(page.pk): {"identity": identity, "method": "magic_link", "claims": {}, "at": ""}
    }
    session.save()
    return client


def test_a_signed_in_reader_subscribes_within_their_audience(audiences, operator, page):
    services.audience_save(actor=operator, audience=audiences["a"], domains=["alpha.test"])
    client = _reader(page, "ann@alpha.test")
    form = client.get("/subscribe")
    assert form.status_code == 200 and form["Cache-Control"].startswith("private")
    assert "Alpha API" in form.content.decode()
    assert "Bravo Billing" not in form.content.decode()
    # Another audience's component is not one to choose.
    refused = client.post(
        "/subscribe",
        {"channel": "email", "address": "ann@alpha.test", "components": audiences["bravo"].id},
        REMOTE_ADDR="203.0.113.7",
    )
    assert refused.status_code == 400
    assert not Subscriber.objects.exists()
    sent = client.post(
        "/subscribe",
        {"channel": "email", "address": "ann@alpha.test", "components": audiences["alpha"].id},
        REMOTE_ADDR="203.0.113.7",
    )
    assert sent.status_code == 200
    assert Subscriber.objects.get().audience_id == audiences["a"].id


def test_a_reader_of_no_audience_cannot_subscribe(audiences, page):
    client = _reader(page, "eve@elsewhere.test")
    assert client.get("/subscribe").status_code == 403
    post = client.post(
        "/subscribe",
        {"channel": "email", "address": "eve@elsewhere.test"},
        REMOTE_ADDR="203.0.113.7",
    )
    assert post.status_code == 403
    assert not Subscriber.objects.exists()


def test_a_subscriber_moved_to_another_audience_hears_that_audience(
    smtp_sink, make_subscriber, audiences, operator
):
    from notifications.services import subscriber_audience_change

    bob = make_subscriber(
        address="bob@bravo.test", audience=audiences["b"], components=[audiences["bravo"]]
    )
    subscriber_audience_change(actor=operator, subscriber=bob, audience_id=audiences["a"].id)
    services.incident_create(
        name="Bravo outage",
        body="Bravo fails.",
        component_statuses={audiences["bravo"]: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    services.incident_create(
        name="Alpha outage",
        body="Alpha fails.",
        component_statuses={audiences["alpha"]: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    _deliver_all()
    # Only Alpha's incident: Bravo's component left bob's list with the move.
    assert _recipients(smtp_sink) == ["bob@bravo.test"]
    assert "Alpha outage" in str(smtp_sink.messages[0]["Subject"])
