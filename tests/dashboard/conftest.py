"""Dashboard personas: a viewer, a responder, an admin, an outsider (signed in, no role), and
an anonymous visitor. Each `*_client` is a test client signed in as that persona. `world` holds
one object of every kind the dashboard's URLs name."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from incidents import services
from incidents.models import ComponentGroup, IncidentTemplate
from notifications.models import Delivery, Event, Subscriber, SubscriberImport
from statuspage.access.models import ApiKey, Membership, Role
from statuspage.automation.models import AlertRoute
from statuspage.monitors.services import monitor_save
from statuspage.readers.models import FeedSecret
from statuspage.upstream.models import Provider

# Subscriber screens use the notification tests' real parts (SMTP sink, subscribers, jobs).
from tests.notifications.conftest import make_subscriber, receiver, run_jobs, smtp_sink  # noqa: F401

PASSWORD = "correct horse battery staple 42"


@functools.cache
def _password_hash() -> str:
    # Argon2 is slow by design; hash the shared persona password once per run.
    return make_password(PASSWORD)


def _user(username: str, role: Role | None, **extra):
    user = get_user_model().objects.create(
        username=username, email=f"{username}@example.com", password=_password_hash(), **extra
    )
    if role is not None:
        Membership.objects.create(user=user, role=role)
    return user


@pytest.fixture
def viewer(db):
    return _user("vera", Role.VIEWER)


@pytest.fixture
def responder(db):
    return _user("rhea", Role.RESPONDER)


@pytest.fixture
def admin_user(db):
    return _user("ada", Role.ADMIN)


@pytest.fixture
def outsider(db):
    return _user("otto", None)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(viewer, page):
    return _client_for(viewer)


@pytest.fixture
def responder_client(responder, page):
    return _client_for(responder)


@pytest.fixture
def admin_client(admin_user, page):
    return _client_for(admin_user)


@pytest.fixture
def anon_client(page):
    return Client()


@pytest.fixture
def world(api, operator, django_user_model):
    """One object of every kind a dashboard URL names; their ids by kind (see test_roles)."""
    someone = django_user_model.objects.create_user("someone")
    group = ComponentGroup.objects.create(name="Core")
    incident = services.incident_create(
        name="Errors", body="Looking", actor=operator, component_statuses={api: "major_outage"}
    )
    start = timezone.now() + timedelta(days=1)
    maintenance = services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=operator,
    )
    subscriber = Subscriber.objects.create(channel="email", address="s@example.test")
    return {
        "component": api.pk,
        "group": group.pk,
        "incident": incident.public_id,
        "update": incident.updates.get().public_id,
        "maintenance": maintenance.public_id,
        "maintenance_update": maintenance.updates.get().public_id,
        "user": someone.pk,
        "template": IncidentTemplate.objects.create(name="t", title="t", body="b").pk,
        "audience": services.audience_save(
            actor=operator, name="Acme", slug="acme", components=[api]
        ).pk,
        "subscriber": subscriber.public_id,
        "feed_secret": FeedSecret.objects.create(
            page_id=api.page_id,
            identity="reader@example.test",
            method="magic_link",
            token_hash="f" * 64,
            prefix="ffffffff",
        ).pk,
        "delivery": Delivery.objects.create(
            event=Event.objects.create(kind="incident.created"), subscriber=subscriber
        ).pk,
        "import": SubscriberImport.objects.create(rows=[], status="done").pk,
        "alert_route": AlertRoute.objects.create(name="r").pk,
        # Polled at a loopback address, which the guard refuses before connecting.
        "provider": Provider.objects.create(
            name="GitHub",
            page_url="https://www.githubstatus.com",
            kind=Provider.Kind.STATUSPAGE,
            endpoint="http://127.0.0.1:1/api/v2/summary.json",
            snapshot={"components": [{"id": "a1", "name": "Actions", "status": "operational"}]},
        ).pk,
        "monitor": monitor_save(
            actor=operator,
            monitor=None,
            data={"name": "m", "kind": "heartbeat", "component_id": api.public_id},
        ).pk,
        "apikey": ApiKey.objects.create(
            name="k", owner=someone, prefix="rolekey0", digest="0" * 64
        ).pk,
    }
