"""One of each core object on a page, every name carrying a tag: what the page isolation
sweeps (tests/api/v1, tests/dashboard) name in their URLs and look for in answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from incidents import services
from incidents.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentTemplate,
    Maintenance,
    Page,
)
from notifications.models import Subscriber
from notifications.services import subscriber_create


@dataclass(frozen=True)
class PageObjects:
    group: ComponentGroup
    component: Component
    incident: Incident
    maintenance: Maintenance
    template: IncidentTemplate
    subscriber: Subscriber


def core_objects(page: Page, tag: str) -> PageObjects:
    actor = services.SYSTEM
    group = services.component_group_create(name=f"{tag} group", actor=actor, page=page)
    component = services.component_create(
        name=f"{tag} component", actor=actor, group=group, page=page
    )
    incident = services.incident_create(
        name=f"{tag} incident",
        body=f"{tag} body",
        actor=actor,
        component_statuses={component: "major_outage"},
        page=page,
    )
    start = timezone.now() + timedelta(days=1)
    maintenance = services.maintenance_schedule(
        name=f"{tag} window",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[component],
        actor=actor,
        page=page,
    )
    template = services.incident_template_save(
        actor=actor,
        components=[component],
        name=f"{tag} template",
        title=f"{tag} title",
        body=f"{tag} text",
        status="investigating",
        page=page,
    )
    subscriber = subscriber_create(
        actor=actor, channel="email", address=f"{tag}@example.test", page=page
    )
    return PageObjects(group, component, incident, maintenance, template, subscriber)
