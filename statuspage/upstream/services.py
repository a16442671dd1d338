"""Every write of upstream providers. Component statuses and mirrored incidents change through
incidents.services with an automation Actor, so they leave the same status log, audit trail
and notifications as any other change; the providers' own changes are audited and bump the
public generation (the public pages name the provider of a mirrored incident)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents.enums import OPEN_INCIDENT_STATUSES, ComponentStatus, IncidentStatus
from incidents.models import Component, Page
from incidents.services import (
    Actor,
    ServiceError,
    audit_record,
    audit_snapshot,
    component_status_set,
    incident_create,
    incident_resolve,
    incident_update_post,
    page_lock,
    public_changed,
)
from statuspage.upstream import fetch, parse, rules
from statuspage.upstream.catalogue import catalogue_name
from statuspage.upstream.models import ComponentLink, MirroredIncident, Provider

log = logging.getLogger(__name__)

SUMMARY_PATH = "/api/v2/summary.json"
FEED_SUFFIXES = (".atom", ".rss", ".xml")
_AUDIT_FIELDS = (
    "name",
    "page_url",
    "endpoint",
    "enabled",
    "notify_subscribers",
    "show_incidents",
    "interval_seconds",
)


def poll_actor(provider: Provider) -> Actor:
    """Who the changes a poll makes are recorded as ("via automation")."""
    return Actor(label=f"upstream: {provider.name}"[:150], via="automation")


def endpoint_for(url: str) -> tuple[str, str]:
    """(kind, endpoint) for what an operator entered: a feed's or a summary.json's own URL, or
    a status page's address, whose summary.json is then polled."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError("Enter the http(s) address of a status page.", field="url")
    if parts.username or parts.password:
        raise ServiceError("The address may not carry a user name or password.", field="url")
    path = parts.path.rstrip("/")
    if path.endswith(".json"):
        return Provider.Kind.STATUSPAGE, url
    if path.endswith(FEED_SUFFIXES) or path.split("/")[-1] in ("feed", "rss", "atom"):
        return Provider.Kind.FEED, url
    base = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return Provider.Kind.STATUSPAGE, base + SUMMARY_PATH


def _read(kind: str, body: bytes) -> dict[str, Any]:
    if kind == Provider.Kind.FEED:
        return parse.parse_feed(body, now=timezone.now())
    return parse.parse_summary(body)


def provider_add(
    *,
    url: str,
    actor: Actor,
    name: str = "",
    notify_subscribers: bool = False,
    page: Page | None = None,
) -> Provider:
    """Follow a provider on `page` (None: the default page): fetched once here, so a wrong
    address is refused with the reason before anything is stored. Its components are then
    offered for mapping; the scheduler's next tick starts polling it."""
    kind, endpoint = endpoint_for(url)
    if Provider.objects.filter(endpoint=endpoint).exists():
        raise ServiceError("This provider is already followed.", field="url")
    try:
        answer = fetch.get(endpoint)
        snapshot = _read(kind, answer.body)
    except (fetch.FetchError, parse.ParseError) as exc:
        raise ServiceError(f"{endpoint}: {exc.message}", field="url") from None
    now = timezone.now()
    name = name.strip() or catalogue_name(url) or snapshot["page"] or urlsplit(url).hostname or ""
    provider = Provider(
        name=name[:120],
        page_url=url.strip(),
        kind=kind,
        endpoint=endpoint,
        notify_subscribers=notify_subscribers,
        snapshot=snapshot,
        etag=answer.etag,
        last_modified=answer.last_modified,
        polls=1,
        last_polled_at=now,
        last_ok_at=now,
        next_poll_at=now,
    )
    if page is not None:
        provider.page = page
    try:
        with transaction.atomic():
            page_lock()
            provider.save()
            audit_record(
                actor=actor,
                action="upstream.add",
                obj=provider,
                after=audit_snapshot(provider, _AUDIT_FIELDS),
            )
    except IntegrityError:
        raise ServiceError("This provider is already followed.", field="url") from None
    return provider


def provider_update(
    *,
    provider: Provider,
    actor: Actor,
    name: str,
    enabled: bool,
    notify_subscribers: bool,
    show_incidents: bool,
    interval_seconds: int,
) -> Provider:
    if not name.strip():
        raise ServiceError("A provider needs a name.", field="name")
    if interval_seconds < 60:  # noqa: PLR2004
        raise ServiceError("Poll at most once a minute.", field="interval_seconds")
    with transaction.atomic():
        page_lock()
        provider = Provider.objects.get(pk=provider.pk)
        before = audit_snapshot(provider, _AUDIT_FIELDS)
        provider.name = name.strip()
        provider.enabled = enabled
        provider.notify_subscribers = notify_subscribers
        provider.show_incidents = show_incidents
        provider.interval_seconds = interval_seconds
        provider.save()
        audit_record(
            actor=actor,
            action="upstream.update",
            obj=provider,
            before=before,
            after=audit_snapshot(provider, _AUDIT_FIELDS),
        )
        public_changed()
        _apply(provider)
    return provider


