"""An Atom or RSS status feed: its open entries put the component that follows the feed in
partial outage and are mirrored; resolved or stale entries are over."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from incidents.enums import ComponentStatus, IncidentStatus
from incidents.models import Incident
from incidents.services import ServiceError
from statuspage.upstream import services
from statuspage.upstream.models import Provider
from statuspage.upstream.parse import FEED_COMPONENT

pytestmark = pytest.mark.django_db


def atom(*entries: tuple[str, str, str]) -> bytes:
    """(id, title, summary HTML) entries, updated a few minutes ago."""
    updated = (timezone.now() - timedelta(minutes=5)).isoformat()
    items = "".join(
        f"<entry><id>{i}</id><title>{t}</title><updated>{updated}</updated>"
        f'<link rel="alternate" href="https://status.example.com/incidents/{i}"/>'
        f'<summary type="html">{s}</summary></entry>'
        for i, t, s in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Example Cloud status</title><id>urn:x</id><updated>{updated}</updated>"
        f"{items}</feed>"
    ).encode()


def rss(title: str, description: str, when) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Old Cloud</title>'
        "<link>https://status.example.com</link><description>x</description>"
        f"<item><title>{title}</title><guid>old-1</guid><pubDate>{format_datetime(when)}</pubDate>"
        f"<description>{description}</description></item></channel></rss>"
    ).encode()


OPEN = (
    "inc-1",
    "Elevated API errors",
    "&lt;p&gt;&lt;strong&gt;Investigating&lt;/strong&gt; - Errors on the API.&lt;/p&gt;",
)
DONE = (
    "inc-1",
    "Elevated API errors",
    "&lt;p&gt;&lt;strong&gt;Resolved&lt;/strong&gt; - All good.&lt;/p&gt;",
)


def test_feed_drives_a_component_and_mirrors_its_entries(provider_server, operator, make_component):
    provider_server.serve(atom(), "application/atom+xml")
    provider = services.provider_add(url=provider_server.url + "/history.atom", actor=operator)
    assert (provider.kind, provider.name) == (Provider.Kind.FEED, "Example Cloud status")
    cloud = make_component("Example Cloud")
    services.provider_map(provider=provider, mapping={FEED_COMPONENT: cloud}, actor=operator)

    provider_server.serve(atom(OPEN), "application/atom+xml")
    assert services.provider_poll_now(provider=provider) == "ok"
    cloud.refresh_from_db()
    assert cloud.status == ComponentStatus.PARTIAL_OUTAGE
    mirrored = Incident.objects.get()
    assert mirrored.name == "Example Cloud status: Elevated API errors"
    body = mirrored.updates.get().body
    assert body.startswith("Investigating - Errors on the API.")  # HTML reduced to words
    assert "(https://status.example.com/incidents/inc-1)" in body

    assert services.provider_poll_now(provider=provider) == "not_modified"
    assert provider_server.not_modified == 1

    provider_server.serve(atom(DONE), "application/atom+xml")
    services.provider_poll_now(provider=provider)
    cloud.refresh_from_db()
    mirrored.refresh_from_db()
    assert cloud.status == ComponentStatus.OPERATIONAL
    assert mirrored.status == IncidentStatus.RESOLVED


def test_an_entry_left_open_is_over_after_a_day(provider_server, operator, make_component, clock):
    provider_server.serve(
        rss("Database slow", "We are looking into it.", timezone.now()), "application/rss+xml"
    )
    provider = services.provider_add(url=provider_server.url + "/history.atom", actor=operator)
    cloud = make_component("Old Cloud")
    services.provider_map(provider=provider, mapping={FEED_COMPONENT: cloud}, actor=operator)
    cloud.refresh_from_db()
    assert cloud.status == ComponentStatus.PARTIAL_OUTAGE
    clock.shift(timedelta(hours=25))
    # The feed did not change (a 304): time alone ends the entry.
    assert services.provider_poll_now(provider=provider) == "not_modified"
    cloud.refresh_from_db()
    assert cloud.status == ComponentStatus.OPERATIONAL
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_something_else_than_a_feed_is_refused(provider_server, operator):
    provider_server.serve(b"<html><body>Status</body></html>", "text/html")
    with pytest.raises(ServiceError, match="Not an Atom or RSS feed"):
        services.provider_add(url=provider_server.url + "/history.atom", actor=operator)
    assert not Provider.objects.exists()
