"""Fixtures for the management API: operators of each role, keys, and an authenticated client."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.models import Component
from incidents.services import Actor
from notifications.services import subscriber_create
from statuspage.access.models import Membership, Role, Scope
from statuspage.access.services import api_key_create
from statuspage.api.v1.metrics import provider_id
from statuspage.monitors.custom_metrics import metric_save
from statuspage.monitors.models import Metric
from statuspage.monitors.services import monitor_save

ALL_SCOPES = list(Scope.values)
OBJECTS_COMPONENT_ID = "objcomponent"
OBJECTS_METRIC_ID = "objmetric001"
ROLE_SCOPES = {
    Role.VIEWER: [Scope.READ],
    Role.RESPONDER: [Scope.READ, Scope.INCIDENTS],
    Role.ADMIN: ALL_SCOPES,
}


@pytest.fixture
def make_key(db, page):
    """make_key(role="admin", scopes=None) -> the plain key of a fresh operator of that role."""
    counter = iter(range(1000))

    def make(role: str = Role.ADMIN, scopes: list[str] | None = None, username: str | None = None):
        username = username or f"{role}-{next(counter)}"
        user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw")
        Membership.objects.create(user=user, role=role)
        _key, raw = api_key_create(
            actor=Actor(label="test", via="test"),
            owner=user,
            name=f"{username} key",
            scopes=scopes if scopes is not None else ROLE_SCOPES[Role(role)],
        )
        return raw

    return make


class ApiClient:
    """A test client that sends the key and JSON bodies the way Statuspage clients do."""

    def __init__(self, key: str):
        self.key = key
        self.client = Client()

    def _headers(self, extra):
        headers = {"HTTP_AUTHORIZATION": f"OAuth {self.key}"}
        headers.update(extra)
        return headers

    def get(self, url, data=None, **extra):
        return self.client.get(url, data, **self._headers(extra))

    def delete(self, url, data=None, *, form=False, **extra):
        if data is None:
            return self.client.delete(url, **self._headers(extra))
        return self._send("delete", url, data, form, extra)

    def _send(self, method, url, data, form, extra):
        if form:
            if not isinstance(data, str):
                data = urlencode(data, doseq=True)
            return getattr(self.client, method)(
                url, data, content_type="application/x-www-form-urlencoded", **self._headers(extra)
            )
        return getattr(self.client, method)(
            url, json.dumps(data), content_type="application/json", **self._headers(extra)
        )

    def post(self, url, data=None, *, form=False, **extra):
        return self._send("post", url, data or {}, form, extra)

    def patch(self, url, data=None, *, form=False, **extra):
        return self._send("patch", url, data or {}, form, extra)

    def put(self, url, data=None, *, form=False, **extra):
        return self._send("put", url, data or {}, form, extra)


@pytest.fixture
def v1(make_key):
    """v1(role="admin", scopes=None) -> ApiClient with a fresh key."""

    def make(role: str = Role.ADMIN, scopes: list[str] | None = None) -> ApiClient:
        return ApiClient(make_key(role, scopes))

    return make


@pytest.fixture
def page_url(page):
    """page_url("components") -> "/api/v1/pages/<id>/components"."""

    def make(path: str = "") -> str:
        base = f"/api/v1/pages/{page.public_id}"
        return f"{base}/{path}" if path else base

    return make


@pytest.fixture
def objects(page, make_component):
    """One of everything, and a spare of what the DELETE calls remove."""
    actor = services.SYSTEM
    group = services.component_group_create(name="G", actor=actor)
    component = make_component("API", group=group)
    # A known id, so that bodies written ahead (test_openapi.BODIES) can name the component.
    Component.objects.filter(pk=component.pk).update(public_id=OBJECTS_COMPONENT_ID)
    component.refresh_from_db()
    spare = make_component("Spare")
    incident = services.incident_create(
        name="Down", body="x", actor=actor, component_statuses={component: "major_outage"}
    )
    start = timezone.now() + timedelta(days=1)
    services.maintenance_schedule(
        name="W",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[component],
        actor=actor,
    )
    subscriber = subscriber_create(actor=actor, channel="email", address="s@example.test")
    monitor = monitor_save(
        actor=actor,
        monitor=None,
        data={
            "name": "M",
            "kind": "dns",
            "host": "example.com",
            "component_id": component.public_id,
        },
    )
    metric = metric_save(
        actor=actor, metric=None, data={"name": "Queue", "component_id": component.public_id}
    )
    Metric.objects.filter(pk=metric.pk).update(public_id=OBJECTS_METRIC_ID)
    audience = services.audience_save(
        actor=actor, page=page, name="Acme", slug="acme", components=[component]
    )
    return {
        "audience_id": audience.public_id,
        "metric_id": OBJECTS_METRIC_ID,
        "metrics_provider_id": provider_id(),
        "monitor_id": monitor.public_id,
        "page_id": page.public_id,
        "subscriber_id": subscriber.public_id,
        "component_id": component.public_id,
        "group_id": group.public_id,
        "incident_id": incident.public_id,
        "update_id": incident.updates.get().public_id,
        "spare": spare.public_id,
    }
