"""Rendering notification text: one helper for every channel.

Email subject/text and SMS are .txt templates (not HTML-escaped); the email HTML part is
.html (escaped). An update's Markdown body goes to the HTML part rendered and sanitised
(incidents.markdown, the public page's own renderer, with the email's inline styles) and to
the text part and chat messages as readable plain text. SMS text never carries non-breaking
spaces: they force UCS-2 and double cost; its length rules are in notifications.sms_text.

Languages: an event's view is built once, in English (the source language), and copied per
language its subscribers read (`EventView.in_language`); each copy renders its email and SMS
once per batch in that language (gettext catalogs in locale/, the same as the public pages'),
so a batch costs one rendering per language, never one per subscriber.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Protocol, Required, TypedDict

from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from markupsafe import Markup

from incidents import markdown, selectors, wire
from incidents.enums import ComponentStatus, IncidentStatus, MaintenanceStatus
from incidents.events import EventKind
from incidents.languages import translated
from incidents.models import (
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Page,
)
from notifications import email_style, senders, sms_text
from notifications.mime import MimeTemplate
from notifications.models import Event

# English, the catalogs' source: `EventView.in_language` translates them.
HEADLINES = {
    EventKind.INCIDENT_CREATED: gettext_noop("New incident"),
    EventKind.INCIDENT_UPDATED: gettext_noop("Incident update"),
    EventKind.INCIDENT_RESOLVED: gettext_noop("Resolved"),
    EventKind.POSTMORTEM_PUBLISHED: gettext_noop("Postmortem published"),
    EventKind.MAINTENANCE_SCHEDULED: gettext_noop("Maintenance scheduled"),
    EventKind.MAINTENANCE_RESCHEDULED: gettext_noop("Maintenance rescheduled"),
    EventKind.MAINTENANCE_REMINDER: gettext_noop("Maintenance reminder"),
    EventKind.MAINTENANCE_STARTED: gettext_noop("Maintenance started"),
    EventKind.MAINTENANCE_UPDATED: gettext_noop("Maintenance update"),
    EventKind.MAINTENANCE_COMPLETED: gettext_noop("Maintenance completed"),
    EventKind.MAINTENANCE_CANCELLED: gettext_noop("Maintenance cancelled"),
    EventKind.COMPONENT_STATUS_CHANGED: gettext_noop("Component status changed"),
}
# A cancelled maintenance's status: not a stored status, so not among the domain's words.
CANCELLED = gettext_noop("Cancelled")
WINDOW = gettext_noop("%(start)s to %(end)s UTC")
COMPONENT_TITLE = gettext_noop("%(component)s: %(status)s")


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
    # The public page of the incident or maintenance (the page itself for a component change).
    permalink: str = ""
    # The affected components in page order: (name, status code, status label).
    components: list[tuple[str, str, str]] = field(default_factory=list)
    # The language the messages are written in ("": whichever is active, English unless a
    # caller chose one) and the page's default, whose addresses carry no /<code> prefix.
    language: str = ""
    page_language: str = ""
    # What the words above are made of, for `in_language`: the permalink's path after
    # page_url, the window's bounds (UTC text) and a component change's (name, status).
    path: str = ""
    window_bounds: tuple[str, str] | None = None
    change: tuple[str, str] | None = None
    # The operator's translations of the title (the incident's or window's name) and of the
    # body (the update's): {"de": {"name": ...}} and {"de": {"body": ...}}.
    title_translations: Mapping[str, object] = field(default_factory=dict)
    body_translations: Mapping[str, object] = field(default_factory=dict)
    # Resolved once per batch: templates by name, URL patterns split around the token, and
    # the email parts rendered with placeholder links.
    _templates: dict[str, Template] = field(default_factory=dict, repr=False)
    _links: dict[str, tuple[str, str, str]] = field(default_factory=dict, repr=False)
    _email: tuple[str, str, str] | None = field(default=None, repr=False)
    _sms: str | None = field(default=None, repr=False)
    # The email's bytes cut at their per-message values (notifications.mime); False: not built.
    _mime: MimeTemplate | None | bool = field(default=False, repr=False)
    # The view this one is a translation of: the operator's body, the same in every
    # language, is rendered once, by it.
    _source: EventView | None = field(default=None, repr=False)
    # Who the page's messages come from (notifications.senders), resolved with the page.
    sender: senders.Sender | None = None

    def in_language(self, code: str) -> EventView:
        """This event as subscribers reading `code` get it: the same facts, that language's
        words and links (the public page in it), and caches of its own."""
        with translation.override(code):
            view = dataclasses.replace(
                self,
                language=code,
                headline=gettext(HEADLINES.get(self.event.kind, self.headline)),
                components=[(name, st, status_label(st)) for name, st, _ in self.components],
                permalink=_localised(self.page_url, self.path, code, self.page_language),
                _templates={},
                _links={},
                _email=None,
                _sms=None,
                _mime=False,
                _source=self,
            )
            if self.window_bounds:
                view.window = _window_text(gettext(WINDOW), self.window_bounds)
            if self.change:
                view.title = _component_title(*self.change)
            # The operator's words in `code` where written, else the original's.
            view.title = translated(self.title_translations, code, "name") or view.title
            view.body = translated(self.body_translations, code, "body") or view.body
        return view

    @property
    def status_label(self) -> str:
        """The status as a reader says it ("Identified", "In progress")."""
        return status_label(self.status)

    @property
    def status_tone(self) -> tuple[str, str]:
        """(colour name, icon) of the status, for the email's status pill."""
        return email_style.tone(self.status)

    # Cached: read once per email batch and once per chat message otherwise.
    @functools.cached_property
    def body_html(self) -> Markup:
        """The body's Markdown, rendered and sanitised, with the email's inline styles."""
        if self._source is not None and self._source.body == self.body:
            return self._source.body_html
        return email_style.inline_markdown(markdown.render_markdown(self.body))

    @functools.cached_property
    def body_text(self) -> str:
        """The body's Markdown as text a person reads as it is (no `**`, links with URLs)."""
        if self._source is not None and self._source.body == self.body:
            return self._source.body_text
        return markdown.render_text(self.body)

    def context(self, **extra: object) -> dict[str, object]:
        return {"ev": self, "style": email_style, **extra}

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
            self._email = self._email_rendered()

        def personal(part: str) -> str:
            return part.replace(_MANAGE, manage_url).replace(_UNSUBSCRIBE, unsubscribe_url)

        subject, text, html = self._email
        return personal(subject), personal(text), personal(html)

    def _email_rendered(self) -> tuple[str, str, str]:
        ctx = self.context(manage_url=_MANAGE, unsubscribe_url=_UNSUBSCRIBE)
        with self._speaking():
            return (
                # A header: names may carry line breaks (the API accepts them), which
                # would otherwise make the message unsendable or add header lines.
                " ".join(self.render_text("email/subject.txt", ctx).split()),
                self.render_text("email/body.txt", ctx),
                self.render_html("email/body.html", ctx),
            )

    def _speaking(self) -> contextlib.AbstractContextManager[object]:
        """The view's language while its templates render (none chosen: the active one)."""
        return translation.override(self.language) if self.language else contextlib.nullcontext()

    def mime_template(self, build: Callable[[], MimeTemplate | None]) -> MimeTemplate | None:
        """The batch's email template, built by `build` on first use (None: this event's
        email cannot be built from a template, every message is built in full)."""
        if self._mime is False:
            self._mime = build()
        assert not isinstance(self._mime, bool)
        return self._mime

    def sms(self) -> str:
        """The SMS text, the same for every subscriber: rendered once per batch, fitted to
        the length rules (notifications.sms_text)."""
        if self._sms is None:
            template = self.template("sms/message.txt")

            def render(title: str, components: str) -> str:
                context = self.context(title=title, components=components)
                return sms_text.gsm_safe(clean_text(template.render(context)))

            names = [sms_text.gsm_safe(name) for name, _, _ in self.components]
            with self._speaking():
                self._sms = sms_text.fit(render, sms_text.gsm_safe(self.title), names)
        return self._sms

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
    """The event's view on its own page (one query for the page and its sender)."""
    page = _page_of(event)
    sender = senders.sender_of(page)
    # In memory only, never saved: wire builds every permalink from `page.public_url`, and a
    # page without a URL of its own is reached at its host name or /p/<slug>.
    page.url = sender.page_url
    ctx = wire.Context(page)
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
        permalink=page.public_url,
        page_language=page.language,
        sender=sender,
    )
    # An event without an incident (or maintenance) has no incident_id: reading the relation
    # then costs no query.
    if event.incident is not None:
        _describe_incident(view, ctx, event.incident, event.incident_update)
    elif event.maintenance is not None:
        _describe_maintenance(view, ctx, event.maintenance, event.maintenance_update)
    else:
        view.payload, view.change = _component_payload(event, ctx)
        view.title = _component_title(*view.change) if view.change else HEADLINES[event.kind]
    view.path = view.permalink[len(view.page_url) :]
    indicator, description = selectors.status_summary(ctx.tree.components)
    view.payload["page"] = wire.webhook_page(page, indicator, description)
    return view


