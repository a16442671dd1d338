"""What subscribers would receive, before anything is sent: a read for the dashboard.

The messages come from the sender's own code (render.event_view and EventView.email_parts /
sms, as services.messages.build_message calls them) for an event that is never saved, so the
preview cannot drift from what goes out. Only the per-subscriber links differ: the preview's
manage and unsubscribe links carry a token that opens nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from django.utils import timezone

from incidents.enums import IncidentStatus
from incidents.events import EventKind
from incidents.models import Incident
from notifications import render, sms_text
from notifications.models import Event

PREVIEW_TOKEN = "preview"  # noqa: S105 - a placeholder that opens nothing, no secret


@dataclass(frozen=True)
class SubscriberPreview:
    subject: str
    text: str
    html: str
    sms: str
    sms_length: sms_text.Length


def postmortem_preview(incident: Incident, body: str) -> SubscriberPreview:
    """The email and SMS that publishing `body` as this incident's postmortem would send.
    Reads only (the page, its components, the incident's updates and components)."""
    published = copy.copy(incident)
    published.postmortem_body = body
    published.status = IncidentStatus.POSTMORTEM
    published.postmortem_published_at = published.postmortem_published_at or timezone.now()
    event = Event(kind=EventKind.POSTMORTEM_PUBLISHED, incident=published)
    return _preview(render.event_view(event))


def _preview(view: render.EventView) -> SubscriberPreview:
    subject, text, html = view.email_parts(
        manage_url=view.link("notifications-manage", PREVIEW_TOKEN),
        unsubscribe_url=view.link("notifications-unsubscribe", PREVIEW_TOKEN),
    )
    sms = view.sms()
    return SubscriberPreview(subject, text, html, sms, sms_text.measure(sms))
