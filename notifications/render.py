"""Rendering notification text: one helper for every channel.

Email subject/text and SMS are .txt templates (not HTML-escaped); the email HTML part is
.html (escaped). SMS text never carries non-breaking spaces: they force UCS-2 and double cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Protocol, Required, TypedDict

from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone

from incidents import selectors, wire
from incidents.events import EventKind
from incidents.models import (
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
)
from notifications.models import Event

HEADLINES = {
    EventKind.INCIDENT_CREATED: "New incident",
    EventKind.INCIDENT_UPDATED: "Incident update",
    EventKind.INCIDENT_RESOLVED: "Resolved",
    EventKind.POSTMORTEM_PUBLISHED: "Postmortem published",
    EventKind.MAINTENANCE_SCHEDULED: "Maintenance scheduled",
    EventKind.MAINTENANCE_RESCHEDULED: "Maintenance rescheduled",
    EventKind.MAINTENANCE_REMINDER: "Maintenance reminder",
    EventKind.MAINTENANCE_STARTED: "Maintenance started",
    EventKind.MAINTENANCE_UPDATED: "Maintenance update",
    EventKind.MAINTENANCE_COMPLETED: "Maintenance completed",
    EventKind.MAINTENANCE_CANCELLED: "Maintenance cancelled",
    EventKind.COMPONENT_STATUS_CHANGED: "Component status changed",
}


_MANAGE = "https://placeholder.invalid/manage-url"
_UNSUBSCRIBE = "https://placeholder.invalid/unsubscribe-url"


class WebhookObjects(TypedDict, total=False):
    """The Statuspage objects a webhook carries: the page's rollup, and the incident (or
    maintenance), or a component and its status change."""

    page: wire.WebhookPageDict
    incident: wire.IncidentFullDict
    component_update: wire.ComponentUpdateDict
    component: wire.ComponentDict


class WebhookMeta(TypedDict):
    unsubscribe: str
    documentation: str
    generated_at: str | None


class WebhookBody(WebhookObjects):
    """One subscriber's webhook payload: its own `meta`, then the event's objects."""

    meta: Required[WebhookMeta]


class Template(Protocol):
    """A loaded template of any configured engine (Django's or Jinja2's)."""

    def render(self, context: Mapping[str, object] | None = None) -> str: ...


@dataclass
class EventView:
    """Everything about one event that is the same for every subscriber (built once a batch)."""

    event: Event
    page_name: str
    page_url: str
    headline: str
    title: str
    status: str
    body: str
    object_public_id: str
    # The event's Statuspage objects (incidents.wire), the same for every webhook subscriber.
    payload: WebhookObjects = field(default_factory=WebhookObjects)
    tz: tzinfo = UTC  # the page's: every timestamp of a webhook payload is in its offset
    # Maintenance window, "2026-01-05 10:00 to 12:00 UTC"-style, or "".
    window: str = ""
    # Resolved once per batch: templates by name, URL patterns split around the token, and
    # the email parts rendered with placeholder links.
    _templates: dict[str, Template] = field(default_factory=dict, repr=False)
    _links: dict[str, tuple[str, str, str]] = field(default_factory=dict, repr=False)
    _email: tuple[str, str, str] | None = field(default=None, repr=False)

    def context(self, **extra: object) -> dict[str, object]:
        return {"ev": self, **extra}

    def template(self, name: str) -> Template:
        """`notifications/<name>` for this event kind if such a template exists (e.g.
        email/maintenance.scheduled/body.txt), else the channel's generic one. Resolved once
        per batch: a miss costs a filesystem lookup, too much to pay per message."""
        if name not in self._templates:
            channel, _, part = name.partition("/")
            self._templates[name] = select_template(
                [f"notifications/{channel}/{self.event.kind}/{part}", f"notifications/{name}"]
            )
        return self._templates[name]

    def link(self, url_name: str, token: str) -> str:
        """Absolute URL of a token-taking view; the pattern is reversed once per batch."""
        if url_name not in self._links:
            path = reverse(url_name, args=["__token__"])
            self._links[url_name] = path.rpartition("__token__")
        head, _, tail = self._links[url_name]
        return f"{self.page_url}{head}{token}{tail}"

    def email_parts(self, *, manage_url: str, unsubscribe_url: str) -> tuple[str, str, str]:
        """Subject, text and HTML for one subscriber. The templates render once per batch
        with placeholder links; each message only substitutes its own two signed URLs
        (their characters need no HTML escaping: base64url and ':')."""
        if self._email is None:
            ctx = self.context(manage_url=_MANAGE, unsubscribe_url=_UNSUBSCRIBE)
            self._email = (
                # A header: names may carry line breaks (the API accepts them), which
                # would otherwise make the message unsendable or add header lines.
                " ".join(self.render_text("email/subject.txt", ctx).split()),
                self.render_text("email/body.txt", ctx),
                self.render_html("email/body.html", ctx),
            )

        def personal(part: str) -> str:
            return part.replace(_MANAGE, manage_url).replace(_UNSUBSCRIBE, unsubscribe_url)

        subject, text, html = self._email
        return personal(subject), personal(text), personal(html)

    def webhook_body(self, *, unsubscribe: str) -> WebhookBody:
        """The Statuspage webhook payload for one subscriber: its own `meta`, then the
        event's objects."""
        meta = webhook_meta(unsubscribe=unsubscribe, documentation=self.page_url, tz=self.tz)
        return {"meta": meta, **self.payload}

    def render_text(self, name: str, context: Mapping[str, object]) -> str:
        return clean_text(self.template(name).render(context))

    def render_html(self, name: str, context: Mapping[str, object]) -> str:
        return self.template(name).render(context)


