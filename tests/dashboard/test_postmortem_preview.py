"""The postmortem form shows what publishing would send: the email (subject, HTML in a
sandboxed frame, plain text) and the SMS, rendered by the sender's own code; previewing saves
and sends nothing."""

from __future__ import annotations

import html as html_lib
import re

import pytest

from incidents.events import EventKind
from incidents.models import AuditEntry, Incident
from notifications.models import Event
from notifications.preview import postmortem_preview

BODY = "## Cause\n\nA **bad** deploy.\n\n- rolled back\n- added a check"


@pytest.fixture
def resolved(responder_client, api, web):
    responder_client.post(
        "/dashboard/incidents/new/",
        {
            "name": "API errors",
            "status": "investigating",
            "impact_override": "",
            "body": "Looking.",
            f"component_{api.pk}": "major_outage",
        },
    )
    incident = Incident.objects.get()
    responder_client.post(f"/dashboard/incidents/{incident.public_id}/resolve/", {"body": "Ok"})
    incident.refresh_from_db()
    return incident


def _url(incident, tail=""):
    return f"/dashboard/incidents/{incident.public_id}/{tail}"


def _panel(page_html: str) -> str:
    return page_html.split("data-subscriber-preview ", 1)[1].split("</form>", 1)[0]


def test_before_any_text_the_panel_says_what_it_will_show(responder_client, resolved):
    panel = _panel(responder_client.get(_url(resolved)).text)
    assert "What subscribers will receive" in panel
    assert "Write the postmortem to see the email and the SMS it sends." in panel
    assert "<iframe" not in panel


def test_the_saved_draft_is_previewed_as_it_would_be_sent(responder_client, resolved):
    responder_client.post(_url(resolved, "postmortem/"), {"body": BODY})
    resolved.refresh_from_db()
    expected = postmortem_preview(resolved, BODY)
    panel = _panel(responder_client.get(_url(resolved)).text)
    assert f"<dd data-preview-subject>{html_lib.escape(expected.subject)}</dd>" in panel
    assert html_lib.escape(expected.text) in panel
    assert "- rolled back\n- added a check" in expected.text and "**" not in expected.text
    assert re.search(r'<iframe class="email-frame" sandbox="allow-same-origin"', panel)
    # Postmortems are not among the default SMS events: the panel says so, shows no SMS.
    assert "data-preview-sms>" not in panel and "NOTIFY_SMS_EVENTS" in panel
    email = responder_client.get(_url(resolved, "postmortem/preview/email/"))
    assert email.text == expected.html
    assert "<strong>bad</strong>" in email.text


def test_the_fragment_previews_unsaved_text_and_its_frame_follows(
    responder_client, resolved, settings
):
    settings.NOTIFY_SMS_EVENTS = [EventKind.POSTMORTEM_PUBLISHED]
    responder_client.post(_url(resolved, "postmortem/"), {"body": "The saved draft."})
    before = AuditEntry.objects.count()
    response = responder_client.post(_url(resolved, "postmortem/preview/"), {"body": BODY})
    assert response.status_code == 200
    expected = postmortem_preview(resolved, BODY)
    assert html_lib.escape(expected.text) in response.text
    assert f"data-preview-sms>{html_lib.escape(expected.sms)}</pre>" in response.text
    assert f"{expected.sms_length.units} characters, GSM-7, 1 segment<" in response.text
    # The frame shows the previewed text, not the saved draft.
    email = responder_client.get(_url(resolved, "postmortem/preview/email/")).text
    assert "A <strong>bad</strong> deploy." in email and "The saved draft." not in email
    # Nothing saved, nothing sent, nothing audited.
    resolved.refresh_from_db()
    assert resolved.postmortem_draft == "The saved draft."
    assert not Event.objects.filter(kind=EventKind.POSTMORTEM_PUBLISHED).exists()
    assert AuditEntry.objects.count() == before
    # Opening the page again previews the saved draft again.
    responder_client.get(_url(resolved))
    email = responder_client.get(_url(resolved, "postmortem/preview/email/")).text
    assert "The saved draft." in email


def test_the_preview_button_works_without_script_and_saves_nothing(responder_client, resolved):
    response = responder_client.post(
        _url(resolved, "postmortem/"), {"body": BODY, "notify": "on", "preview": "1"}
    )
    assert response.status_code == 200
    panel = _panel(response.text)
    assert html_lib.escape(postmortem_preview(resolved, BODY).text) in panel
    assert "A **bad** deploy." in response.text  # the textarea keeps the text
    resolved.refresh_from_db()
    assert resolved.postmortem_draft == "" and resolved.postmortem_published_at is None
    assert not Event.objects.filter(kind=EventKind.POSTMORTEM_PUBLISHED).exists()


def test_an_empty_text_previews_nothing(responder_client, resolved):
    response = responder_client.post(_url(resolved, "postmortem/preview/"), {"body": "  "})
    assert "Write the postmortem" in response.text
    email = responder_client.get(_url(resolved, "postmortem/preview/email/")).text
    assert "Write the postmortem to see the email." in email


def test_too_long_a_text_is_refused_as_json(responder_client, resolved):
    response = responder_client.post(_url(resolved, "postmortem/preview/"), {"body": "x" * 20001})
    assert response.status_code == 400
    assert response.json() == {"error": "The text is too long."}


def test_viewers_do_not_get_the_panel(viewer_client, resolved):
    assert "data-subscriber-preview" not in viewer_client.get(_url(resolved)).text
