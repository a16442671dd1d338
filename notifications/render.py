"""Rendering notification text: one helper for every channel.

Email subject/text and SMS are .txt templates (not HTML-escaped); the email HTML part is
.html (escaped). SMS text never carries non-breaking spaces: they force UCS-2 and double cost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, tzinfo

from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone

from incidents import selectors, wire
from incidents.events import EventKind
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
    payload: dict = field(default_factory=dict)
    tz: tzinfo = UTC  # the page's: every timestamp of a webhook payload is in its offset
    # Maintenance window, "2026-01-05 10:00 to 12:00 UTC"-style, or "".
    window: str = ""
    _cache: dict = field(default_factory=dict, repr=False)

    def context(self, **extra) -> dict:
        return {"ev": self, **extra}

    def template(self, name: str):
        """`notifications/<name>` for this event kind if such a template exists (e.g.
        email/maintenance.scheduled/body.txt), else the channel's generic one. Resolved once
        per batch: a miss costs a filesystem lookup, too much to pay per message."""
        if name not in self._cache:
            channel, _, part = name.partition("/")
            self._cache[name] = select_template(
                [f"notifications/{channel}/{self.event.kind}/{part}", f"notifications/{name}"]
            )
        return self._cache[name]

    def link(self, url_name: str, token: str) -> str:
        """Absolute URL of a token-taking view; the pattern is reversed once per batch."""
        key = f"url:{url_name}"
        if key not in self._cache:
            path = reverse(url_name, args=["__token__"])
            self._cache[key] = path.rpartition("__token__")
        head, _, tail = self._cache[key]
        return f"{self.page_url}{head}{token}{tail}"

    def email_parts(self, *, manage_url: str, unsubscribe_url: str) -> tuple[str, str, str]:
        """Subject, text and HTML for one subscriber. The templates render once per batch
        with placeholder links; each message only substitutes its own two signed URLs
        (their characters need no HTML escaping: base64url and ':')."""
        if "email" not in self._cache:
            ctx = self.context(manage_url=_MANAGE, unsubscribe_url=_UNSUBSCRIBE)
            self._cache["email"] = (
                # A header: names may carry line breaks (the API accepts them), which
                # would otherwise make the message unsendable or add header lines.
                " ".join(self.render_text("email/subject.txt", ctx).split()),
                self.render_text("email/body.txt", ctx),
                self.render_html("email/body.html", ctx),
            )
        return tuple(
            part.replace(_MANAGE, manage_url).replace(_UNSUBSCRIBE, unsubscribe_url)
            for part in self._cache["email"]
        )

    def webhook_body(self, *, unsubscribe: str) -> dict:
        """The Statuspage webhook payload for one subscriber: its own `meta`, then the
        event's objects."""
        meta = webhook_meta(unsubscribe=unsubscribe, documentation=self.page_url, tz=self.tz)
        return {"meta": meta, **self.payload}

    def render_text(self, name: str, context: dict) -> str:
        return clean_text(self.template(name).render(context))

    def render_html(self, name: str, context: dict) -> str:
        return self.template(name).render(context)


def event_view(event: Event) -> EventView:
    ctx = wire.Context()
    page = ctx.page
    view = EventView(
        event=event,
        page_name=page.name,
        page_url=page.url.rstrip("/"),
        headline=HEADLINES.get(event.kind, event.kind),
        title="",
        status="",
        body="",
        object_public_id="",
        tz=page.tz,
    )
    if event.incident_id:
        incident = event.incident
        update = event.incident_update
        view.title, view.object_public_id = incident.name, incident.public_id
        # The status this event announced, not the incident's now: a delivery retried after
        # the incident resolved still says what the update said.
        view.status = update.status if update else incident.status
        view.body = update.body if update else incident.postmortem_body
        view.payload = {"incident": wire.incident_full(ctx, incident)}
    elif event.maintenance_id:
        maintenance = event.maintenance
        update = event.maintenance_update
        view.title, view.object_public_id = maintenance.name, maintenance.public_id
        # A cancellation is stored as "completed" with cancelled_at; say what it was.
        if event.kind == EventKind.MAINTENANCE_CANCELLED:
            view.status = "cancelled"
        else:
            view.status = update.status if update else maintenance.status
        view.body = update.body if update else ""
        view.window = _window(maintenance)
        view.payload = {"incident": wire.incident_full(ctx, maintenance)}
    else:
        view.payload, view.title = _component_payload(event, ctx)
    indicator, description = selectors.status_summary(ctx.tree.components)
    view.payload["page"] = wire.webhook_page(page, indicator, description)
    return view


def _component_payload(event: Event, ctx: wire.Context) -> tuple[dict, str]:
    from incidents.models import ComponentStatusChange

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


def webhook_meta(*, unsubscribe: str, documentation: str, tz: tzinfo) -> dict:
    """A webhook payload's `meta`; generated_at in the page's offset like every timestamp."""
    return {
        "unsubscribe": unsubscribe,
        "documentation": documentation,
        "generated_at": wire.timestamp(timezone.now(), tz),
    }


def _window(maintenance) -> str:
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


def render_text(template: str, context: dict) -> str:
    return clean_text(render_to_string(template, context))


def render_html(template: str, context: dict) -> str:
    return render_to_string(template, context)
