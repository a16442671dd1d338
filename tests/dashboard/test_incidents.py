"""Incident workflow from the dashboard: declare, update, resolve, correct, postmortem."""

from __future__ import annotations

import re

import pytest

from incidents.models import AuditEntry, Incident, IncidentComponent


def _declare(client, api, web, **extra):
    data = {
        "name": "API errors",
        "status": "investigating",
        "impact_override": "",
        "body": "We are **looking** into it.",
        "notify": "on",
        f"component_{api.pk}": "major_outage",
        f"component_{web.pk}": "degraded_performance",
    }
    data.update(extra)
    return client.post("/dashboard/incidents/new/", data)


def test_declare_form_lists_every_component(responder_client, api, web):
    html = responder_client.get("/dashboard/incidents/new/").content.decode()
    assert f'name="component_{api.pk}"' in html and f'name="component_{web.pk}"' in html


def test_declaring_sets_component_statuses_and_notifies(responder_client, api, web, events):
    response = _declare(responder_client, api, web)
    incident = Incident.objects.get()
    assert response["Location"] == f"/dashboard/incidents/{incident.public_id}/"
    api.refresh_from_db()
    web.refresh_from_db()
    assert (api.status, web.status) == ("major_outage", "degraded_performance")
    assert incident.impact == "critical"
    assert events[-1].notify is True
    assert AuditEntry.objects.filter(action="incident.create", actor="rhea").exists()


def test_declaring_without_notify_does_not_notify(responder_client, api, web, events):
    data = {"notify": ""}
    _declare(responder_client, api, web, **data)
    assert events[-1].notify is False


def test_impact_override_is_kept(responder_client, api, web):
    _declare(responder_client, api, web, impact_override="minor")
    assert Incident.objects.get().impact == "minor"


