"""/incidents/<id> and /maintenance/<id>: full timelines, postmortems, real 404s."""

from __future__ import annotations

import re

import pytest

from incidents import services


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
    assert "<dd class=\"update-status\">Scheduled</dd>" in html
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
