"""One of every object a dashboard URL can name, on a page, every name carrying a tag, and
the URL arguments that name them: shared by the page isolation sweep
(tests/dashboard/test_page_isolation.py) and the browser sweep of every dashboard screen
(tests/e2e/test_dashboard_every_screen.py)."""

from __future__ import annotations

from incidents import services
from incidents.models import Page
from notifications.models import Delivery, Event, SubscriberImport
from statuspage.automation.models import AlertRoute
from statuspage.monitors.services import monitor_save
from statuspage.readers.models import FeedSecret
from statuspage.upstream.models import Provider
from tests.page_objects import core_objects


def dashboard_objects(page: Page, tag: str) -> dict[str, object]:
    """One of everything on `page`, named with `tag`: what dashboard URLs name, by kind."""
    actor = services.SYSTEM
    made = core_objects(page, tag)
    group, component, incident = made.group, made.component, made.incident
    maintenance, template, subscriber = made.maintenance, made.template, made.subscriber
    event = Event.objects.create(kind="incident.created", page=page, incident=incident)
    monitor = monitor_save(
        actor=actor,
        monitor=None,
        data={"name": f"{tag} monitor", "kind": "heartbeat", "component_id": component.public_id},
    )
    return {
        "component": component.pk,
        "group": group.pk,
        "incident": incident.public_id,
        "update": incident.updates.get().public_id,
        "maintenance": maintenance.public_id,
        "maintenance_update": maintenance.updates.get().public_id,
        "template": template.pk,
        "subscriber": subscriber.public_id,
        "delivery": Delivery.objects.create(event=event, subscriber=subscriber).pk,
        "import": SubscriberImport.objects.create(
            page=page, rows=[], status="done", filename=f"{tag}.csv"
        ).pk,
        "alert_route": AlertRoute.objects.create(name=f"{tag} route", page=page).pk,
        "provider": Provider.objects.create(
            page=page,
            name=f"{tag} provider",
            page_url=f"https://{tag}.example.test",
            kind=Provider.Kind.STATUSPAGE,
            endpoint=f"http://127.0.0.1:1/{tag}/api/v2/summary.json",
            snapshot={"components": [{"id": "a1", "name": f"{tag} up", "status": "operational"}]},
        ).pk,
        "monitor": monitor.pk,
        "audience": services.audience_save(
            actor=actor, page=page, name=f"{tag} audience", slug=tag, components=[component]
        ).pk,
        "feed_secret": FeedSecret.objects.create(
            page=page,
            identity=f"{tag}@example.test",
            method="magic_link",
            token_hash=f"{tag:0<64}"[:64],
            prefix=tag[:8],
        ).pk,
    }


def url_kwargs(b: dict[str, object]) -> dict[str, list[dict[str, object]]]:
    """Every dashboard URL name that names an object of a page, with page B's objects in its
    arguments (one entry per way of naming them)."""
    return {
        "dashboard-component-status": [{"pk": b["component"]}],
        "dashboard-component-maintenance-end": [{"pk": b["component"]}],
        "dashboard-component-edit": [{"pk": b["component"]}],
        "dashboard-group-edit": [{"pk": b["group"]}],
        "dashboard-move": [
            {"kind": "component", "pk": b["component"], "direction": "up"},
            {"kind": "group", "pk": b["group"], "direction": "down"},
        ],
        "dashboard-incident": [{"public_id": b["incident"]}],
        "dashboard-incident-update": [{"public_id": b["incident"]}],
        "dashboard-incident-resolve": [{"public_id": b["incident"]}],
        "dashboard-incident-reopen": [{"public_id": b["incident"]}],
        "dashboard-incident-postmortem": [{"public_id": b["incident"]}],
        "dashboard-postmortem-preview": [{"public_id": b["incident"]}],
        "dashboard-postmortem-preview-email": [{"public_id": b["incident"]}],
        "dashboard-incident-update-edit": [{"public_id": b["update"]}],
        "dashboard-incident-update-translate": [{"public_id": b["update"]}],
        "dashboard-maintenance": [{"public_id": b["maintenance"]}],
        "dashboard-reader-feed-revoke": [{"pk": b["feed_secret"]}],
        "dashboard-audience-edit": [{"pk": b["audience"]}],
        "dashboard-audience-delete": [{"pk": b["audience"]}],
        "dashboard-maintenance-update-translate": [{"public_id": b["maintenance_update"]}],
        "dashboard-maintenance-action": [
            {"public_id": b["maintenance"], "action": a}
            for a in ("reschedule", "start", "update", "complete", "cancel", "note")
        ],
        "dashboard-template-edit": [{"pk": b["template"]}],
        "dashboard-template-delete": [{"pk": b["template"]}],
        "dashboard-subscriber-remove": [{"public_id": b["subscriber"]}],
        "dashboard-subscriber-audience": [{"public_id": b["subscriber"]}],
        "dashboard-subscriber-resend": [{"public_id": b["subscriber"]}],
        "dashboard-subscriber-import-status": [{"pk": b["import"]}],
        "dashboard-delivery": [{"pk": b["delivery"]}],
        "dashboard-monitor": [{"pk": b["monitor"]}],
        "dashboard-monitor-edit": [{"pk": b["monitor"]}],
        "dashboard-monitor-delete": [{"pk": b["monitor"]}],
        "dashboard-monitor-token": [{"pk": b["monitor"]}],
        "dashboard-upstream-provider": [{"pk": b["provider"]}],
        "dashboard-upstream-poll": [{"pk": b["provider"]}],
        "dashboard-upstream-delete": [{"pk": b["provider"]}],
        "dashboard-alert-route-edit": [{"pk": b["alert_route"]}],
        "dashboard-alert-route-delete": [{"pk": b["alert_route"]}],
        "dashboard-alert-route-move": [{"pk": b["alert_route"], "direction": "up"}],
    }