def test_bad_input_shows_form_errors_not_500(responder_client, api, web):
    response = _declare(
        responder_client,
        api,
        web,
        name="",
        status="exploded",
        body="",
        impact_override="maintenance",
        **{f"component_{api.pk}": "under_maintenance"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert "Select a valid choice" in html
    assert not Incident.objects.exists()


def test_posting_an_update_changes_status_and_components(responder_client, api, web):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    response = responder_client.post(
        f"/dashboard/incidents/{incident.public_id}/update/",
        {
            "status": "monitoring",
            "body": "Fix deployed.",
            f"component_{api.pk}": "degraded_performance",
            f"component_{web.pk}": "degraded_performance",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    api.refresh_from_db()
    assert incident.status == "monitoring"
    assert api.status == "degraded_performance"
    assert incident.updates.count() == 2


def test_an_empty_update_is_a_form_error(responder_client, api, web):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    response = responder_client.post(
        f"/dashboard/incidents/{incident.public_id}/update/", {"status": "identified", "body": " "}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_resolving_restores_component_statuses(responder_client, api, web):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    response = responder_client.post(
        f"/dashboard/incidents/{incident.public_id}/resolve/", {"body": "All good."}
    )
    assert response.status_code == 302
    api.refresh_from_db()
    web.refresh_from_db()
    assert (api.status, web.status) == ("operational", "operational")
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_a_resolved_incident_offers_postmortem_not_resolve(responder_client, api, web):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    responder_client.post(f"/dashboard/incidents/{incident.public_id}/resolve/", {"body": "Ok"})
    html = responder_client.get(f"/dashboard/incidents/{incident.public_id}/").content.decode()
    assert "/resolve/" not in html and "/postmortem/" in html


def test_correcting_an_update_changes_its_text_only(responder_client, api, web, events):
    _declare(responder_client, api, web)
    update = Incident.objects.get().updates.get()
    count = len(events)
    url = f"/dashboard/incidents/updates/{update.public_id}/edit/"
    assert "looking" in responder_client.get(url).content.decode()
    response = responder_client.post(url, {"body": "We are investigating errors."})
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.body == "We are investigating errors."
    assert len(events) == count


def test_postmortem_draft_then_publish(responder_client, api, web):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    responder_client.post(f"/dashboard/incidents/{incident.public_id}/resolve/", {"body": "Ok"})
    url = f"/dashboard/incidents/{incident.public_id}/postmortem/"
    responder_client.post(url, {"body": "Root cause: a bad deploy."})
    incident.refresh_from_db()
    assert incident.postmortem_draft == "Root cause: a bad deploy."
    assert incident.postmortem_published_at is None
    detail = responder_client.get(f"/dashboard/incidents/{incident.public_id}/").content.decode()
    assert "Root cause: a bad deploy." in detail
    responder_client.post(url, {"body": "Root cause: a bad deploy.", "publish": "1"})
    incident.refresh_from_db()
    assert incident.status == "postmortem"
    assert incident.postmortem_body == "Root cause: a bad deploy."


def test_publishing_an_empty_postmortem_is_a_form_error(responder_client, api, web):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    responder_client.post(f"/dashboard/incidents/{incident.public_id}/resolve/", {"body": "Ok"})
    response = responder_client.post(
        f"/dashboard/incidents/{incident.public_id}/postmortem/", {"body": "", "publish": "1"}
    )
    assert response.status_code == 400
    assert "The postmortem draft is empty." in response.content.decode()


def test_preview_returns_sanitised_html(viewer_client):
    response = viewer_client.post(
        "/dashboard/preview/", {"body": "<script>alert(1)</script> **bold**"}
    )
    assert response.status_code == 200
    assert b"<script>" not in response.content
    assert b"<strong>bold</strong>" in response.content  # the public page's Markdown pipeline


def test_preview_of_oversized_text_is_400(viewer_client):
    assert viewer_client.post("/dashboard/preview/", {"body": "x" * 20001}).status_code == 400


def test_unknown_incident_is_404(viewer_client):
    assert viewer_client.get("/dashboard/incidents/nosuchthing1/").status_code == 404


def test_update_bodies_are_escaped_on_the_dashboard(responder_client, api, web):
    _declare(responder_client, api, web, body="<img src=x onerror=alert(1)>")
    incident = Incident.objects.get()
    html = responder_client.get(f"/dashboard/incidents/{incident.public_id}/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html


@pytest.mark.parametrize("field", ["name", "body"])
def test_a_control_character_is_a_form_error_and_nothing_is_declared(
    responder_client, api, web, field
):
    from incidents.models import Incident

    response = _declare(responder_client, api, web, **{field: "Bell \x07 here"})
    assert response.status_code == 400
    assert "control character (U+0007)" in response.content.decode()
    assert not Incident.objects.exists()
    api.refresh_from_db()
    assert api.status == "operational"


def _resolved(client, api, web) -> Incident:
    _declare(client, api, web)
    incident = Incident.objects.get()
    client.post(f"/dashboard/incidents/{incident.public_id}/resolve/", {"body": "Ok"})
    return incident


def test_timeline_renders_markdown_and_status_labels_and_hides_unchanged_components(
    responder_client, api, web
):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    # The second update keeps API where it was and moves Web: only Web's change is news.
    responder_client.post(
        f"/dashboard/incidents/{incident.public_id}/update/",
        {
            "status": "identified",
            "impact_override": "",
            "body": "- Sign-in may fail\n- **Retry** works",
            "notify": "on",
            f"component_{api.pk}": "major_outage",
            f"component_{web.pk}": "partial_outage",
        },
    )
    html = responder_client.get(f"/dashboard/incidents/{incident.public_id}/").content.decode()
    assert "<li>Sign-in may fail</li>" in html and "<strong>Retry</strong>" in html
    assert "<strong>looking</strong>" in html
    assert "major_outage" not in html.split("<h2>Updates</h2>")[1].split("<section>")[0]
    assert "Major outage → Major outage" not in html
    changes = re.findall(r'<ul class="changes">(.*?)</ul>', html, re.DOTALL)
    text = [re.sub(r"<[^>]+>|\s+", " ", c).split() for c in changes]
    assert [" ".join(t) for t in text] == [
        "Web: Degraded performance → Partial outage",
        "API: Operational → Major outage Web: Operational → Degraded performance",
    ]
    # The worse side is the one in red, whichever side it is on.
    assert (
        '<span class="calm">Operational</span> → <span class="severe">Major outage</span>' in html
    )


def test_incident_pages_link_to_the_public_incident(viewer_client, responder_client, api, web):
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    public = f'href="/incidents/{incident.public_id}"'
    assert public in viewer_client.get(f"/dashboard/incidents/{incident.public_id}/").text
    assert public in viewer_client.get("/dashboard/incidents/").text


def test_reopening_sets_components_again_tells_subscribers_and_is_audited(
    responder_client, api, web, events
):
    incident = _resolved(responder_client, api, web)
    api.refresh_from_db()
    assert api.status == "operational"
    page = responder_client.get(f"/dashboard/incidents/{incident.public_id}/").text
    # The statuses it imposed before are offered again.
    assert re.search(
        r'<option value="major_outage" selected>[^<]*</option>', page.split("/reopen/")[1]
    )
    response = responder_client.post(
        f"/dashboard/incidents/{incident.public_id}/reopen/",
        {
            "status": "identified",
            "body": "The errors are **back**.",
            "notify": "on",
            f"component_{api.pk}": "partial_outage",
        },
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    api.refresh_from_db()
    assert (incident.status, incident.resolved_at) == ("identified", None)
    assert api.status == "partial_outage"
    assert events[-1].kind == "incident.updated" and events[-1].notify is True
    assert AuditEntry.objects.filter(action="incident.reopened", actor="rhea").count() == 1
    assert "/resolve/" in responder_client.get(f"/dashboard/incidents/{incident.public_id}/").text


def test_reopening_needs_an_open_status_and_a_resolved_incident(responder_client, api, web):
    incident = _resolved(responder_client, api, web)
    url = f"/dashboard/incidents/{incident.public_id}/reopen/"
    bad = responder_client.post(url, {"status": "resolved", "body": "x"})
    assert bad.status_code == 400
    responder_client.post(url, {"status": "investigating", "body": "Back."})
    again = responder_client.post(
        url, {"status": "investigating", "body": "Back again."}, follow=True
    )
    assert "This incident is open: post an update instead." in again.text
    assert AuditEntry.objects.filter(action="incident.reopened").count() == 1


def test_a_viewer_cannot_reopen(viewer_client, responder_client, api, web):
    incident = _resolved(responder_client, api, web)
    response = viewer_client.post(
        f"/dashboard/incidents/{incident.public_id}/reopen/",
        {"status": "investigating", "body": "Back."},
    )
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_postmortem_form_separates_draft_from_publishing(responder_client, api, web):
    incident = _resolved(responder_client, api, web)
    url = f"/dashboard/incidents/{incident.public_id}/"
    html = responder_client.get(url).text
    assert "Saved draft" not in html  # no empty preview before there is a draft
    assert "What happened, why, and what changes" in html
    assert '<button type="submit" name="save" class="secondary">Save draft (nobody is told)' in html
    assert 'class="publish">Publish and notify</button>' in html
    responder_client.post(f"{url}postmortem/", {"body": "## Cause\nA bad deploy."})
    html = responder_client.get(url).text
    assert '<span class="tag draft">Draft</span>' in html
    assert "<h3>Saved draft</h3>" in html and "<h2>Cause</h2>" in html


def test_a_whole_group_choice_applies_to_members_left_blank(responder_client, operator, api):
    from incidents import services

    eu = services.component_group_create(name="EU", actor=operator)
    services.component_create(name="Paris", group=eu, actor=operator)
    berlin = services.component_create(name="Berlin", group=eu, actor=operator)
    form = responder_client.get("/dashboard/incidents/new/").text
    assert "<legend>EU</legend>" in form and f'name="group_{eu.pk}"' in form
    assert re.search(r'<input[^>]*name="name"[^>]*autofocus', form)
    assert "will post an update within 30 minutes" in form  # a first notice needs only a name
    responder_client.post(
        "/dashboard/incidents/new/",
        {
            "name": "EU down",
            "status": "investigating",
            "body": "Looking.",
            f"group_{eu.pk}": "major_outage",
            f"component_{berlin.pk}": "degraded_performance",  # its own choice wins
        },
    )
    incident = Incident.objects.get()
    rows = IncidentComponent.objects.filter(incident=incident)
    imposed = dict(rows.values_list("component__name", "status"))
    assert imposed == {"Paris": "major_outage", "Berlin": "degraded_performance"}


def test_the_forms_say_what_the_public_page_will_read(responder_client, api, web):
    html = responder_client.get("/dashboard/incidents/new/").text
    assert "The public page will read" in html and "All Systems Operational" in html
    line = responder_client.get(
        f"/dashboard/preview/status/?component_{api.pk}=major_outage&component_{web.pk}=major_outage"
    ).text
    assert "Major System Outage" in line and "API: <span" in line and "Major outage" in line
    _declare(responder_client, api, web)
    incident = Incident.objects.get()
    detail = responder_client.get(f"/dashboard/incidents/{incident.public_id}/").text
    # The update form keeps what the incident imposes; resolving would clear the banner.
    assert "Major System Outage" in detail.split('action="/dashboard/incidents/')[1]
    resolving = responder_client.get(
        f"/dashboard/preview/status/?incident={incident.public_id}&resolving=1"
    ).text
    assert "All Systems Operational" in resolving
