"""A private page full of private strings beside the public default page, and a way to sign in
to it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Page, PageHost
from statuspage.readers import services as reader_services
from tests.public.conftest import fresh_read_path, reset_read_path

__all__ = ["fresh_read_path"]  # autouse: an empty read path and a snapshot folder per test

PRIVATE_HOST = "private.test"
PASSWORD = "correct horse battery staple"
# Every one of these is on the private page only: none may reach a reader who has not signed in.
PRIVATE_STRINGS = (
    "Zebracorn",  # the page's name
    "Quokka backend",  # a component
    "Wombat meltdown",  # an incident
    "Platypus window",  # a maintenance window
    "Numbat group",  # a group
)


@pytest.fixture
def private(page, operator, settings):
    settings.ALLOWED_HOSTS = [PRIVATE_HOST, "testserver"]
    secret = Page.objects.create(
        name="Zebracorn internal", slug="secret", time_zone="Etc/UTC", visibility="private"
    )
    PageHost.objects.create(page=secret, host=PRIVATE_HOST)
    group = services.component_group_create(name="Numbat group", actor=operator, page=secret)
    component = services.component_create(
        name="Quokka backend", actor=operator, group=group, page=secret
    )
    incident = services.incident_create(
        name="Wombat meltdown",
        body="The Quokka backend is down.",
        actor=operator,
        component_statuses={component: "major_outage"},
    )
    start = timezone.now() + timedelta(days=1)
    window = services.maintenance_schedule(
        name="Platypus window",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[component],
        actor=operator,
        page=secret,
    )
    reader_services.settings_save(
        page=secret,
        actor=operator,
        password=PASSWORD,
        magic_link_allowed="alice@example.com\n@corp.test",
        ip_allowlist="203.0.113.0/24",
    )
    # A public component on the default page: public pages stay as they were.
    services.component_create(name="Public API", actor=operator, page=page)
    reset_read_path()
    return {
        "page": secret,
        "component": component,
        "incident": incident,
        "maintenance": window,
        "group": group,
    }


def sign_in(client, host: str = PRIVATE_HOST, prefix: str = "") -> None:
    response = client.post(
        f"{prefix}/readers/password", {"password": PASSWORD, "next": f"{prefix}/"}, HTTP_HOST=host
    )
    assert response.status_code == 302, response.content
    assert response["Location"] == f"{prefix}/"


def leaks(data: bytes | str) -> list[str]:
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return [s for s in PRIVATE_STRINGS if s.lower() in text.lower()]