def _page_of(event: Event) -> Page:
    """The page whose subscribers the event reaches, with its sender's columns."""
    from notifications.services.outbox import event_page

    page_id = event.page_id
    if page_id is None:
        incident, maintenance = event.incident, event.maintenance
        page_id = (
            incident.page_id
            if incident is not None
            else maintenance.page_id
            if maintenance is not None
            else event_page(component_ids=event.component_ids)
        )
    rows = senders.page_rows()
    return rows.order_by("id")[:1].get() if page_id is None else rows.get(pk=page_id)


def _describe_incident(
    view: EventView, ctx: wire.Context, incident: Incident, update: IncidentUpdate | None
) -> None:
    view.title, view.object_public_id = incident.name, incident.public_id
    # The status this event announced, not the incident's now: a delivery retried after
    # the incident resolved still says what the update said.
    view.status = update.status if update else incident.status
    view.body = update.body if update else incident.postmortem_body
    view.title_translations = incident.translations or {}
    view.body_translations = (update.translations or {}) if update else {}
    view.payload = {"incident": wire.incident_full(ctx, incident)}
    view.permalink = wire.public_url(ctx.page, "incidents", incident.public_id)
    view.components = _components(view.payload["incident"]["components"])


def _components(rows: list[wire.ComponentDict]) -> list[tuple[str, str, str]]:
    """Each affected component with its status as the page shows it when the message is
    rendered (a resolved incident's components read operational again)."""
    return [(row["name"], row["status"], status_label(row["status"])) for row in rows]