def event_view(event: Event) -> EventView:
    ctx = wire.Context()
    page = ctx.page
    view = EventView(
        event=event,
        page_name=page.name,
        page_url=page.public_url,
        headline=HEADLINES.get(event.kind, event.kind),
        title="",
        status="",
        body="",
        object_public_id="",
        tz=page.tz,
    )
    # An event without an incident (or maintenance) has no incident_id: reading the relation
    # then costs no query.
    if event.incident is not None:
        _describe_incident(view, ctx, event.incident, event.incident_update)
    elif event.maintenance is not None:
        _describe_maintenance(view, ctx, event.maintenance, event.maintenance_update)
    else:
        view.payload, view.title = _component_payload(event, ctx)
    indicator, description = selectors.status_summary(ctx.tree.components)
    view.payload["page"] = wire.webhook_page(page, indicator, description)
    return view


def _describe_incident(
    view: EventView, ctx: wire.Context, incident: Incident, update: IncidentUpdate | None
) -> None:
    view.title, view.object_public_id = incident.name, incident.public_id
    # The status this event announced, not the incident's now: a delivery retried after
    # the incident resolved still says what the update said.
    view.status = update.status if update else incident.status
    view.body = update.body if update else incident.postmortem_body
    view.payload = {"incident": wire.incident_full(ctx, incident)}


def _describe_maintenance(
    view: EventView, ctx: wire.Context, maintenance: Maintenance, update: MaintenanceUpdate | None
) -> None:
    view.title, view.object_public_id = maintenance.name, maintenance.public_id
    # A cancellation is stored as "completed" with cancelled_at; say what it was.
    if view.event.kind == EventKind.MAINTENANCE_CANCELLED:
        view.status = "cancelled"
    else:
        view.status = update.status if update else maintenance.status
    view.body = update.body if update else ""
    view.window = _window(maintenance)
    view.payload = {"incident": wire.incident_full(ctx, maintenance)}


def _component_payload(event: Event, ctx: wire.Context) -> tuple[WebhookObjects, str]:
    change = (
        ComponentStatusChange.objects.filter(id__in=event.status_change_ids)
        .select_related("component")
        .order_by("-id")
        .first()
    )
    if change is None or change.component_id not in ctx.by_pk:
        return {}, "Component status changed"
    title = f"{change.component.name} is {change.new_status.replace('_', ' ')}"
    return {
        "component_update": wire.component_update_dict(change, ctx.page),
        "component": ctx.by_pk[change.component_id],
    }, title


def webhook_meta(*, unsubscribe: str, documentation: str, tz: tzinfo) -> WebhookMeta:
    """A webhook payload's `meta`; generated_at in the page's offset like every timestamp."""
    return {
        "unsubscribe": unsubscribe,
        "documentation": documentation,
        "generated_at": wire.timestamp(timezone.now(), tz),
    }


def _window(maintenance: Maintenance) -> str:
    start, end = (
        maintenance.scheduled_for.astimezone(UTC),
        maintenance.scheduled_until.astimezone(UTC),
    )
    end_format = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M} to {end:{end_format}} UTC"


# Typographic characters outside GSM-7 that operators type often; one of them in an SMS
# switches the whole message to UCS-2 (70 instead of 160 characters per segment).
_GSM_REPLACEMENTS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


def gsm_safe(text: str) -> str:
    return text.translate(_GSM_REPLACEMENTS)


def clean_text(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ").strip()


def render_text(template: str, context: Mapping[str, object]) -> str:
    return clean_text(render_to_string(template, context))


def render_html(template: str, context: Mapping[str, object]) -> str:
    return render_to_string(template, context)
