"""/incidents/<id> and /maintenance/<id>: full timelines, postmortems, real 404s."""

from __future__ import annotations

import re

import pytest

from incidents import services
from tests.public.conftest import reset_read_path


def test_incident_page_has_timeline_and_components(client, site):
    response = client.get(f"/incidents/{site['open'].public_id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "API errors" in html
    # The affected component, with its status now.
    assert re.search(r"<li><span>API</span> <span class=\"status-text st-partial_outage\"", html)
    assert html.index("Cause identified.") < html.index("errors.</p>")
    assert f'href="/subscribe?incident={site["open"].public_id}"' in html
    assert "Postmortem" not in html


def test_published_postmortem_is_shown(client, site):
    html = client.get(f"/incidents/{site['resolved'].public_id}").content.decode()
    assert '<h3 id="h-postmortem">Postmortem</h3>' in html
    # The postmortem's "##" sits under the page's "Postmortem" (h3), not above it.
    assert "<h4>What happened</h4>" in html and "<h2>What happened" not in html
    # Postmortem first, then the updates.
    assert html.index("h-postmortem") < html.index("h-updates") < html.index("<p>Fixed.</p>")
    assert "/subscribe?incident" not in html  # resolved: nothing more to follow


def test_draft_postmortem_is_not_shown(client, page, operator, api):
    incident = services.incident_create(name="Blip", body="x", actor=operator)
    services.incident_resolve(incident=incident, body="ok", actor=operator)
    services.postmortem_save_draft(incident=incident, body="SECRET DRAFT", actor=operator)
    html = client.get(f"/incidents/{incident.public_id}").content.decode()
    assert "SECRET DRAFT" not in html


def test_maintenance_page(client, site):
    response = client.get(f"/maintenance/{site['maintenance'].public_id}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Database upgrade" in html and "Upgrading to a new major version." in html
    assert re.search(r"<li><span>Database</span> <span class=\"status-text st-operational\"", html)
    # Its state once, then when and how long (not "Scheduled · scheduled ...").
    assert '<dd class="update-status">Scheduled</dd>' in html
    assert "scheduled" not in html.split("h-maintenance", 1)[1].split("</dl>")[0].lower().replace(
        '<dd class="update-status">scheduled</dd>', ""
    )
    assert "<dt>Planned length</dt><dd>2 h</dd>" in html
    assert 'href="/maintenance.ics"' in html


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/aaaaaaaaaaaa",
        "/incidents/short",
        "/incidents/AAAAAAAAAAAA",
        "/maintenance/aaaaaaaaaaaa",
        "/maintenance/../../etc",
        "/nope",
        "/history/",
        "/incidents/",
    ],
)
def test_unknown_ids_and_paths_are_real_404s(client, page, path):
    response = client.get(path)
    assert response.status_code == 404
    assert not response.has_header("ETag")


def test_incident_id_is_not_a_maintenance_id(client, site):
    assert client.get(f"/maintenance/{site['open'].public_id}").status_code == 404


def test_post_is_refused(client, site):
    assert client.post("/").status_code == 405


def test_incident_durations(client, page, operator, api, clock):
    from datetime import timedelta

    incident = services.incident_create(
        name="Blip", body="x", actor=operator, component_statuses={api: "major_outage"}
    )
    html = client.get(f"/incidents/{incident.public_id}").content.decode()
    # Open: the script fills in how long (a cached page cannot); without it, "Ongoing".
    assert f'<span data-since="{incident.started_at.isoformat()}">Ongoing</span>' in html
    clock.shift(timedelta(hours=1, minutes=5))
    services.incident_resolve(incident=incident, body="ok", actor=operator)
    reset_read_path()
    html = client.get(f"/incidents/{incident.public_id}").content.decode()
    assert "<dt>Duration</dt><dd>1 h 5 min</dd>" in html
    assert "data-since" not in html


def test_maintenance_durations(client, page, operator, api, clock):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    window = services.maintenance_schedule(
        name="Upgrade", scheduled_for=now, scheduled_until=now + timedelta(hours=2),
        components=[api], actor=operator, body="Soon.",
    )  # fmt: skip
    services.maintenance_start(maintenance=window, actor=operator)
    html = client.get(f"/maintenance/{window.public_id}").content.decode()
    assert "<dt>Planned length</dt><dd>2 h</dd>" in html
    assert '">In progress</span>' in html and "data-since" in html
    assert re.search(r"<li><span>API</span> <span class=\"status-text st-under_maintenance\"", html)
    clock.shift(timedelta(minutes=95))
    services.maintenance_complete(maintenance=window, actor=operator)
    reset_read_path()
    html = client.get(f"/maintenance/{window.public_id}").content.decode()
    assert "<dt>Duration</dt><dd>1 h 35 min</dd>" in html
    assert '<dd class="update-status">Completed</dd>' in html


@pytest.mark.parametrize(
    ("seconds", "words"), [(0, "under 1 min"), (29, "under 1 min"), (60, "1 min"), (7200, "2 h")]
)
def test_elapsed_words(seconds, words):
    from statuspage.public.templating import elapsed

    assert elapsed(seconds) == words


# Berlin's clocks go from 02:00 CET to 03:00 CEST on 2026-03-29: two hours pass while the wall
# clock moves three. The page shows both times in its zone and the real duration.
@pytest.mark.frozen_at("2026-03-29T00:30:00+00:00")
def test_duration_across_a_dst_change_is_real_time(client, page, operator, api, clock):
    from datetime import timedelta

    page.time_zone = "Europe/Berlin"
    page.save()
    incident = services.incident_create(
        name="Night blip", body="x", actor=operator, component_statuses={api: "major_outage"}
    )
    clock.shift(timedelta(hours=2))
    services.incident_resolve(incident=incident, body="ok", actor=operator)
    reset_read_path()
    html = client.get(f"/incidents/{incident.public_id}").content.decode()
    assert "Mar 29, 2026 01:30 CET" in html and "Mar 29, 2026 04:30 CEST" in html
    assert "<dt>Duration</dt><dd>2 h</dd>" in html
