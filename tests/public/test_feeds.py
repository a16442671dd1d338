"""Atom and RSS feeds of the history; the iCal feed of maintenance."""

from __future__ import annotations

from xml.etree import ElementTree

from django.db import connection
from icalendar import Calendar

from incidents import services
from incidents.models import Incident, IncidentUpdate, Maintenance, Page
from tests.public.conftest import reset_read_path

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response):
    return ElementTree.fromstring(response.content)  # noqa: S314 - our own output


def test_atom_lists_incidents_and_maintenance_with_updates(client, site, page):
    response = client.get("/history.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    entries = parse(response).findall(f"{ATOM}entry")
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert set(titles) == {"API errors", "Slow website", "Maintenance: Database upgrade"}
    api = next(e for e in entries if e.find(f"{ATOM}title").text == "API errors")
    summary = api.find(f"{ATOM}summary").text
    assert "Cause identified." in summary and "<strong>investigating</strong>" in summary
    link = api.find(f"{ATOM}link").get("href")
    assert link == f"{page.url}/incidents/{site['open'].public_id}"


def test_rss_items(client, site):
    response = client.get("/history.rss")
    assert response.status_code == 200
    items = parse(response).findall("./channel/item")
    assert len(items) == 3
    assert all(i.find("guid").text.startswith("http") for i in items)


def test_feed_links_do_not_depend_on_the_host_header(client, site, settings):
    settings.ALLOWED_HOSTS = ["*"]
    body = client.get("/history.atom", HTTP_HOST="evil.example").content.decode()
    assert "evil.example" not in body


def test_ics_has_one_event_per_window(client, site, page):
    response = client.get("/maintenance.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = Calendar.from_ical(response.content)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    window = site["maintenance"]
    assert event.decoded("dtstart") == window.scheduled_for.replace(microsecond=0)
    assert event.decoded("dtend") == window.scheduled_until.replace(microsecond=0)
    assert str(event["uid"]).startswith(f"maintenance-{window.public_id}@")
    assert "Affected: Database" in str(event["description"])
    assert str(event["status"]) == "CONFIRMED"


def test_cancelled_window_is_marked_cancelled(client, site, operator):
    services.maintenance_cancel(maintenance=site["maintenance"], actor=operator)
    cal = Calendar.from_ical(client.get("/maintenance.ics").content)
    assert str(cal.walk("VEVENT")[0]["status"]) == "CANCELLED"


def test_empty_feeds_are_valid(client, page):
    assert parse(client.get("/history.atom")).findall(f"{ATOM}entry") == []
    assert Calendar.from_ical(client.get("/maintenance.ics").content).walk("VEVENT") == []


def _stored_controls() -> str:
    # Everything below U+0020 that XML 1.0 refuses; PostgreSQL cannot store U+0000 at all.
    first = 0 if connection.vendor == "sqlite" else 1
    return "".join(chr(c) for c in range(first, 0x20)) + "\x7f"


def test_feeds_never_fail_on_control_characters_already_stored(client, site, page):
    """Text written before characters were checked (or by a raw import) must not break the
    feeds for every reader: stored through QuerySet.update, which skips the model's checks."""
    bad = _stored_controls()
    IncidentUpdate.objects.update(body=f"Still{bad}down")
    Incident.objects.update(name=f"API{bad}errors")
    Maintenance.objects.update(name=f"DB{bad}upgrade")
    Page.objects.update(name=f"Ex{bad}ample")
    reset_read_path()
    for path in ("/history.atom", "/history.rss"):
        response = client.get(path)
        assert response.status_code == 200, path
        titles = [e.text for e in parse(response).iter() if e.tag.endswith("title")]
        # Tab and newlines are valid XML and stay; the rest is dropped.
        assert any("APIerrors" in "".join((t or "").split()) for t in titles), titles
    ics = client.get("/maintenance.ics")
    assert ics.status_code == 200
    summary = str(Calendar.from_ical(ics.content).walk("VEVENT")[0]["summary"])
    assert "".join(summary.split()) == "Example:DBupgrade"