def provider_map(
    *, provider: Provider, mapping: dict[str, Component | None], actor: Actor
) -> Provider:
    """Set which local component follows which upstream one ({upstream id: component or
    None}); upstream ids not named keep their link. Applies the last snapshot at once."""
    known = {c["id"]: c["name"] for c in provider.snapshot.get("components", [])}
    with transaction.atomic():
        page_lock()
        provider = Provider.objects.get(pk=provider.pk)
        before = _links(provider)
        for upstream_id, component in mapping.items():
            if upstream_id not in known:
                raise ServiceError(f"{provider.name} has no component {upstream_id!r}.")
            ComponentLink.objects.filter(provider=provider, upstream_id=upstream_id).delete()
            if component is None:
                continue
            other = ComponentLink.objects.filter(component=component).first()
            if other is not None:
                raise ServiceError(f"{component.name} already follows {other}.", field="components")
            ComponentLink.objects.create(
                provider=provider,
                upstream_id=upstream_id,
                upstream_name=known[upstream_id],
                component=component,
            )
        audit_record(
            actor=actor, action="upstream.map", obj=provider, before=before, after=_links(provider)
        )
        _apply(provider)
    return provider


def _links(provider: Provider) -> dict[str, object]:
    links = ComponentLink.objects.filter(provider=provider).select_related("component")
    return {"links": {link.upstream_name: link.component.name for link in links}}


def provider_delete(*, provider: Provider, actor: Actor) -> None:
    """Stop following a provider: its open mirrored incidents are resolved (quietly), its
    components keep their last status and follow nothing."""
    with transaction.atomic():
        page_lock()
        for mirror in MirroredIncident.objects.filter(provider=provider).select_related("incident"):
            if mirror.incident is not None and mirror.incident.is_open:
                incident_resolve(
                    incident=mirror.incident,
                    body=f"This page no longer follows {provider.name}.",
                    notify=False,
                    actor=actor,
                )
        audit_record(
            actor=actor,
            action="upstream.delete",
            obj=provider,
            before=audit_snapshot(provider, _AUDIT_FIELDS),
        )
        provider.delete()
        public_changed()


def provider_poll(*, provider_id: int, now: datetime | None = None) -> str:
    """Poll one provider (a conditional GET) and apply what it says. Returns "ok",
    "not_modified", "failed" or "busy" (another poll holds it). A failure changes nothing but
    the provider's error and its next poll time (backed off)."""
    now = now or timezone.now()
    provider = Provider.objects.get(pk=provider_id)
    # A lease: the next poll time moves past this poll's longest duration before the network
    # is touched, so an overlapping tick skips the provider instead of polling it twice.
    lease = rules.next_poll_at(now, interval=provider.interval_seconds, failures=0)
    if not Provider.objects.filter(pk=provider.pk, next_poll_at=provider.next_poll_at).update(
        next_poll_at=lease
    ):
        return "busy"
    try:
        answer = fetch.get(
            provider.endpoint, etag=provider.etag, last_modified=provider.last_modified
        )
        snapshot = None if answer.status == 304 else _read(provider.kind, answer.body)  # noqa: PLR2004
        _record_success(provider.pk, snapshot, answer, now)
    except (fetch.FetchError, parse.ParseError, ServiceError) as exc:
        # Nothing of a refused answer is kept (the transaction above rolled back).
        failures = provider.failures + 1
        Provider.objects.filter(pk=provider.pk).update(
            polls=provider.polls + 1,
            failures=failures,
            last_error=exc.message[:300],
            last_polled_at=now,
            next_poll_at=rules.next_poll_at(
                now, interval=provider.interval_seconds, failures=failures
            ),
        )
        log.warning("upstream %s: poll failed: %s", provider.name, exc.message)
        return "failed"
    return "ok" if snapshot is not None else "not_modified"


def _record_success(pk: int, snapshot: dict | None, answer: fetch.Answer, now: datetime) -> None:
    """Store a good answer (None: 304, the stored snapshot stands) and apply it, in one
    transaction."""
    with transaction.atomic():
        page_lock()
        provider = Provider.objects.get(pk=pk)
        provider.polls += 1
        provider.failures = 0
        provider.last_error = ""
        provider.last_polled_at = provider.last_ok_at = now
        provider.next_poll_at = rules.next_poll_at(
            now, interval=provider.interval_seconds, failures=0
        )
        if snapshot is None:
            provider.not_modified += 1
        else:
            provider.snapshot = snapshot
            provider.etag, provider.last_modified = answer.etag, answer.last_modified
        provider.save()
        _apply(provider)