def status_label(status: str) -> str:
    """An incident, maintenance or component status code as words; "" for none."""
    # The labels are the English words the catalogs hold (statuspage/public/words.py).
    for choices in (IncidentStatus, MaintenanceStatus, ComponentStatus):
        if status in choices.values:
            return gettext(str(choices(status).label))
    if status == "cancelled":
        return gettext(CANCELLED)
    return status.replace("_", " ").capitalize()


def _component_title(name: str, status: str) -> str:
    """ "API: Major outage": a component's new status, in the active language."""
    return gettext(COMPONENT_TITLE) % {"component": name, "status": status_label(status)}


def _localised(page_url: str, path: str, code: str, page_language: str) -> str:
    """The public page at `path` in language `code`: the default's addresses have no prefix
    (statuspage/public/language.py); the front page's is /<code>/."""
    if not code or code == page_language:
        return page_url + path
    return f"{page_url}/{code}{path or '/'}"


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
    view.title_translations = maintenance.translations or {}
    view.body_translations = (update.translations or {}) if update else {}
    view.window_bounds = _window(maintenance)
    view.window = _window_text(WINDOW, view.window_bounds)
    view.payload = {"incident": wire.incident_full(ctx, maintenance)}
    view.permalink = wire.public_url(ctx.page, "maintenance", maintenance.public_id)
    view.components = _components(view.payload["incident"]["components"])


def _component_payload(
    event: Event, ctx: wire.Context
) -> tuple[WebhookObjects, tuple[str, str] | None]:
    change = (
        ComponentStatusChange.objects.filter(id__in=event.status_change_ids)
        .select_related("component")
        .order_by("-id")
        .first()
    )
    if change is None or change.component_id not in ctx.by_pk:
        return {}, None
    return {
        "component_update": wire.component_update_dict(change, ctx.page),
        "component": ctx.by_pk[change.component_id],
    }, (change.component.name, change.new_status)


def webhook_meta(*, unsubscribe: str, documentation: str, tz: tzinfo) -> WebhookMeta:
    """A webhook payload's `meta`; generated_at in the page's offset like every timestamp."""
    return {
        "unsubscribe": unsubscribe,
        "documentation": documentation,
        "generated_at": wire.timestamp(timezone.now(), tz),
    }


def _window_text(template: str, bounds: tuple[str, str]) -> str:
    start, end = bounds
    return template % {"start": start, "end": end}


def _window(maintenance: Maintenance) -> tuple[str, str]:
    start, end = (
        maintenance.scheduled_for.astimezone(UTC),
        maintenance.scheduled_until.astimezone(UTC),
    )
    end_format = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
    return f"{start:%Y-%m-%d %H:%M}", f"{end:{end_format}}"


def clean_text(text: str) -> str:
    return text.replace("\u00a0", " ").replace("\u202f", " ").strip()


def render_text(template: str, context: Mapping[str, object]) -> str:
    return clean_text(render_to_string(template, context))


def render_html(template: str, context: Mapping[str, object]) -> str:
    return render_to_string(template, context)