def _apply(provider: Provider) -> None:
    """Make the mapped components and the mirrored incidents say what the snapshot says
    (inside the caller's transaction, under the page lock). Idempotent."""
    snapshot = provider.snapshot or {}
    if provider.kind == Provider.Kind.FEED and snapshot:
        snapshot = parse.feed_at(snapshot, now=timezone.now())
    actor = poll_actor(provider)
    links = list(ComponentLink.objects.filter(provider=provider).select_related("component"))
    _apply_components(provider, links, snapshot.get("components", []), actor)
    mapped = {link.upstream_id: link.component for link in links}
    wanted = {}
    if provider.show_incidents:
        for upstream in snapshot.get("incidents", []):
            touched = set(upstream["components"])
            if not touched or touched & mapped.keys():
                wanted[upstream["id"]] = upstream
    _apply_incidents(provider, wanted, mapped, actor)


def _apply_components(provider: Provider, links, components: list[dict], actor: Actor) -> None:
    statuses = {c["id"]: c["status"] for c in components}
    for link in links:
        status = statuses.get(link.upstream_id)
        if status is None or status == link.last_status:
            continue
        # An operator may have set the same status already: nothing to log then.
        current = Component.objects.values_list("base_status", flat=True).get(pk=link.component_id)
        if current != status:
            component_status_set(
                component=link.component,
                status=status,
                notify=provider.notify_subscribers,
                actor=actor,
            )
        ComponentLink.objects.filter(pk=link.pk).update(last_status=status)


def _apply_incidents(
    provider: Provider, wanted: dict[str, dict], mapped: dict[str, Component], actor: Actor
) -> None:
    mirrors = {
        m.upstream_id: m
        for m in MirroredIncident.objects.filter(provider=provider).select_related("incident")
    }
    for upstream_id, upstream in wanted.items():
        mirror = mirrors.get(upstream_id)
        if mirror is None:
            touched = [mapped[uid] for uid in upstream["components"] if uid in mapped]
            _mirror_new(provider, upstream, touched, actor)
        else:
            _mirror_update(provider, mirror, upstream, actor)
    for mirror in [m for uid, m in mirrors.items() if uid not in wanted]:
        incident = mirror.incident
        if incident is not None and incident.is_open:
            incident_resolve(
                incident=incident,
                body=f"{provider.name} reports this incident resolved.\n\n"
                + _credit(provider, mirror.link),
                notify=provider.notify_subscribers,
                actor=actor,
            )


def _status(upstream: dict) -> str:
    status = upstream["status"]
    return IncidentStatus.RESOLVED if status == IncidentStatus.POSTMORTEM else status


def _credit(provider: Provider, link: str) -> str:
    """The attribution every mirrored update carries (the page, the feeds and the emails)."""
    where = f" · [View this incident on {urlsplit(link).hostname}]({link})" if link else ""
    return f"*Reported by {provider.name}*{where}"


def _body(provider: Provider, upstream: dict) -> str:
    text = upstream["body"] or f"{IncidentStatus(_status(upstream)).label} upstream."
    return f"{text}\n\n{_credit(provider, upstream['link'])}"


def _mirror_new(provider: Provider, upstream: dict, touched: list[Component], actor: Actor) -> None:
    status = _status(upstream)
    mirror = MirroredIncident(
        provider=provider,
        upstream_id=upstream["id"],
        link=upstream["link"],
        upstream_updated=upstream["updated"],
        upstream_status=status,
    )
    if status in OPEN_INCIDENT_STATUSES:
        # The mapped components it touches are its affected components (their subscribers
        # hear of it), imposed only "operational": they follow the provider's component
        # statuses on their own, and an imposed outage would hold them down after recovery.
        mirror.incident = incident_create(
            name=f"{provider.name}: {upstream['name']}"[:200],
            body=_body(provider, upstream),
            status=status,
            component_statuses={c: ComponentStatus.OPERATIONAL for c in touched},
            impact_override=upstream["impact"],
            notify=provider.notify_subscribers,
            actor=actor,
        )
    # An incident first seen resolved is only remembered, never shown.
    mirror.save()


def _mirror_update(provider: Provider, mirror: MirroredIncident, upstream: dict, actor) -> None:
    status = _status(upstream)
    if (mirror.upstream_updated, mirror.upstream_status) == (upstream["updated"], status):
        return
    MirroredIncident.objects.filter(pk=mirror.pk).update(
        upstream_updated=upstream["updated"], upstream_status=status, link=upstream["link"]
    )
    incident = mirror.incident
    if incident is None or not incident.is_open:
        # Deleted or resolved by an operator here: their word stands.
        return
    incident_update_post(
        incident=incident,
        status=status,
        body=_body(provider, upstream),
        impact_override=upstream["impact"],
        notify=provider.notify_subscribers,
        actor=actor,
    )


def provider_poll_now(*, provider: Provider) -> str:
    """Poll one provider now (an operator asked), whatever its schedule or backoff."""
    Provider.objects.filter(pk=provider.pk).update(next_poll_at=timezone.now())
    return provider_poll(provider_id=provider.pk)


def providers_poll_due(*, now: datetime | None = None) -> dict[str, int]:
    """Poll every enabled provider whose time has come; {outcome: count}."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    due = Provider.objects.filter(enabled=True, next_poll_at__lte=now).values_list("pk", flat=True)
    for pk in list(due):
        outcome = provider_poll(provider_id=pk, now=now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
